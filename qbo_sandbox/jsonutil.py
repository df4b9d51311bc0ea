"""JSON with exact money: request numbers with a fraction are read as ``Decimal``.

Answers go back as JSON numbers (``Decimal`` written through ``float``: amounts to the cent keep
their exact decimal spelling, e.g. ``150.1``), as Intuit sends them.
"""
import json
from decimal import Decimal


def loads(raw):
    """Parse JSON text or bytes; numbers with a fraction become ``Decimal``, integers stay ``int``."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw, parse_float=Decimal)


def plain(value):
    """Return ``value`` with every ``Decimal`` turned into a JSON number (``float``)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def revive(value):
    """The inverse of ``plain`` for stored data: every ``float`` becomes the ``Decimal`` it spells."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revive(item) for item in value]
    return value


def dumps(value):
    """Serialize to UTF-8 JSON bytes, ``Decimal`` included."""
    return json.dumps(plain(value), ensure_ascii=False).encode("utf-8")
