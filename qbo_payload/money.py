"""Money as Odoo and QuickBooks must agree on it: ``Decimal``, half-up to the cent, JSON numbers."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_decimal(value):
    """Return ``value`` (float, int, str, Decimal or None) as a ``Decimal`` (None and "" are 0)."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def cents(value):
    """Round half-up to the cent."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def json_number(value):
    """A ``Decimal`` as a JSON number (its shortest float representation is the decimal itself)."""
    number = float(value)
    return int(number) if number == int(number) and abs(number) < 1e15 else number
