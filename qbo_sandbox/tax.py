"""Money to the cent, name-list references and sales tax as QuickBooks Online computes them.

Shared by ``transactions.py``. Every amount is a ``Decimal`` rounded half-up to 0.01 and stored as
such (``jsonutil`` writes JSON numbers). Sources: shared/qbo_api.md sections 4.2 and 6.2; where they
leave a behaviour open, the strict reading is taken and said so next to the code.

US model (``company.country == "US"``, sales tax on): each sales line is ``TAX`` or ``NON``; the
transaction's ``TxnTaxDetail.TxnTaxCodeRef`` names a TaxCode whose sales rates apply to the
taxable subtotal: one TaxLine per rate, ``round(base * rate / 100, 2)``. Purchases carry no tax.

Non-US model: each line's ``TaxCodeRef`` is a TaxCode Id, whose ``SalesTaxRateList`` (sales) or
``PurchaseTaxRateList`` (expenses) gives the rates. ``GlobalTaxCalculation``:

- ``TaxExcluded`` (default): line ``Amount`` is net; per rate, tax = round(sum of the net amounts
  taxed at that rate * rate / 100, 2).
- ``TaxInclusive``: line ``Amount`` is still the net and ``TaxInclusiveAmt`` carries the gross the
  user typed (Intuit: "The total amount of the line item including tax"; required on taxed lines for
  AU). Strict reading: ``Amount`` must equal round(gross * 100 / (100 + code rate), 2); per tax
  code, tax = round(gross sum * rate / (100 + code rate), 2) and ``TotalAmt`` is the gross sum.
- ``NotApplicable``: no tax.

A transaction discount (net, like every line Amount) is spread over the tax codes in proportion to
their net amounts before tax (US: only when ``ApplyTaxAfterDiscount`` is true, as the field's
documentation says; otherwise US tax is computed on the undiscounted taxable amount).

Explicit tax: Intuit says the amount in ``TxnTaxDetail.TotalTax`` "can be calculated by QuickBooks
business logic or you may supply it" and that an explicit tax amount is honoured and prorated over
the rates of the tax code. The caller decides whether the request's TotalTax is explicit (see
``transactions.py``); a 0 is python-quickbooks' default and is read as unset.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .faults import QboFault

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
US_LINE_CODES = ("TAX", "NON")
GLOBAL_TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")
INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
# How Intuit names each name list in "Invalid Reference Id : <label> element id 5 not found".
REFERENCE_LABELS = {
    "Customer": "Names", "Vendor": "Names", "Employee": "Names", "Account": "Accounts",
    "Class": "Klasses", "Item": "Items", "Department": "Departments", "Term": "Terms",
    "PaymentMethod": "PaymentMethods", "TaxCode": "TaxCodes", "TaxRate": "TaxRates",
}


# ---- Faults ----

def missing(element):
    """2020 for a required field that is absent."""
    return QboFault("2020", f"Required parameter {element} is missing in the request", element)


def business(detail, element=""):
    """6000 business validation fault."""
    return QboFault("6000", f"Business Validation Error: {detail}", element)


def invalid_enum(element, value, allowed):
    """2170 for a value outside an enumeration."""
    return QboFault("2170", f"Invalid Enumeration : {value}. Allowed values: {', '.join(allowed)}", element)


# ---- Money ----

def to_decimal(value, element):
    """Return a JSON number (or numeric string) as a ``Decimal``; ``None`` and ``""`` mean unset.

    :raise QboFault: 2010 when the value is not a finite number
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise QboFault("2010", f"Request has invalid or unsupported property : {element}={value}", element)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise QboFault("2010", f"Request has invalid or unsupported property : {element}={value}", element) from None
    if not result.is_finite():
        raise QboFault("2010", f"Request has invalid or unsupported property : {element}={value}", element)
    return result


def cents(value):
    """Round a ``Decimal`` half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value):
    """Return an amount as stored: a ``Decimal`` to the cent (``jsonutil`` writes it as a number)."""
    return cents(Decimal(value))


def allocate(total, weights):
    """Split ``total`` (cents) over ``weights`` in proportion, largest remainder first; sums exactly.

    All weights zero: everything goes to the first share.
    """
    if not weights:
        return []
    weight_sum = sum(weights)
    if not weight_sum:
        return [total] + [Decimal(0)] * (len(weights) - 1)
    units = int(total / CENT)
    exact = [Decimal(units) * weight / weight_sum for weight in weights]
    shares = [int(value) for value in exact]  # truncates toward zero, as the remainders assume
    left = units - sum(shares)
    step = 1 if left >= 0 else -1
    order = sorted(range(len(weights)), key=lambda index: abs(exact[index] - shares[index]), reverse=True)
    for index in order[:abs(left)]:
        shares[index] += step
    return [Decimal(share) * CENT for share in shares]


# ---- References ----

def ref_value(ref):
    """Return the ``value`` of a ``{"value": ...}`` reference as a string, or ``None``."""
    if isinstance(ref, dict):
        ref = ref.get("value")
    if ref is None or ref == "":
        return None
    return str(ref)


def lookup(company, entity, ref, element, required=False):
    """Return the stored name-list record a reference points to.

    :raise QboFault: 2020 when required and absent, 2500 for an unknown Id, 610 for an inactive record
    """
    value = ref_value(ref)
    if value is None:
        if required:
            raise missing(element)
        return None
    record = company.get(entity, value)
    if record is None:
        label = REFERENCE_LABELS.get(entity, entity)
        raise QboFault("2500", f"Invalid Reference Id : {label} element id {value} not found", element)
    if record.get("Active") is False:
        raise QboFault("610", INACTIVE_DETAIL, element)
    return record


def lookup_party(company, doc, field, entity, required):
    """Return the name-list record ``doc[field]`` points to (``lookup``) and write the reference back
    with the record's ``DisplayName``, as QuickBooks answers it."""
    party = lookup(company, entity, doc.get(field), field, required=required)
    if party is not None:
        doc[field] = {"value": str(party["Id"]), "name": party.get("DisplayName", "")}
    return party


def check_project(company, holder):
    """``ProjectRef`` (on a transaction or a line) must name a project customer (6000)."""
    project = lookup(company, "Customer", holder.get("ProjectRef"), "ProjectRef")
    if project is not None and not project.get("IsProject"):
        raise business(f"ProjectRef {project['Id']} is a customer, not a project.", "ProjectRef")


# ---- Tax ----

def _rate_list(company, code, side):
    """Return ``[(TaxRate Id, percent)]`` of a TaxCode for sales or purchases.

    Every ``TaxTypeApplicable`` is treated as ``TaxOnAmount`` (no tax-on-tax).
    """
    key = "SalesTaxRateList" if side == "sales" else "PurchaseTaxRateList"
    rates = []
    for rate_detail in (code.get(key) or {}).get("TaxRateDetail") or []:
        rate = lookup(company, "TaxRate", rate_detail.get("TaxRateRef"), f"{key}.TaxRateRef", required=True)
        rates.append((str(rate["Id"]), to_decimal(rate.get("RateValue"), "RateValue") or Decimal(0)))
    return rates


def _tax_label(company):
    return {"CA": "GST/HST", "AU": "GST", "IN": "GST"}.get(company.country, "VAT")


def tax_model(company, doc, side):
    """Return ``"us"``, ``"excluded"``, ``"inclusive"`` or ``None`` (no tax) for a transaction.

    Non-US documents get ``GlobalTaxCalculation`` (default ``TaxExcluded``) written back.
    """
    if not company.sales_tax:
        return None
    if company.country == "US":
        return "us" if side == "sales" else None
    calculation = doc.get("GlobalTaxCalculation") or "TaxExcluded"
    if calculation not in GLOBAL_TAX_CALCULATIONS:
        raise invalid_enum("GlobalTaxCalculation", calculation, GLOBAL_TAX_CALCULATIONS)
    doc["GlobalTaxCalculation"] = calculation
    return {"TaxExcluded": "excluded", "TaxInclusive": "inclusive", "NotApplicable": None}[calculation]


def compute_tax(company, doc, lines, discount, side, explicit_tax=None):
    """Compute the tax of a transaction, write ``TxnTaxDetail`` and return the ``TotalAmt``.

    :param company: the ``Company``
    :param dict doc: the transaction (``TxnTaxDetail`` is replaced or removed)
    :param list lines: ``[(line detail dict, net Decimal)]`` for the lines counted in the subtotal;
        a US line without ``TaxCodeRef`` gets ``TAX`` or ``NON`` from its item's ``Taxable``
    :param Decimal discount: the transaction discount (net)
    :param str side: ``"sales"`` or ``"purchase"``
    :param Decimal explicit_tax: a tax amount the request imposes, or ``None``
    """
    subtotal = sum((net for _detail, net in lines), Decimal(0))
    model = tax_model(company, doc, side)
    if model is None:
        doc.pop("TxnTaxDetail", None)
        return subtotal - discount
    if model == "us":
        tax_lines, code_ref = _us_tax(company, doc, lines, discount)
        total = None
    else:
        tax_lines, total = _global_tax(company, lines, discount, side, model == "inclusive")
        code_ref = None
    if explicit_tax is not None:
        if explicit_tax < 0:
            raise business("TotalTax cannot be negative.", "TxnTaxDetail.TotalTax")
        computed = [amount for _rate, _percent, _base, amount in tax_lines]
        shares = allocate(cents(explicit_tax), computed) if tax_lines else []
        tax_lines = [(rate, percent, base, share) for (rate, percent, base, _amount), share in zip(tax_lines, shares)]
        total_tax = cents(explicit_tax)
    else:
        total_tax = sum((amount for _rate, _percent, _base, amount in tax_lines), Decimal(0))
    detail = {"TotalTax": money(total_tax)}
    if code_ref:
        detail = {"TxnTaxCodeRef": {"value": code_ref}, **detail}
    if tax_lines:
        detail["TaxLine"] = [{
            "Amount": money(amount),
            "DetailType": "TaxLineDetail",
            "TaxLineDetail": {
                "TaxRateRef": {"value": rate},
                "PercentBased": True,
                "TaxPercent": percent,
                "NetAmountTaxable": money(base),
            },
        } for rate, percent, base, amount in tax_lines]
    doc["TxnTaxDetail"] = detail
    if total is None or explicit_tax is not None:
        total = subtotal - discount + total_tax
    return total


def _us_tax(company, doc, lines, discount):
    """US: ``TAX``/``NON`` lines and one transaction tax code; return ``(tax lines, code Id)``."""
    taxable = Decimal(0)
    for detail, net in lines:
        code = ref_value(detail.get("TaxCodeRef"))
        if code is None:
            item = company.get("Item", ref_value(detail.get("ItemRef")) or "")
            code = "TAX" if item and item.get("Taxable") else "NON"
        if code not in US_LINE_CODES:
            raise QboFault("2500", f"Invalid Reference Id : TaxCode {code} is not valid on a line of a US company: "
                           "use TAX or NON", "TaxCodeRef")
        detail["TaxCodeRef"] = {"value": code}
        if code == "TAX":
            taxable += net
    base = taxable
    if discount and doc.get("ApplyTaxAfterDiscount") is True:
        subtotal = sum((net for _detail, net in lines), Decimal(0))
        base -= allocate(discount, [taxable, subtotal - taxable])[0]
    code = lookup(company, "TaxCode", (doc.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef"),
                  "TxnTaxDetail.TxnTaxCodeRef")
    if code is None:
        return [], None
    tax_lines = [(rate, percent, base, cents(base * percent / HUNDRED))
                 for rate, percent in _rate_list(company, code, "sales")]
    return tax_lines, str(code["Id"])


def _global_tax(company, lines, discount, side, inclusive):
    """Non-US: per-line tax codes; return ``(tax lines, TotalAmt or None)``.

    ``TotalAmt`` comes back only for ``TaxInclusive`` (the gross sum after discount).
    """
    codes = {}  # code Id -> {"net", "gross", "rates", "percent"}
    for detail, net in lines:
        code = lookup(company, "TaxCode", detail.get("TaxCodeRef"), "TaxCodeRef")
        if code is None:
            raise business(f"Make sure all your transactions have a {_tax_label(company)} rate before you save.",
                           "TaxCodeRef")
        code_id = str(code["Id"])
        if code_id not in codes:
            rates = _rate_list(company, code, side)
            codes[code_id] = {"net": Decimal(0), "gross": Decimal(0), "rates": rates,
                              "percent": sum((percent for _rate, percent in rates), Decimal(0))}
        entry = codes[code_id]
        entry["net"] += net
        if inclusive:
            entry["gross"] += _checked_gross(detail, net, entry["percent"])
    entries = list(codes.values())
    shares = allocate(discount, [entry["net"] for entry in entries]) if discount else [Decimal(0)] * len(entries)
    per_rate = {}  # rate Id -> [percent, net taxable, tax]
    total = Decimal(0)
    for entry, share in zip(entries, shares):
        if inclusive:
            gross = entry["gross"] - cents(share * (HUNDRED + entry["percent"]) / HUNDRED)
            total += gross
            taxes = [(rate, percent, cents(gross * percent / (HUNDRED + entry["percent"])))
                     for rate, percent in entry["rates"]]
            net_taxable = gross - sum((tax for _rate, _percent, tax in taxes), Decimal(0))
            for rate, percent, tax in taxes:
                bucket = per_rate.setdefault(rate, [percent, Decimal(0), Decimal(0)])
                bucket[1] += net_taxable
                bucket[2] += tax
        else:
            for rate, percent in entry["rates"]:
                bucket = per_rate.setdefault(rate, [percent, Decimal(0), Decimal(0)])
                bucket[1] += entry["net"] - share
    tax_lines = []
    for rate, (percent, base, tax) in per_rate.items():
        if not inclusive:
            tax = cents(base * percent / HUNDRED)
        tax_lines.append((rate, percent, base, tax))
    return tax_lines, (total if inclusive else None)


def _checked_gross(detail, net, percent):
    """Return a TaxInclusive line's gross after checking its net ``Amount`` against it."""
    gross = to_decimal(detail.get("TaxInclusiveAmt"), "TaxInclusiveAmt")
    if not gross and net:  # 0 is python-quickbooks' default: unset
        raise missing("TaxInclusiveAmt")
    gross = cents(gross or Decimal(0))
    expected = cents(gross * HUNDRED / (HUNDRED + percent))
    if expected != net:
        raise business(f"Line Amount {net} is not the net of TaxInclusiveAmt {gross} at {percent}% "
                       f"(expected {expected}).", "Line.Amount")
    detail["TaxInclusiveAmt"] = money(gross)
    return gross
