"""Expenses as QuickBooks Online transactions, both ways.

Odoo to QuickBooks: an approved expense paid by the company becomes a ``Purchase`` paid from the
company's payment account; one paid by the employee becomes a ``Bill`` to the employee as a vendor
(to reimburse). The lines, the tax and the amount check are those of bills
(:func:`~.account_move.build_move_payload`), so expenses and bills follow one set of tax rules.

QuickBooks to Odoo: each expense line of a ``Purchase`` (cash, check or credit card) becomes one
Odoo expense carrying its share of the purchase's tax; the expenses of a purchase add up to its
``TotalAmt`` to the cent.
"""
from decimal import Decimal

from .account_move import PayloadError, build_move_payload
from .money import cents, to_decimal

PAYMENT_TYPES = ("Cash", "Check", "CreditCard")
EXPENSE_DETAILS = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
# Odoo account types QuickBooks pays a Purchase from, and the PaymentType each one means.
PAYMENT_TYPE_BY_ACCOUNT_TYPE = {"asset_cash": "Cash", "liability_credit_card": "CreditCard"}


# === ODOO -> QUICKBOOKS === #

def build_expense_payload(expense, settings):
    """Return what to send for one approved expense and what QuickBooks must answer.

    :param dict expense: the expense as plain values:

        - ``entity``: ``"Purchase"`` (paid by the company) or ``"Bill"`` (paid by the employee)
        - ``date`` (ISO), ``currency`` (ISO code), ``exchange_rate`` (home units per unit of
          ``currency``), ``description`` (the line), ``reference`` and ``note`` (the memo)
        - ``amount_untaxed``, ``amount_tax``, ``amount_total`` (in ``currency``)
        - ``account_qbo_id``: the QuickBooks account of the expense category
        - ``tax_ids``, ``tax_names``, ``tax_percent``: the expense's taxes (all price-included)
        - ``tax_lines``: ``[{"amount", "description", "account_qbo_id"}]``, used where QuickBooks has
          no purchase tax (US companies)
        - ``customer_qbo_id``: the QuickBooks project or customer of the expense, or None
        - Bill: ``vendor_qbo_id``, the employee as a vendor
        - Purchase: ``payment_account_qbo_id``, ``payment_type`` (Cash, Check, CreditCard) and
          ``payee`` (``{"value", "type"}`` or None)

    :param dict settings: the QuickBooks company, as for :func:`~.account_move.build_move_payload`
    :return: ``(entity, payload, expected)``, ``expected`` being ``{"total", "tax"}`` (Decimals)
    :rtype: tuple
    :raise PayloadError: when the expense cannot be expressed in QuickBooks
    """
    entity = expense["entity"]
    if entity not in ("Purchase", "Bill"):
        raise PayloadError(f"an expense is exported as a Purchase or a Bill, not as {entity}")
    if entity == "Purchase":
        if not expense.get("payment_account_qbo_id"):
            raise PayloadError("no QuickBooks account pays the company's expenses: choose it in the QuickBooks "
                               "settings")
        if expense.get("payment_type") not in PAYMENT_TYPES:
            raise PayloadError("the account paying the company's expenses must be a bank, cash or credit card "
                               "account")
    elif not expense.get("vendor_qbo_id"):
        raise PayloadError("the employee is not a QuickBooks vendor")
    if not expense.get("account_qbo_id"):
        raise PayloadError("the expense category has no QuickBooks account")
    amount_untaxed = cents(expense["amount_untaxed"])
    move = {
        "move_type": "in_invoice",
        "name": None,  # QuickBooks numbers checks itself; bills of one vendor need distinct numbers
        "ref": expense.get("reference"),
        "narration": expense.get("note"),
        "invoice_date": expense["date"],
        "invoice_date_due": None,
        "currency": expense["currency"],
        "exchange_rate": expense.get("exchange_rate"),
        "amount_untaxed": amount_untaxed,
        "amount_tax": expense["amount_tax"],
        "amount_total": expense["amount_total"],
        "partner_qbo_id": expense.get("vendor_qbo_id"),
        "term_qbo_id": None,
        "lines": [{
            "display_type": "product",
            "description": expense.get("description") or "",
            "quantity": 1,
            "price_unit": amount_untaxed,
            "discount": 0,
            "subtotal": amount_untaxed,
            "total": expense["amount_total"],
            "item_qbo_id": None,
            "account_qbo_id": expense["account_qbo_id"],
            "tax_ids": expense.get("tax_ids") or [],
            "tax_names": expense.get("tax_names") or {},
            "price_include": True,
            "tax_percent": expense.get("tax_percent") or 0,
        }],
        "tax_lines": expense.get("tax_lines") or [],
    }
    _entity, payload, expected = build_move_payload(move, settings)
    if expense.get("customer_qbo_id"):
        for line in payload["Line"]:
            line["AccountBasedExpenseLineDetail"]["CustomerRef"] = {"value": str(expense["customer_qbo_id"])}
    if entity == "Purchase":
        payload.pop("VendorRef", None)
        payload.update(PaymentType=expense["payment_type"],
                       AccountRef={"value": str(expense["payment_account_qbo_id"])})
        if expense.get("payee"):
            payload["EntityRef"] = {"value": str(expense["payee"]["value"]), "type": expense["payee"]["type"]}
    return entity, payload, expected


# === QUICKBOOKS -> ODOO === #

def ref_id(ref):
    """Return the ``value`` of a QuickBooks reference as a string, or None."""
    value = (ref or {}).get("value") if isinstance(ref, dict) else None
    return str(value) if value not in (None, "") else None


def purchase_header(doc):
    """Return what the expenses of a QuickBooks Purchase share.

    :param dict doc: the Purchase as QuickBooks returns it
    :return: ``{"qbo_id", "sync_token", "payment_type", "credit", "date", "doc_number", "note",
        "currency", "exchange_rate", "payee": {"value", "type", "name"} or None, "updated"}``
    :rtype: dict
    """
    payee = doc.get("EntityRef") or None
    return {
        "qbo_id": str(doc["Id"]),
        "sync_token": str(doc.get("SyncToken", "")),
        "payment_type": doc.get("PaymentType"),
        "credit": bool(doc.get("Credit")),
        "date": doc.get("TxnDate"),
        "doc_number": doc.get("DocNumber") or None,
        "note": doc.get("PrivateNote") or None,
        "currency": ref_id(doc.get("CurrencyRef")),
        "exchange_rate": to_decimal(doc.get("ExchangeRate")) or Decimal(1),
        "payee": payee and ref_id(payee) and {"value": ref_id(payee), "type": payee.get("type") or "Vendor",
                                             "name": payee.get("name") or ""},
        "updated": (doc.get("MetaData") or {}).get("LastUpdatedTime"),
    }


def purchase_lines(doc, tax_percents):
    """Return the expense lines of a QuickBooks Purchase, each with its share of the tax.

    The purchase's tax (``TotalAmt`` minus the lines' net amounts) is shared among the lines in
    proportion to their net amount times their tax rate, to the cent and largest remainder first,
    so the lines' totals add up to ``TotalAmt`` exactly.

    :param dict doc: the Purchase as QuickBooks returns it
    :param dict tax_percents: ``{TaxCode Id: percent}`` of the tax codes mapped to Odoo taxes
    :return: dicts ``line_id``, ``description``, ``net``, ``tax``, ``total`` (Decimals),
        ``account_qbo_id``, ``item_qbo_id``, ``customer_qbo_id``, ``tax_code`` (None when untaxed)
    :rtype: list
    :raise PayloadError: when the purchase has no expense line or its tax cannot be shared
    """
    lines = []
    for line in doc.get("Line") or ():
        detail_type = line.get("DetailType")
        if detail_type not in EXPENSE_DETAILS:
            continue
        detail = line.get(detail_type) or {}
        tax_code = ref_id(detail.get("TaxCodeRef"))
        lines.append({
            "line_id": str(line.get("Id") or line.get("LineNum") or len(lines) + 1),
            "description": (line.get("Description") or "").strip(),
            "net": cents(line.get("Amount")),
            "account_qbo_id": ref_id(detail.get("AccountRef")),
            "item_qbo_id": ref_id(detail.get("ItemRef")),
            "customer_qbo_id": ref_id(line.get("ProjectRef")) or ref_id(detail.get("CustomerRef"))
            or ref_id(doc.get("ProjectRef")),
            "tax_code": tax_code if tax_code not in (None, "NON") else None,
        })
    if not lines:
        raise PayloadError("the purchase has no expense line")
    tax = cents(doc.get("TotalAmt")) - sum((line["net"] for line in lines), Decimal(0))
    weights = []
    for line in lines:
        percent = tax_percents.get(line["tax_code"]) if line["tax_code"] else Decimal(0)
        if percent is None:
            if tax:
                raise PayloadError(f"the QuickBooks tax code {line['tax_code']} is not mapped to an Odoo purchase "
                                   "tax (Configuration > QuickBooks > Mapping (Taxes))")
            percent = Decimal(0)
        weights.append(abs(line["net"]) * to_decimal(percent))
    shares = share_cents(tax, weights)
    for line, share in zip(lines, shares):
        line.update(tax=share, total=line["net"] + share)
    return lines


def share_cents(amount, weights):
    """Split ``amount`` (to the cent) in proportion to ``weights``, largest remainder first.

    :raise PayloadError: when there is an amount to split but no weight
    """
    amount = cents(amount)
    if not amount:
        return [Decimal(0)] * len(weights)
    total_weight = sum(weights, Decimal(0))
    if not total_weight:
        raise PayloadError(f"the purchase carries {amount} of tax but none of its lines has a tax code")
    units = int(amount * 100)
    exact = [Decimal(units) * weight / total_weight for weight in weights]
    shares = [int(value) for value in exact]  # truncated toward zero
    left = units - sum(shares)
    step = 1 if left > 0 else -1
    order = sorted(range(len(weights)), key=lambda index: abs(exact[index] - shares[index]), reverse=True)
    for index in order[:abs(left)]:
        shares[index] += step
    return [Decimal(share) / 100 for share in shares]
