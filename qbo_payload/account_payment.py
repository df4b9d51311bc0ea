"""Customer payments (Payment) and bill payments (BillPayment) between Odoo and QuickBooks Online.

Pure functions, no ORM: :func:`parse_payment` turns a QuickBooks document into plain values (amounts
as ``Decimal``), :func:`snapshot` keeps what Odoo books of it (amount, date, currency, what it pays,
void), :func:`changes` tells two snapshots apart, and :func:`build_payment_payload` writes the JSON
of a payment registered in Odoo. Sources: shared/qbo_api.md sections 6.3 and 6.4.
"""
import re
from decimal import Decimal

from ..qbo_client import parse_qbo_time
from .account_move import PayloadError
from .money import cents, json_number, to_decimal

PAYMENT_ENTITIES = ("Payment", "BillPayment")
PARTY_FIELDS = {"Payment": "CustomerRef", "BillPayment": "VendorRef"}
# The documents a payment line settles: those it pays, and the credits it uses.
PAID_DOCUMENTS = {"Payment": "Invoice", "BillPayment": "Bill"}
CREDIT_DOCUMENTS = {"Payment": "CreditMemo", "BillPayment": "VendorCredit"}
PAYMENT_REF_MAX = 21
PRIVATE_NOTE_MAX = 4000
# Written in the PrivateNote of a payment sent from Odoo: a pull recognises its own payment even
# when the answer to the creation was lost (``[odoo:<requestid prefix>-p<payment id>]``).
ODOO_MARKER = re.compile(r"\[odoo:(?P<prefix>q[0-9a-f]{6}-\d+)-p(?P<payment_id>\d+)\]")
VOID_NOTE = "Voided"


class PaymentPayloadError(PayloadError):
    """The payment cannot be expressed in QuickBooks as it is; the message is shown to the user."""


# === SMALL HELPERS === #


def _ref_value(ref):
    value = (ref or {}).get("value") if isinstance(ref, dict) else ref
    return str(value) if value not in (None, "") else None


def odoo_marker(prefix, payment_id):
    """Return the mark of an Odoo payment written in its QuickBooks PrivateNote."""
    return f"[odoo:{prefix}-p{payment_id}]"


def memo(entity, qbo_id, reference=None):
    """Return the memo of an imported payment: ``QBO Payment 123 CHK 1001``."""
    return " ".join(part for part in ("QBO", entity, str(qbo_id), reference or "") if part)


# === QUICKBOOKS -> VALUES === #

def parse_payment(entity, doc):
    """Return the plain values of a QuickBooks Payment or BillPayment.

    :param str entity: ``Payment`` or ``BillPayment``
    :param dict doc: the document as QuickBooks answers it
    :return: ``id``, ``sync_token``, ``party_id``, ``total``, ``applied`` (net: paid documents minus
        credits used), ``unapplied``, ``date``, ``currency`` (None: the home currency), ``rate``
        (home units per unit, or None), ``account_id`` (deposit, bank or card account), ``pay_type``,
        ``method_id``, ``reference``, ``voided``, ``updated`` (naive UTC), ``marker`` (``(prefix,
        payment id)`` of a payment sent from Odoo, or None) and ``allocations``: ``[{"type", "id",
        "amount"}]`` per document, sorted
    :rtype: dict
    :raise PaymentPayloadError: on an entity that is not a payment
    """
    if entity not in PAYMENT_ENTITIES:
        raise PaymentPayloadError(f"{entity} is not a payment")
    applied = {}
    for line in doc.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            kind = link.get("TxnType")
            if kind in (PAID_DOCUMENTS[entity], CREDIT_DOCUMENTS[entity]):
                key = (kind, str(link.get("TxnId")))
                applied[key] = applied.get(key, Decimal(0)) + cents(line.get("Amount"))
    allocations = [{"type": kind, "id": qbo_id, "amount": amount}
                   for (kind, qbo_id), amount in sorted(applied.items()) if amount]
    net = sum((-item["amount"] if item["type"] == CREDIT_DOCUMENTS[entity] else item["amount"]
               for item in allocations), Decimal(0))
    total = cents(doc.get("TotalAmt"))
    note = doc.get("PrivateNote") or ""
    if entity == "Payment":
        account_id, pay_type = _ref_value(doc.get("DepositToAccountRef")), None
    else:
        pay_type = doc.get("PayType") or "Check"
        detail = doc.get("CreditCardPayment") if pay_type == "CreditCard" else doc.get("CheckPayment")
        account_id = _ref_value((detail or {}).get("CCAccountRef" if pay_type == "CreditCard" else "BankAccountRef"))
    marker = ODOO_MARKER.search(note)
    rate = doc.get("ExchangeRate")
    return {
        "entity": entity,
        "id": str(doc["Id"]),
        "sync_token": str(doc.get("SyncToken", "")),
        "party_id": _ref_value(doc.get(PARTY_FIELDS[entity])),
        "total": total,
        "applied": net,
        "unapplied": total - net,
        "date": doc.get("TxnDate") or None,
        "currency": _ref_value(doc.get("CurrencyRef")),
        "rate": to_decimal(rate) if rate not in (None, "") else None,
        "account_id": account_id,
        "pay_type": pay_type,
        "method_id": _ref_value(doc.get("PaymentMethodRef")),
        "reference": doc.get("PaymentRefNum") or doc.get("DocNumber") or None,
        "voided": not total and not net and note.startswith(VOID_NOTE),
        "updated": parse_qbo_time(doc["MetaData"]["LastUpdatedTime"]) if doc.get("MetaData") else None,
        "marker": (marker["prefix"], int(marker["payment_id"])) if marker else None,
        "allocations": allocations,
    }


def snapshot(values):
    """Return what Odoo books of a parsed payment, JSON-ready: two snapshots are equal when the
    Odoo payment needs no change. ``rate`` is the exchange rate Odoo books (None: Odoo's own)."""
    return {
        "total": str(values["total"]),
        "date": values["date"],
        "currency": values["currency"],
        "rate": str(values["rate"]) if values.get("rate") else None,
        "voided": values["voided"],
        "allocations": [[item["type"], item["id"], str(item["amount"])] for item in values["allocations"]],
    }


def changes(old, new):
    """Return how the payment ``new`` differs from ``old`` (snapshots).

    :return: ``[(kind, key, old value, new value)]`` with kind ``voided``, ``total``, ``date``,
        ``currency``, ``rate`` or ``allocation`` (key ``(document type, id)``; a missing side is None)
    :rtype: list
    """
    old = old or {}
    result = []
    if new.get("voided") and not old.get("voided"):
        result.append(("voided", None, None, None))
    for kind in ("total", "date", "currency", "rate"):
        if old.get(kind) != new.get(kind):
            result.append((kind, None, old.get(kind), new.get(kind)))
    before = {(kind, qbo_id): amount for kind, qbo_id, amount in old.get("allocations") or []}
    after = {(kind, qbo_id): amount for kind, qbo_id, amount in new.get("allocations") or []}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            result.append(("allocation", key, before.get(key), after.get(key)))
    return result


# === VALUES -> QUICKBOOKS === #

def build_payment_payload(values, unapplied=False):
    """Return the JSON creating (or, with ``Id`` and ``SyncToken`` added, updating) a payment
    registered in Odoo.

    :param dict values: ``entity``, ``party_id``, ``total`` (Decimal), ``date`` (ISO), ``currency``
        (None in the home currency), ``rate`` (Decimal, with a currency), ``account_id`` (deposit
        account of a Payment; bank or card account of a BillPayment), ``pay_type`` (BillPayment:
        ``Check`` or ``CreditCard``), ``method_id``, ``reference``, ``note`` and ``allocations``
        (``[{"type", "id", "amount"}]``)
    :param bool unapplied: a customer payment may settle nothing (its amount is then unapplied, a
        credit of the customer); a bill payment always pays a bill in QuickBooks
    :rtype: dict
    :raise PaymentPayloadError: when QuickBooks could not take it
    """
    entity = values["entity"]
    total = cents(values["total"])
    if total < 0:
        raise PaymentPayloadError("QuickBooks takes no negative payment")
    if not values["allocations"] and not (unapplied and entity == "Payment"):
        raise PaymentPayloadError("the payment settles no document in QuickBooks")
    lines = []
    for item in values["allocations"]:
        amount = cents(item["amount"])
        if amount <= 0:
            raise PaymentPayloadError(f"the amount applied to {item['type']} {item['id']} must be positive")
        lines.append({"Amount": json_number(amount), "LinkedTxn": [{"TxnId": str(item["id"]), "TxnType": item["type"]}]})
    payload = {
        PARTY_FIELDS[entity]: {"value": str(values["party_id"])},
        "TotalAmt": json_number(total),
        "TxnDate": values["date"],
        "Line": lines,
    }
    if values.get("currency"):
        if not values.get("rate"):
            raise PaymentPayloadError(f"a payment in {values['currency']} needs an exchange rate")
        payload["CurrencyRef"] = {"value": values["currency"]}
        payload["ExchangeRate"] = json_number(values["rate"])
    account = {"value": str(values["account_id"])}
    if entity == "Payment":
        payload["DepositToAccountRef"] = account
        if values.get("reference"):
            payload["PaymentRefNum"] = values["reference"][:PAYMENT_REF_MAX]
    elif values.get("pay_type") == "CreditCard":
        payload.update(PayType="CreditCard", CreditCardPayment={"CCAccountRef": account})
    else:
        payload.update(PayType="Check", CheckPayment={"BankAccountRef": account})
    if values.get("method_id") and entity == "Payment":
        payload["PaymentMethodRef"] = {"value": str(values["method_id"])}
    if values.get("note"):
        payload["PrivateNote"] = values["note"][:PRIVATE_NOTE_MAX]
    return payload


def amounts_differ(doc, values):
    """Return the differences between what QuickBooks stored and what was sent, to the cent.

    :return: ``[(what, expected, stored)]``, empty when QuickBooks holds exactly the payment
    :rtype: list
    """
    stored = parse_payment(values["entity"], doc)
    result = []
    if stored["total"] != cents(values["total"]):
        result.append(("total", cents(values["total"]), stored["total"]))
    sent = {(item["type"], str(item["id"])): cents(item["amount"]) for item in values["allocations"]}
    kept = {(item["type"], item["id"]): item["amount"] for item in stored["allocations"]}
    for key in sorted(set(sent) | set(kept)):
        if sent.get(key) != kept.get(key):
            result.append((f"{key[0]} {key[1]}", sent.get(key), kept.get(key)))
    return result
