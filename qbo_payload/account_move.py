"""Invoices, credit notes, vendor bills and refunds as QuickBooks Online transactions, and the amount check.

The engine extracts a plain description of the move (see :func:`build_move_payload`) with the
QuickBooks ids it resolved, and gets back the JSON to send and the amounts QuickBooks must report.
Amounts come from Odoo's own computation (line subtotals and totals, the move's tax), so rounding
follows Odoo; the tax is sent explicitly (``TxnTaxDetail.TotalTax``) so that QuickBooks' own
rounding (on a global subtotal for US sales tax, per rate elsewhere) cannot move it by a cent.
"""
import json
from decimal import ROUND_HALF_UP, Decimal

from .money import cents, json_number, to_decimal

HUNDRED = Decimal(100)

ENTITY_BY_MOVE_TYPE = {
    "out_invoice": "Invoice",
    "out_refund": "CreditMemo",
    "in_invoice": "Bill",
    "in_refund": "VendorCredit",
}
SALES_ENTITIES = ("Invoice", "CreditMemo")
# A quotation or sales order (the sale bridge addon): a sales form without balance, built like an invoice.
ESTIMATE = "Estimate"
# QuickBooks voids these through the API; the others can only be deleted (shared/qbo_api.md 2.2).
VOIDABLE_ENTITIES = ("Invoice",)
# Entities QuickBooks can email to the customer (POST /{entity}/{id}/send).
SENDABLE_ENTITIES = ("Invoice", "CreditMemo")
# Path segment of the QuickBooks web app page of each entity (documents, payments, expenses).
APP_PAGES = {"Invoice": "invoice", "CreditMemo": "creditmemo", "Bill": "bill", "VendorCredit": "vendorcredit",
             "Payment": "recvpayment", "BillPayment": "billpayment", "Purchase": "expense", "Estimate": "estimate"}

DOC_NUMBER_MAX = 21
CUSTOMER_MEMO_MAX = 1000
PRIVATE_NOTE_MAX = 4000
DESCRIPTION_MAX = 4000
UNIT_PRICE_MAX_DECIMALS = 8


class PayloadError(ValueError):
    """The document cannot be expressed in QuickBooks as it is; the message is shown to the user."""


# === SMALL HELPERS === #


def _ref(qbo_id):
    return {"value": str(qbo_id)}


def unit_price(amount, quantity, preferred=None):
    """Return a ``UnitPrice`` such that ``round(quantity * price, 2) == amount``, or None.

    QuickBooks refuses a line whose Amount is not Qty * UnitPrice (6070). Odoo's subtotal already
    carries the line discount and, for tax-included prices, excludes the tax: the unit price sent
    is Odoo's when it gives the subtotal, else the subtotal per unit with as few decimals as needed.

    :param Decimal amount: the line's net amount (rounded to the cent)
    :param Decimal quantity: the line's quantity
    :param Decimal preferred: Odoo's unit price, used when it gives the amount
    :rtype: Decimal or None
    """
    if not quantity:
        return None
    if preferred is not None and cents(quantity * preferred) == amount:
        return preferred
    exact = amount / quantity
    for decimals in range(2, UNIT_PRICE_MAX_DECIMALS + 1):
        candidate = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if cents(quantity * candidate) == amount:
            return candidate
    return None


# === THE PAYLOAD === #

def build_move_payload(move, settings):
    """Return what to send for one move and what QuickBooks must answer.

    :param dict move: the move as plain values:

        - ``move_type`` (out_invoice, out_refund, in_invoice, in_refund), or ``entity`` ``Estimate``
          with ``expiration_date`` and ``txn_status`` (a quotation or sales order), ``name``, ``ref``,
          ``narration`` (plain text), ``invoice_date``, ``invoice_date_due`` (ISO strings),
          ``currency`` (ISO code), ``exchange_rate`` (home units per unit of ``currency``),
          ``amount_untaxed``, ``amount_tax``, ``amount_total`` (in ``currency``), ``email``
        - ``partner_qbo_id``, ``term_qbo_id`` (or None)
        - ``lines``: dicts ``display_type`` (product, line_section, line_note), ``description``,
          ``quantity``, ``price_unit``, ``subtotal``, ``total``, ``item_qbo_id``, ``account_qbo_id``,
          ``tax_ids``, ``price_include`` (all its taxes are price-included), ``tax_percent`` (the sum
          of its percent taxes)
        - ``tax_lines``: dicts ``amount``, ``description``, ``account_qbo_id`` (the move's tax lines,
          used where QuickBooks has no purchase tax: US companies)

    :param dict settings: the QuickBooks company:

        - ``us`` (US sales-tax model), ``sales_tax`` (UsingSalesTax), ``custom_txn_numbers``,
          ``multicurrency``, ``home_currency``
        - ``tax_codes``: ``{tax_id: {"code": TaxCode Id or None, "line_code": "TAX", "NON" or None}}``
        - ``exempt_code``: the TaxCode Id for untaxed lines of non-US companies (or None)

    :return: ``(entity, payload, expected)`` where ``expected`` is ``{"total", "tax"}`` (Decimals)
    :rtype: tuple
    :raise PayloadError: when the document cannot be expressed in QuickBooks
    """
    entity = move.get("entity") or ENTITY_BY_MOVE_TYPE.get(move["move_type"])
    if not entity:
        raise PayloadError("only customer invoices, credit notes, vendor bills and refunds are exported")
    sales = entity in SALES_ENTITIES or entity == ESTIMATE
    amount_tax = cents(move["amount_tax"])
    payload = {
        "CustomerRef" if sales else "VendorRef": _ref(move["partner_qbo_id"]),
        "TxnDate": move["invoice_date"],
    }
    if sales and not settings.get("custom_txn_numbers"):
        doc_number = None  # QuickBooks numbers sales forms itself
    else:
        doc_number = move.get("name") or None
    if doc_number:
        if len(doc_number) > DOC_NUMBER_MAX:
            raise PayloadError(f"the number {doc_number} is longer than the {DOC_NUMBER_MAX} characters "
                               "QuickBooks accepts")
        payload["DocNumber"] = doc_number
    if entity == ESTIMATE:
        # A quotation's validity, and what became of it (a cancelled order rejects its Estimate).
        if move.get("expiration_date"):
            payload["ExpirationDate"] = move["expiration_date"]
        if move.get("txn_status"):
            payload["TxnStatus"] = move["txn_status"]
    if entity in ("Invoice", "Bill"):
        if move.get("invoice_date_due"):
            payload["DueDate"] = move["invoice_date_due"]
        if move.get("term_qbo_id"):
            payload["SalesTermRef"] = _ref(move["term_qbo_id"])
    payload.update(_currency_values(move, settings))
    _memo_values(payload, move, sales)
    if sales and move.get("email"):
        payload["BillEmail"] = {"Address": move["email"]}

    tax_in_lines = not sales and settings.get("us")
    if amount_tax and not tax_in_lines and not settings.get("sales_tax"):
        raise PayloadError("the document has taxes but sales tax is off in the QuickBooks company")
    if sales:
        lines, tax_detail, global_calc = _sales_lines(move, settings, entity)
    else:
        lines, tax_detail, global_calc = _expense_lines(move, settings)
    if not any(line.get("DetailType") != "DescriptionOnly" for line in lines):
        raise PayloadError("the document has no line QuickBooks can record")
    payload["Line"] = lines
    if global_calc:
        payload["GlobalTaxCalculation"] = global_calc
    if tax_detail:
        payload["TxnTaxDetail"] = tax_detail
    expected = {"total": cents(move["amount_total"]), "tax": Decimal(0) if tax_in_lines else amount_tax}
    return entity, payload, expected


def _currency_values(move, settings):
    home = settings.get("home_currency")
    currency = move.get("currency") or home
    if currency == home:
        return {"CurrencyRef": _ref(currency)} if settings.get("multicurrency") else {}
    if not settings.get("multicurrency"):
        raise PayloadError(f"the document is in {currency} but multicurrency is off in the QuickBooks company "
                           f"(home currency {home})")
    rate = to_decimal(move.get("exchange_rate"))
    if rate <= 0:
        raise PayloadError(f"no exchange rate from {currency} to {home}")
    return {"CurrencyRef": _ref(currency), "ExchangeRate": json_number(rate.quantize(Decimal("1e-10")).normalize())}


def _memo_values(payload, move, sales):
    narration = " ".join((move.get("narration") or "").split())
    notes = [move.get("ref") or ""]
    if sales and narration:
        payload["CustomerMemo"] = {"value": narration[:CUSTOMER_MEMO_MAX]}
    elif narration:
        notes.append(narration)
    note = " - ".join(filter(None, notes))
    if note:
        payload["PrivateNote"] = note[:PRIVATE_NOTE_MAX]


def _line_codes(line, settings):
    """Return the QuickBooks tax codes of a line's taxes (``(codes, line codes)``, sets)."""
    codes, line_codes = set(), set()
    for tax_id in line.get("tax_ids") or ():
        tax_map = settings.get("tax_codes", {}).get(tax_id)
        if not tax_map:
            raise PayloadError(f"the tax {line.get('tax_names', {}).get(tax_id, tax_id)} is not mapped to a "
                               "QuickBooks tax code (Configuration > QuickBooks > Mapping (Taxes))")
        if tax_map.get("code"):
            codes.add(tax_map["code"])
        if tax_map.get("line_code"):
            line_codes.add(tax_map["line_code"])
    return codes, line_codes


def _sales_lines(move, settings, entity):
    """Return ``(Line list, TxnTaxDetail, GlobalTaxCalculation)`` of an invoice or credit memo."""
    us = settings.get("us")
    product_lines = [line for line in move["lines"] if line["display_type"] == "product"]
    taxed = [line for line in product_lines if line.get("tax_ids")]
    inclusive = not us and bool(taxed) and all(_inclusive_ok(line) for line in taxed)
    lines, negatives = [], []
    code_weight = {}  # US: transaction tax code -> tax-bearing amount, to choose one
    for line in move["lines"]:
        description = (line.get("description") or "")[:DESCRIPTION_MAX]
        if line["display_type"] != "product":
            if description:
                lines.append({"DetailType": "DescriptionOnly", "Description": description,
                              "DescriptionLineDetail": {}})
            continue
        amount = cents(line["subtotal"])
        if amount < 0 and entity in ("Invoice", ESTIMATE):
            negatives.append((line, amount))
            continue
        if not line.get("item_qbo_id"):
            raise PayloadError(f"the line {description or '?'} has no QuickBooks item")
        detail = {"ItemRef": _ref(line["item_qbo_id"])}
        _quantity_values(detail, line, amount)
        codes, line_codes = _line_codes(line, settings)
        if us:
            # A document whose tax Odoo rounds to 0 is sent untaxed: QuickBooks would round the sum.
            taxable = bool(cents(move["amount_tax"])) and ("TAX" in line_codes or bool(codes))
            detail["TaxCodeRef"] = _ref("TAX" if taxable else "NON")
            for code in codes if taxable else ():
                code_weight[code] = code_weight.get(code, Decimal(0)) + abs(amount)
        elif settings.get("sales_tax") and taxed:
            detail["TaxCodeRef"] = _ref(_non_us_code(line, codes, settings))
            if inclusive:
                detail["TaxInclusiveAmt"] = json_number(cents(line["total"]))
        line_json = {"DetailType": "SalesItemLineDetail", "Amount": json_number(amount),
                     "SalesItemLineDetail": detail}
        if description:
            line_json["Description"] = description
        lines.append(line_json)
    if negatives:
        lines.append(_discount_line(negatives))
    tax_detail = None
    amount_tax = cents(move["amount_tax"])
    if us and settings.get("sales_tax"):
        if code_weight:
            code = max(sorted(code_weight), key=lambda key: code_weight[key])
            tax_detail = {"TxnTaxCodeRef": _ref(code)}
        if amount_tax:
            tax_detail = dict(tax_detail or {}, TotalTax=json_number(amount_tax))
    elif settings.get("sales_tax") and amount_tax:
        tax_detail = {"TotalTax": json_number(amount_tax)}
    global_calc = None
    if not us and settings.get("sales_tax"):
        global_calc = "TaxInclusive" if inclusive else "TaxExcluded" if taxed else "NotApplicable"
    if amount_tax < 0:
        raise PayloadError("QuickBooks cannot record a negative tax total")
    return lines, tax_detail, global_calc


def _discount_line(negatives):
    """One transaction discount line for an invoice's negative lines (QuickBooks refuses them)."""
    total = -sum((amount for _line, amount in negatives), Decimal(0))
    names = ", ".join(filter(None, ((line.get("description") or "").split("\n")[0] for line, _amount in negatives)))
    line = {"DetailType": "DiscountLineDetail", "Amount": json_number(total),
            "DiscountLineDetail": {"PercentBased": False}}
    if names:
        line["Description"] = names[:DESCRIPTION_MAX]
    return line


def _non_us_code(line, codes, settings):
    if len(codes) > 1:
        raise PayloadError(f"the line {line.get('description') or '?'} has taxes mapped to different QuickBooks "
                           "tax codes; QuickBooks puts one tax code on a line: map its taxes to one tax code "
                           "(a QuickBooks tax group)")
    if codes:
        return next(iter(codes))
    if not settings.get("exempt_code"):
        raise PayloadError("QuickBooks needs a tax code on every line, and the company has no tax-exempt code "
                           "for untaxed lines")
    return settings["exempt_code"]


def _inclusive_ok(line):
    """Whether a line can go as ``TaxInclusive``: its taxes are all price-included and QuickBooks'
    check of the net amount against the gross (Amount = gross * 100 / (100 + rate)) holds."""
    if not line.get("price_include"):
        return False
    gross, net = cents(line["total"]), cents(line["subtotal"])
    percent = to_decimal(line.get("tax_percent"))
    return cents(gross * HUNDRED / (HUNDRED + percent)) == net


def _quantity_values(detail, line, amount):
    quantity = to_decimal(line.get("quantity"))
    price = unit_price(amount, quantity, None if line.get("price_include") or line.get("discount")
                       else to_decimal(line.get("price_unit")))
    if price is not None:
        detail["Qty"] = json_number(quantity)
        detail["UnitPrice"] = json_number(price)


def _expense_lines(move, settings):
    """Return ``(Line list, TxnTaxDetail, GlobalTaxCalculation)`` of a bill or vendor credit.

    US companies have no purchase tax in QuickBooks: the move's tax lines become expense lines on
    their own accounts, so the total stays exact.
    """
    us = settings.get("us")
    product_lines = [line for line in move["lines"] if line["display_type"] == "product"]
    taxed = [line for line in product_lines if line.get("tax_ids")]
    lines = []
    for line in product_lines:
        amount = cents(line["subtotal"])
        description = (line.get("description") or "")[:DESCRIPTION_MAX]
        if line.get("item_qbo_id"):
            detail_type = "ItemBasedExpenseLineDetail"
            detail = {"ItemRef": _ref(line["item_qbo_id"])}
            _quantity_values(detail, line, amount)
        elif line.get("account_qbo_id"):
            detail_type = "AccountBasedExpenseLineDetail"
            detail = {"AccountRef": _ref(line["account_qbo_id"])}
        else:
            raise PayloadError(f"the line {description or '?'} has neither a QuickBooks item nor account")
        if not us and settings.get("sales_tax") and taxed:
            codes, _line_codes_ = _line_codes(line, settings)
            detail["TaxCodeRef"] = _ref(_non_us_code(line, codes, settings))
        line_json = {"DetailType": detail_type, "Amount": json_number(amount), detail_type: detail}
        if description:
            line_json["Description"] = description
        lines.append(line_json)
    amount_tax = cents(move["amount_tax"])
    if us:
        for tax_line in move.get("tax_lines") or ():
            amount = cents(tax_line["amount"])
            if not amount:
                continue
            if not tax_line.get("account_qbo_id"):
                raise PayloadError(f"the tax {tax_line.get('description') or '?'} has no QuickBooks account")
            lines.append({"DetailType": "AccountBasedExpenseLineDetail", "Amount": json_number(amount),
                          "Description": (tax_line.get("description") or "")[:DESCRIPTION_MAX],
                          "AccountBasedExpenseLineDetail": {"AccountRef": _ref(tax_line["account_qbo_id"])}})
        return lines, None, None
    if amount_tax < 0:
        raise PayloadError("QuickBooks cannot record a negative tax total")
    if not settings.get("sales_tax"):
        return lines, None, None
    tax_detail = {"TotalTax": json_number(amount_tax)} if amount_tax else None
    return lines, tax_detail, "TaxExcluded" if taxed else "NotApplicable"


def _line_signature(lines):
    return sorted(
        (line.get("DetailType") or "", str(cents(line.get("Amount"))), (line.get("Description") or "").strip())
        for line in lines or () if line.get("DetailType") != "SubTotalLineDetail"
    )


def replay_is_stale(payload, doc):
    """Return whether ``doc`` (answered to a create) is not the creation of ``payload``.

    A creation retried with the requestid of an earlier attempt is replayed by QuickBooks: when the
    document changed in between, the answer is the earlier version, which must then be updated.
    """
    for field in ("CustomerRef", "VendorRef", "CurrencyRef"):
        if field in payload and str(payload[field]["value"]) != str((doc.get(field) or {}).get("value")):
            return True
    for field in ("TxnDate", "DueDate", "DocNumber"):
        if field in payload and str(payload[field]) != str(doc.get(field) or ""):
            return True
    sent_tax = (payload.get("TxnTaxDetail") or {}).get("TotalTax")
    if sent_tax is not None and cents(sent_tax) != qbo_amounts(doc)[1]:
        return True
    return _line_signature(payload.get("Line")) != _line_signature(doc.get("Line"))


def update_payload(payload, qbo_id, sync_token):
    """Return ``payload`` as a full update of the QuickBooks record ``qbo_id`` at ``sync_token``."""
    return {**payload, "Id": str(qbo_id), "SyncToken": str(sync_token), "sparse": False}


# === WHAT COMES BACK === #

def qbo_amounts(doc):
    """Return ``(TotalAmt, TotalTax)`` of a QuickBooks transaction as Decimals to the cent."""
    tax = (doc.get("TxnTaxDetail") or {}).get("TotalTax")
    return cents(doc.get("TotalAmt")), cents(tax)


def amounts_differ(doc, expected):
    """Return None when QuickBooks' total and tax equal ``expected`` to the cent, else both figures.

    :param dict doc: the transaction as QuickBooks returned it
    :param dict expected: ``{"total", "tax"}`` from :func:`build_move_payload`
    :return: None or ``{"qbo_total", "qbo_tax", "odoo_total", "odoo_tax"}``
    """
    total, tax = qbo_amounts(doc)
    if total == cents(expected["total"]) and tax == cents(expected["tax"]):
        return None
    return {"qbo_total": total, "qbo_tax": tax, "odoo_total": cents(expected["total"]),
            "odoo_tax": cents(expected["tax"])}


def preview_json(entity, payload):
    """Return the exact JSON text a create of ``payload`` sends, indented for reading."""
    return json.dumps({entity: payload}, indent=2, sort_keys=False, ensure_ascii=False)


def app_url(base_url, entity, qbo_id):
    """Return the address of a transaction in the QuickBooks web app (``base_url`` without slash)."""
    return f"{base_url}/app/{APP_PAGES.get(entity, entity.lower())}?txnId={qbo_id}"
