"""Transactions as QuickBooks Online keeps them: validation, server-side totals, links and balances.

``accounting.py`` calls ``prepare`` before a create or update is stored, ``after_write`` once it is,
``void`` for the void operations and ``before_delete`` before a delete. Money rules and tax live in
``tax.py``. Sources: shared/qbo_api.md sections 2.2, 4.2, 6.3; strict readings are marked "Strict".

Balances are recomputed from the stored documents, never adjusted by deltas: an invoice's
``Balance`` is ``TotalAmt - Deposit`` minus what the non-voided payments linking it apply; a
customer's ``Balance`` is its open invoices minus its open credit memos and unapplied payments. The
documents of a customer, vendor, DocNumber or link are found through ``Company.find``.

An invoice may also link the estimate it came from and the time it bills (``LinkedTxn`` of TxnType
``Estimate`` or ``TimeActivity``). Their state follows from the invoices linking them, recomputed
the same way: an estimate an invoice links is ``Closed`` and lists the invoice in its own
``LinkedTxn``; time an invoice links ``HasBeenBilled`` (``time_activity.py``).
"""
import copy
from datetime import date, timedelta
from decimal import Decimal

from . import time_activity
from .faults import QboFault
from .seed import currency_ref
from .tax import (
    business, cents, check_project, compute_tax, invalid_enum, lookup, lookup_party, missing, money, ref_value,
    to_decimal,
)

TRANSACTION_ENTITIES = {
    "Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt", "Estimate", "Bill", "VendorCredit", "Purchase",
    "Payment", "BillPayment", "Deposit", "JournalEntry", "TimeActivity",
}
# The void operations Intuit documents (invoice?operation=void; payment, salesreceipt and
# billpayment with include=void). Strict: nothing else can be voided.
VOIDABLE_ENTITIES = {"Invoice", "Payment", "SalesReceipt", "BillPayment"}

SALES_FORMS = ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt")  # one DocNumber sequence
# Numbered by QuickBooks when CustomTxnNumbers is off (and with DocNumber AUTO_GENERATE). Strict:
# estimates have a sequence of their own, apart from the sales forms'.
AUTO_NUMBERED = SALES_FORMS + ("Estimate",)
RECEIPTS = ("SalesReceipt", "RefundReceipt")  # paid when made: no balance, the customer optional
EXPENSES = ("Bill", "VendorCredit", "Purchase")
# Documents with an open balance, and the payment entity that settles them.
SETTLED_BY = {"Invoice": "Payment", "CreditMemo": "Payment", "Bill": "BillPayment", "VendorCredit": "BillPayment"}
APPLIES_TO = {"Payment": ("Invoice", "CreditMemo"), "BillPayment": ("Bill", "VendorCredit")}
CREDITS = ("CreditMemo", "VendorCredit")  # applied with the opposite sign to invoices and bills
TXN_LABELS = {"CreditMemo": "Credit Memo", "SalesReceipt": "Sales Receipt", "RefundReceipt": "Refund Receipt",
              "VendorCredit": "Vendor Credit", "BillPayment": "Bill Payment", "JournalEntry": "Journal Entry",
              "TimeActivity": "Time Activity"}
# What an invoice links besides the payments settling it: the estimates it comes from and the time it
# bills (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice,
# LinkedTxn; an invoice linking time shows the link on the invoice and on its line:
# https://github.com/intuit/QuickBooks-V3-DotNET-SDK/issues/127).
SOURCE_TYPES = ("Estimate", "TimeActivity")
# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
EMAIL_STATUSES = ("NotSet", "NeedToSend", "EmailSent")
DOC_NUMBER_MAX = 21
DEFAULT_DOC_NUMBER = 1001
BILLABLE_STATUSES = time_activity.BILLABLE_STATUSES  # HasBeenBilled is QBO's to set (2170)
CLOSED_DETAIL = ("The account period has closed and the account books cannot be updated through the "
                 "QBO Services API. Please use the QBO website to make these changes.")
DEPOSITED_DETAIL = ("This transaction has been deposited. If you want to change or delete it, you must "
                    "edit the deposit it appears on and remove it first.")
DELETED_TXN_DETAIL = "Object Not Found : Another user has deleted this transaction."


# ---- Entry points ----

def prepare(company, entity, doc, previous=None, include=()):
    """Validate a transaction about to be created (``previous`` None) or updated, and compute its
    server-side fields (line amounts, SubTotal line, discount, ``TxnTaxDetail``, ``TotalAmt``,
    ``Balance``, ``Home*`` amounts, ``UnappliedAmt``, ``DueDate``).

    :param company: the ``Company``
    :param str entity: one of ``TRANSACTION_ENTITIES``
    :param dict doc: the request body (for a sparse update, merged onto the stored document)
    :param dict previous: the stored document before this change, or ``None`` for a create
    :param include: the request's ``include`` values (``allowduplicatedocnum`` lets a duplicate
        DocNumber through)
    :return: ``doc``, completed
    :raise QboFault: on anything QuickBooks would refuse; the store is left untouched
    """
    if previous is not None:
        _check_open_period(company, previous)
        _check_not_deposited(company, entity, previous)
    doc["TxnDate"] = _date(doc.get("TxnDate"), "TxnDate") or _today(company).isoformat()
    _check_open_period(company, doc)
    _doc_number(company, entity, doc, previous, include)
    PREPARERS[entity](company, entity, doc, previous)
    return doc


def after_write(company, entity, doc, previous=None):
    """Carry a stored create or update over to the records it touches: the invoices and bills a
    payment settles (``Balance``, ``LinkedTxn``, new SyncToken), the estimates and time an invoice
    links or no longer links, and the customer or vendor balance."""
    pending = {(entity, doc["Id"]): doc}
    _refresh_links(company, entity, [doc, previous], pending)
    _refresh_sources(company, entity, _source_keys(doc) + _source_keys(previous), pending)
    _refresh_parties(company, entity, [doc, previous], pending)


def void(company, entity, doc):
    """Void a transaction: amounts and quantities to 0, ``Voided`` before ``PrivateNote``, the
    documents it paid re-opened, the estimates and time it linked let go. Return ``doc``.

    Strict: an invoice with payments applied is refused (6000) rather than silently unlinked. A
    voided invoice keeps no estimate or time link (both sides of a link change together), so the
    estimate re-opens and the time is Billable again, as when the invoice is deleted.
    """
    if entity not in VOIDABLE_ENTITIES:
        raise QboFault("500", f"Operation Void is not supported for {entity}.")
    _check_open_period(company, doc)
    _check_not_deposited(company, entity, doc)
    _check_not_settled(company, entity, doc, "void")
    sources = _source_keys(doc)
    _drop_source_links(doc)
    _zero_out(doc)
    note = doc.get("PrivateNote")
    doc["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    pending = {(entity, doc["Id"]): doc}
    _refresh_links(company, entity, [doc], pending)
    _refresh_sources(company, entity, sources, pending)
    _refresh_parties(company, entity, [doc], pending)
    return doc


def before_delete(company, entity, doc):
    """Refuse what QuickBooks refuses, then undo the links of a transaction about to be deleted
    (a deleted payment re-opens the invoices it paid, a deleted invoice the estimates it closed and
    the time it billed).

    Strict: an invoice, credit memo, bill or vendor credit that a payment settles is refused (6000),
    and so is an estimate or time activity an invoice links.
    """
    _check_open_period(company, doc)
    _check_not_deposited(company, entity, doc)
    _check_not_settled(company, entity, doc, "delete")
    _check_not_linked(company, entity, doc)
    pending = {(entity, doc["Id"]): None}
    _refresh_links(company, entity, [doc], pending)
    _refresh_sources(company, entity, _source_keys(doc), pending)
    _refresh_parties(company, entity, [doc], pending)


# ---- Shared checks ----

def _today(company):
    """The company's date (its own time zone), the default TxnDate."""
    return company.now().date()


def _date(value, element):
    """Return an ISO date string, ``None`` for unset ("" is python-quickbooks' empty date)."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise QboFault("2010", f"Request has invalid or unsupported property : {element}={value}", element) from None


def _check_open_period(company, doc):
    closed_before = company.closed_before
    if closed_before is None or not doc.get("TxnDate"):
        return
    if isinstance(closed_before, str):
        closed_before = date.fromisoformat(closed_before[:10])
    if date.fromisoformat(doc["TxnDate"][:10]) < closed_before:
        raise QboFault("6210", CLOSED_DETAIL, "TxnDate")


def _check_not_deposited(company, entity, doc):
    if entity in ("Payment", "SalesReceipt") and _deposit_of(company, entity, doc["Id"], {}):
        raise QboFault("6540", DEPOSITED_DETAIL)


def _check_not_settled(company, entity, doc, operation):
    if entity in SETTLED_BY and _applications(company, entity, doc["Id"], {}):
        payer = "bill payments" if SETTLED_BY[entity] == "BillPayment" else "payments"
        raise business(f"This {_label(entity).lower()} has {payer} applied to it. Delete or change those "
                       f"{payer} before you {operation} it.")


def _check_not_linked(company, entity, doc):
    invoices = _linking(company, entity, doc["Id"], {})
    if invoices:
        raise business(f"This {_label(entity).lower()} is linked to invoice "
                       f"{', '.join(invoice['Id'] for invoice in invoices)}. Delete or change that invoice "
                       "before you delete it.")


def _label(entity):
    return TXN_LABELS.get(entity, entity)


def _amount(value, element, required=True, negative=False):
    amount = to_decimal(value, element)
    if amount is None:
        if required:
            raise missing(element)
        return None
    if amount < 0 and not negative:
        raise business(f"{element} cannot be negative.", element)
    return amount


def _doc_number(company, entity, doc, previous, include):
    """DocNumber: length, automatic numbering of sales forms, duplicates (6140)."""
    number_value = doc.get("DocNumber")
    if number_value in (None, "") and previous is not None:
        number_value = previous.get("DocNumber")
    auto = number_value == "AUTO_GENERATE" or (
        number_value in (None, "") and entity in AUTO_NUMBERED and not company.custom_txn_numbers)
    if auto:
        number_value = str(_next_doc_number(company, entity))
    if number_value in (None, ""):
        doc.pop("DocNumber", None)
        return
    number_value = str(number_value)
    if len(number_value) > DOC_NUMBER_MAX:
        raise QboFault("2050", "String length specified does not match the supported length. "
                       f"Min:0 Max:{DOC_NUMBER_MAX} supported. Supplied length:{len(number_value)}",
                       "DocNumber", message="String length is either shorter or longer than supported by specification")
    doc["DocNumber"] = number_value
    if auto or not company.custom_txn_numbers or "allowduplicatedocnum" in include:
        return
    own_id = (previous or {}).get("Id")
    for other_entity, other in _same_sequence(company, entity, doc, number_value):
        if other.get("DocNumber") == number_value and (other_entity, other["Id"]) != (entity, own_id):
            raise QboFault("6140", "You must specify a different number. This number has already been used. "
                           f"DocNumber={number_value} is assigned to TxnType={_label(other_entity)} "
                           f"with TxnId={other['Id']}", "DocNumber")


def _same_sequence(company, entity, doc, number):
    """Yield ``(entity, doc)`` numbered ``number`` whose DocNumber must differ, oldest first: sales
    forms together, bills and vendor credits per vendor, other documents per entity. Payments,
    deposits and time activities have no such rule."""
    if entity in SALES_FORMS:
        entities = SALES_FORMS
    elif entity in ("Estimate", "Bill", "VendorCredit", "Purchase", "JournalEntry", "BillPayment"):
        entities = (entity,)
    else:
        return
    vendor = ref_value(doc.get("VendorRef")) if entity in ("Bill", "VendorCredit") else None
    for other_entity in entities:
        for other in sorted(company.find(other_entity, "DocNumber", number), key=_creation_order):
            if vendor is None or ref_value(other.get("VendorRef")) == vendor:
                yield other_entity, other


def _creation_order(doc):
    """Sort key of stored documents: their Ids are a sequence of integers."""
    return len(doc["Id"]), doc["Id"]


def _next_doc_number(company, entity):
    sequence = (entity,) if entity == "Estimate" else SALES_FORMS
    numbers = [company.largest_number(other, "DocNumber") for other in sequence]
    numbers = [number for number in numbers if number is not None]
    return max(numbers) + 1 if numbers else DEFAULT_DOC_NUMBER


def _check_refs(company, doc, fields):
    """Check optional header references: ``{field: entity}``."""
    for field, entity in fields.items():
        lookup(company, entity, doc.get(field), field)


def _account(company, holder, field, types, required=False):
    """Check the account ``holder[field]`` refers to and its ``AccountType``; return the account."""
    account = lookup(company, "Account", holder.get(field), field, required=required)
    if account is not None and account.get("AccountType") not in types:
        raise business(f"{field} must be an account of type {' or '.join(types)}.", field)
    return account


def _first_account(company, account_type, sub_type=None):
    for account in company.all("Account"):
        if account.get("Active") is not False and account.get("AccountType") == account_type and (
                sub_type is None or account.get("AccountSubType") == sub_type):
            return account
    return None


def _currency(company, doc, party):
    """Settle ``CurrencyRef`` and ``ExchangeRate``; return the rate (home units per foreign unit).

    Strict: a foreign currency needs multicurrency, must be the party's currency and needs an
    explicit ``ExchangeRate`` (QuickBooks would otherwise look one up).
    """
    home = company.home_currency
    code = ref_value(doc.get("CurrencyRef")) or home
    if code != home and not company.multicurrency:
        raise business(f"Multicurrency is off in this company: the transaction currency must be {home}, not {code}.",
                       "CurrencyRef")
    if party is not None:
        party_code = ref_value(party.get("CurrencyRef")) or home
        if code != party_code:
            raise business(f"The transaction currency {code} must be the currency of "
                           f"{party.get('DisplayName', 'the customer or vendor')} ({party_code}).", "CurrencyRef")
    doc["CurrencyRef"] = currency_ref(code)
    if code == home:
        rate = Decimal(1)
    else:
        rate = to_decimal(doc.get("ExchangeRate"), "ExchangeRate")
        if rate is None:
            raise missing("ExchangeRate")
        if rate <= 0:
            raise business("ExchangeRate must be greater than zero.", "ExchangeRate")
    if company.multicurrency:
        doc["ExchangeRate"] = rate
    else:
        doc.pop("ExchangeRate", None)
    return rate


def _home_amounts(company, doc, rate):
    if not company.multicurrency:
        return
    doc["HomeTotalAmt"] = money(to_decimal(doc["TotalAmt"], "TotalAmt") * rate)
    if "Balance" in doc:
        doc["HomeBalance"] = money(to_decimal(doc["Balance"], "Balance") * rate)


def _due_date(company, doc, term_field, default_term):
    """``DueDate`` as given, else from the term (``SalesTermRef``; the party's term by default)."""
    due = _date(doc.get("DueDate"), "DueDate")
    if due is None:
        term = lookup(company, "Term", doc.get(term_field) or default_term, term_field)
        txn_date = date.fromisoformat(doc["TxnDate"])
        due = _term_due(term, txn_date).isoformat() if term else txn_date.isoformat()
        if term:
            doc[term_field] = {"value": str(term["Id"]), "name": term.get("Name", "")}
    else:
        lookup(company, "Term", doc.get(term_field), term_field)
    doc["DueDate"] = due


def _term_due(term, txn_date):
    if term.get("DueDays") not in (None, ""):
        return txn_date + timedelta(days=int(term["DueDays"]))
    day = int(term.get("DayOfMonthDue") or 1)
    year, month = txn_date.year, txn_date.month
    due = _month_day(year, month, day)
    if due <= txn_date + timedelta(days=int(term.get("DueNextMonthDays") or 0)):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        due = _month_day(year, month, day)
    return due


def _month_day(year, month, day):
    next_month = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, min(day, (next_month - timedelta(days=1)).day))


# ---- Lines ----

def _line_ids(doc, previous):
    """Give every line (but the SubTotal) an ``Id`` and ``LineNum``: known Ids are kept."""
    known = {str(line.get("Id")) for line in (previous or {}).get("Line") or [] if line.get("Id")}
    used = {int(value) for value in known if value.isdigit()}
    next_id = max(used, default=0) + 1
    position = 0
    for line in doc["Line"]:
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        position += 1
        line["LineNum"] = position
        if str(line.get("Id") or "") not in known:
            line["Id"] = str(next_id)
            next_id += 1


def _quantity_amount(line, detail, element):
    """Return a line's ``Amount``, checked against ``Qty * UnitPrice``.

    Strict: when both Qty and UnitPrice are given, Amount must equal round(Qty * UnitPrice, 2)
    (6070). A 0 Qty or UnitPrice is python-quickbooks' default and is read as unset.
    """
    qty = to_decimal(detail.get("Qty"), f"{element}.Qty")
    price = to_decimal(detail.get("UnitPrice"), f"{element}.UnitPrice")
    amount = to_decimal(line.get("Amount"), "Line.Amount")
    if qty and price:
        product = cents(qty * price)
        if amount is None:
            amount = product
        elif amount != product:
            raise QboFault("6070", f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount:,}",
                           "Line.Amount", message="Amount calculation incorrect in the request.")
    if amount is None:
        raise missing("Line.Amount")
    return cents(amount)


def _sales_lines(company, entity, doc):
    """Check sales lines; return ``([(detail, net)] of the counted lines, discount)`` and rebuild
    ``Line``: the lines as sent, then the server's SubTotal line, then the discount line.

    Strict: a line without ``ItemRef`` is documentation (Intuit: "its Amount is ignored").
    """
    lines = doc.get("Line")
    if not lines:
        raise missing("Line")
    counted, kept, discount_line = [], [], None
    for line in lines:
        detail_type = line.get("DetailType")
        if detail_type == "SubTotalLineDetail":
            continue
        if detail_type == "SalesItemLineDetail":
            detail = line.setdefault("SalesItemLineDetail", {})
            amount = _quantity_amount(line, detail, "SalesItemLineDetail")
            line["Amount"] = money(amount)
            if ref_value(detail.get("ItemRef")) is not None:
                item = lookup(company, "Item", detail["ItemRef"], "SalesItemLineDetail.ItemRef")
                detail["ItemRef"] = {"value": str(item["Id"]), "name": item.get("Name", "")}
                _check_refs(company, detail, {"ClassRef": "Class", "ItemAccountRef": "Account"})
                if amount < 0 and entity == "Invoice":
                    raise business("Invoice lines cannot have a negative amount: use a credit memo.", "Line.Amount")
                counted.append((detail, amount))
        elif detail_type == "DiscountLineDetail":
            if discount_line is not None:
                raise business("A transaction can have only one discount line.", "Line")
            discount_line = line
            continue
        elif detail_type == "DescriptionOnly":
            line.pop("Amount", None)
        elif detail_type is None:
            raise missing("Line.DetailType")
        else:
            raise QboFault("2010", f"Request has invalid or unsupported property : DetailType={detail_type}",
                           "Line.DetailType")
        kept.append(line)
    subtotal = sum((amount for _detail, amount in counted), Decimal(0))
    kept.append({"Amount": money(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    discount = Decimal(0)
    if discount_line is not None:
        discount = _discount(company, discount_line, subtotal)
        kept.append(discount_line)
    doc["Line"] = kept
    return counted, discount


def _discount(company, line, subtotal):
    """A transaction discount: ``PercentBased`` with ``DiscountPercent`` (8.5 is 8.5 %) of the
    subtotal, or a fixed ``Amount``; never more than the subtotal."""
    detail = line.setdefault("DiscountLineDetail", {})
    lookup(company, "Account", detail.get("DiscountAccountRef"), "DiscountLineDetail.DiscountAccountRef")
    if detail.get("PercentBased"):
        percent = to_decimal(detail.get("DiscountPercent"), "DiscountLineDetail.DiscountPercent")
        if percent is None:
            raise missing("DiscountLineDetail.DiscountPercent")
        if not 0 <= percent <= 100:
            raise business("DiscountPercent must be between 0 and 100.", "DiscountLineDetail.DiscountPercent")
        amount = cents(subtotal * percent / 100)
    else:
        amount = cents(_amount(line.get("Amount"), "Line.Amount"))
        if amount > subtotal:
            raise business(f"The discount ({amount}) cannot be more than the subtotal ({subtotal}).", "Line.Amount")
    line["Amount"] = money(amount)
    return amount


def _expense_lines(company, doc):
    """Check Bill, VendorCredit and Purchase lines; return ``[(detail, net)]`` of the lines."""
    lines = doc.get("Line")
    if not lines:
        raise missing("Line")
    counted = []
    for line in lines:
        detail_type = line.get("DetailType")
        if detail_type == "AccountBasedExpenseLineDetail":
            detail = line.setdefault(detail_type, {})
            amount = cents(_amount(line.get("Amount"), "Line.Amount", negative=True))
            account = lookup(company, "Account", detail.get("AccountRef"), "AccountRef", required=True)
            detail["AccountRef"] = {"value": str(account["Id"]), "name": account.get("Name", "")}
        elif detail_type == "ItemBasedExpenseLineDetail":
            detail = line.setdefault(detail_type, {})
            amount = _quantity_amount(line, detail, detail_type)
            item = lookup(company, "Item", detail.get("ItemRef"), "ItemRef", required=True)
            detail["ItemRef"] = {"value": str(item["Id"]), "name": item.get("Name", "")}
        elif detail_type is None:
            raise missing("Line.DetailType")
        else:
            raise QboFault("2010", f"Request has invalid or unsupported property : DetailType={detail_type}",
                           "Line.DetailType")
        status = detail.get("BillableStatus")
        if status not in (None, "") and status not in BILLABLE_STATUSES:
            raise invalid_enum("BillableStatus", status, BILLABLE_STATUSES)
        customer = lookup_party(company, detail, "CustomerRef", "Customer", required=False)
        if status == "Billable" and customer is None:
            raise missing("CustomerRef")
        _check_refs(company, detail, {"ClassRef": "Class"})
        check_project(company, line)
        line["Amount"] = money(amount)
        counted.append((detail, amount))
    return counted


def _explicit_tax(company, entity, doc, previous, preparer):
    """Return the tax amount the request imposes, or ``None`` to let the server compute it.

    A ``TotalTax`` other than 0 is explicit. On update, a ``TotalTax`` equal to the stored one
    is the stored value sent back (full update after a read, or a sparse update's merge): it stays
    explicit only if the stored tax was itself explicit; otherwise tax is recomputed. A company
    whose ``explicit_tax`` switch is off ignores it: the tax is always computed.
    """
    requested = to_decimal((doc.get("TxnTaxDetail") or {}).get("TotalTax"), "TxnTaxDetail.TotalTax")
    if not requested or not company.explicit_tax:
        return None
    if previous is None:
        return requested
    stored = to_decimal((previous.get("TxnTaxDetail") or {}).get("TotalTax"), "TxnTaxDetail.TotalTax")
    if requested != stored:
        return requested
    recomputed = copy.deepcopy(previous)
    recomputed["TxnTaxDetail"] = {"TxnTaxCodeRef": (previous.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")}
    try:
        preparer(company, entity, recomputed, None, honour_tax=False)
    except QboFault:  # the stored version no longer computes (e.g. an item made inactive): recompute
        return None
    computed = to_decimal(recomputed.get("TxnTaxDetail", {}).get("TotalTax"), "TotalTax")
    return requested if computed != stored else None


# ---- Sales forms ----

def _prepare_sales(company, entity, doc, previous, honour_tax=True):
    customer = lookup_party(company, doc, "CustomerRef", "Customer", required=entity not in RECEIPTS)
    rate = _currency(company, doc, customer)
    _check_refs(company, doc, {"ClassRef": "Class", "DepartmentRef": "Department",
                               "PaymentMethodRef": "PaymentMethod"})
    check_project(company, doc)
    # A refund is paid from an account: Intuit requires it on a RefundReceipt.
    _account(company, doc, "DepositToAccountRef", ("Bank", "Other Current Asset"),
             required=entity == "RefundReceipt")
    counted, discount = _sales_lines(company, entity, doc)
    _line_ids(doc, previous)
    explicit = _explicit_tax(company, entity, doc, previous, _prepare_sales) if honour_tax else None
    total = compute_tax(company, doc, counted, discount, "sales", explicit)
    if total < 0:
        raise business(f"The {_label(entity).lower()} total cannot be negative.", "TotalAmt")
    doc["TotalAmt"] = money(total)
    if entity == "Invoice":
        _due_date(company, doc, "SalesTermRef", customer.get("SalesTermRef"))
        deposit = cents(_amount(doc.get("Deposit"), "Deposit", required=False) or Decimal(0))
        if deposit > total:
            raise business("The deposit cannot be more than the invoice total.", "Deposit")
        if deposit:
            doc["Deposit"] = money(deposit)
        _settle(company, entity, doc, previous, total - deposit)
    elif entity == "CreditMemo":
        _settle(company, entity, doc, previous, total)
        doc["RemainingCredit"] = doc["Balance"]
    elif entity in RECEIPTS:
        doc["Balance"] = money(0)
    else:  # an estimate has no balance
        doc.pop("Balance", None)
        doc.pop("HomeBalance", None)
    _home_amounts(company, doc, rate)


def _prepare_invoice(company, entity, doc, previous):
    """Invoice: a sales form with a balance, plus the estimates and time it links."""
    _prepare_sales(company, entity, doc, previous)
    _source_links(company, doc, previous)


def _prepare_estimate(company, entity, doc, previous):
    """Estimate: a sales form without balance (lines, discount, tax and currency as an invoice's)
    with a ``TxnStatus``: Pending (the default), Accepted, Closed or Rejected (2170 otherwise). Its
    ``LinkedTxn`` lists the invoices linking it, whatever the request says.

    Strict: while an invoice links it, the estimate stays Closed and keeps its customer (6000).
    """
    _prepare_sales(company, entity, doc, previous)
    for field in ("ExpirationDate", "AcceptedDate"):
        value = _date(doc.get(field), field)
        if value is None:
            doc.pop(field, None)
        else:
            doc[field] = value
    email_status = doc.get("EmailStatus")
    if email_status is not None and email_status not in EMAIL_STATUSES:
        raise invalid_enum("EmailStatus", email_status, EMAIL_STATUSES)
    invoices = _linking(company, entity, (previous or {}).get("Id"), {})
    status = doc.get("TxnStatus") or ("Closed" if invoices else "Pending")
    if status not in ESTIMATE_STATUSES:
        raise invalid_enum("TxnStatus", status, ESTIMATE_STATUSES)
    if invoices:
        invoice_ids = ", ".join(invoice["Id"] for invoice in invoices)
        if status != "Closed":
            raise business(f"This estimate is closed by invoice {invoice_ids}: change or delete the invoice "
                           "before you change its status.", "TxnStatus")
        if ref_value(doc.get("CustomerRef")) != ref_value(previous.get("CustomerRef")):
            raise business(f"This estimate is linked to invoice {invoice_ids}: its customer cannot change.",
                           "CustomerRef")
    doc["TxnStatus"] = status
    _invoice_links(doc, invoices)


def _source_links(company, invoice, previous):
    """Check the estimates and time an invoice links (on the invoice or on its lines) and list each
    once in the invoice's own ``LinkedTxn``, before its payments, as QuickBooks shows them.

    Strict (6000): the estimate must be the invoice customer's and neither Closed nor Rejected; the
    time must be Billable and for the invoice's customer (or its ``ProjectRef``). A link the invoice
    already had stays whatever the status says: the invoice itself closed or billed it.
    """
    linked = _source_keys(previous)
    found = []
    for holder in [invoice] + list(invoice.get("Line") or []):
        for link in holder.get("LinkedTxn") or []:
            if link.get("TxnType") in SOURCE_TYPES:
                key = _check_source(company, invoice, link, linked)
                if key not in found:
                    found.append(key)
    others = [link for link in invoice.get("LinkedTxn") or [] if link.get("TxnType") not in SOURCE_TYPES]
    invoice["LinkedTxn"] = [{"TxnId": txn_id, "TxnType": txn_type} for txn_type, txn_id in found] + others
    if not invoice["LinkedTxn"]:
        invoice.pop("LinkedTxn")


def _check_source(company, invoice, link, linked):
    """Check one estimate or time link of an invoice; return its ``(TxnType, TxnId)``."""
    txn_type, txn_id = link["TxnType"], ref_value(link.get("TxnId"))
    if txn_id is None:
        raise missing("LinkedTxn.TxnId")
    link["TxnId"] = txn_id
    source = company.get(txn_type, txn_id)
    if source is None:
        raise QboFault("610", DELETED_TXN_DETAIL, "LinkedTxn.TxnId")
    key = (txn_type, txn_id)
    customer = ref_value(source.get("CustomerRef"))
    if txn_type == "Estimate":
        if customer != ref_value(invoice.get("CustomerRef")):
            raise business(f"Estimate {txn_id} belongs to another customer.", "LinkedTxn")
        status = source.get("TxnStatus")
        if status in ("Closed", "Rejected") and key not in linked:
            raise business(f"Estimate {txn_id} is {status}: an invoice can only link a pending or accepted "
                           "estimate.", "LinkedTxn")
    else:
        if customer is None or customer not in (ref_value(invoice.get("CustomerRef")),
                                                ref_value(invoice.get("ProjectRef"))):
            raise business(f"Time activity {txn_id} is not for the customer of this invoice.", "LinkedTxn")
        status = source.get("BillableStatus")
        if status != "Billable" and key not in linked:
            raise business(f"Time activity {txn_id} is {status}: only billable time can be billed.", "LinkedTxn")
    return key


def _settle(company, entity, doc, previous, open_amount):
    """Set ``Balance`` and the payment ``LinkedTxn`` of a document that payments may settle."""
    applications = _applications(company, entity, previous["Id"], {}) if previous is not None else []
    applied = sum((amount for _source, amount in applications), Decimal(0))
    if applications:
        party_field = "VendorRef" if SETTLED_BY[entity] == "BillPayment" else "CustomerRef"
        if ref_value(doc.get(party_field)) != ref_value(previous.get(party_field)):
            raise business(f"The {party_field[:-3].lower()} of a {_label(entity).lower()} with payments applied "
                           "cannot change.", party_field)
        if open_amount < applied:
            raise business(f"The {_label(entity).lower()} total cannot be less than the {applied} already "
                           "applied to it.", "TotalAmt")
    doc["Balance"] = money(open_amount - applied)
    doc["LinkedTxn"] = _links(entity, doc.get("LinkedTxn"), applications)
    if not doc["LinkedTxn"]:
        doc.pop("LinkedTxn")


def _links(entity, current, applications):
    """``LinkedTxn`` of a settled document: its own links plus one per payment applied."""
    source = SETTLED_BY[entity]
    kept = [link for link in current or [] if link.get("TxnType") not in _link_types(source)]
    added = []
    for payment, _amount in applications:
        link = {"TxnId": str(payment["Id"]), "TxnType": _link_type(source, payment)}
        if link not in added:
            added.append(link)
    return kept + sorted(added, key=lambda link: int(link["TxnId"]) if link["TxnId"].isdigit() else 0)


def _link_types(source):
    return ("Payment",) if source == "Payment" else ("BillPaymentCheck", "BillPaymentCreditCard")


def _link_type(source, payment):
    # Intuit documents BillPaymentCheck on Bill.LinkedTxn; BillPaymentCreditCard for a credit-card
    # bill payment follows the same naming (not verified).
    if source == "Payment":
        return "Payment"
    return "BillPaymentCreditCard" if payment.get("PayType") == "CreditCard" else "BillPaymentCheck"


# ---- Expenses ----

def _prepare_expense(company, entity, doc, previous, honour_tax=True):
    if entity == "Purchase":
        party = _purchase_party(company, doc)
        _purchase_account(company, doc)
    else:
        party = lookup_party(company, doc, "VendorRef", "Vendor", required=True)
        _ap_account(company, doc)
    rate = _currency(company, doc, party)
    if entity == "Purchase":
        account = company.get("Account", ref_value(doc["AccountRef"]))
        account_code = ref_value(account.get("CurrencyRef")) or company.home_currency
        if account_code != ref_value(doc["CurrencyRef"]):
            raise business(f"The currency of {account.get('Name')} ({account_code}) must be the transaction "
                           "currency.", "CurrencyRef")
    _check_refs(company, doc, {"DepartmentRef": "Department", "PaymentMethodRef": "PaymentMethod"})
    check_project(company, doc)
    counted = _expense_lines(company, doc)
    _line_ids(doc, previous)
    explicit = _explicit_tax(company, entity, doc, previous, _prepare_expense) if honour_tax else None
    total = compute_tax(company, doc, counted, Decimal(0), "purchase", explicit)
    if total < 0:
        raise business(f"The {_label(entity).lower()} total cannot be negative.", "TotalAmt")
    doc["TotalAmt"] = money(total)
    if entity == "Bill":
        vendor_term = party.get("TermRef")
        _due_date(company, doc, "SalesTermRef", vendor_term)
    if entity in SETTLED_BY:
        _settle(company, entity, doc, previous, total)
    _home_amounts(company, doc, rate)


def _ap_account(company, doc):
    """``APAccountRef`` as given (an Accounts Payable account) or the company's AP account."""
    if ref_value(doc.get("APAccountRef")) is None:
        account = _first_account(company, "Accounts Payable")
        if account is None:
            raise missing("APAccountRef")
        doc["APAccountRef"] = {"value": str(account["Id"]), "name": account.get("Name", "")}
    _account(company, doc, "APAccountRef", ("Accounts Payable",), required=True)


def _purchase_party(company, doc):
    """Optional ``EntityRef`` of type Vendor, Customer or Employee (python-quickbooks sends an
    empty type: then the Id is looked up as a Vendor, a Customer, then an Employee)."""
    ref = doc.get("EntityRef")
    if ref_value(ref) is None:
        doc.pop("EntityRef", None)
        return None
    kind = ref.get("type") or next(
        (kind for kind in ("Vendor", "Customer", "Employee") if company.get(kind, ref_value(ref))), "Vendor")
    if kind not in ("Vendor", "Customer", "Employee"):
        raise invalid_enum("EntityRef.type", kind, ("Vendor", "Customer", "Employee"))
    party = lookup(company, kind, ref, "EntityRef")
    doc["EntityRef"] = {"value": str(party["Id"]), "name": party.get("DisplayName", ""), "type": kind}
    return party if kind in ("Vendor", "Customer") else None


def _purchase_account(company, doc):
    """``PaymentType`` Cash or Check pays from a Bank account, CreditCard from a Credit Card account;
    ``Credit`` (a refund) exists only for credit cards."""
    payment_type = doc.get("PaymentType")
    if payment_type in (None, ""):
        raise missing("PaymentType")
    if payment_type not in ("Cash", "Check", "CreditCard"):
        raise invalid_enum("PaymentType", payment_type, ("Cash", "Check", "CreditCard"))
    account_type = "Credit Card" if payment_type == "CreditCard" else "Bank"
    _account(company, doc, "AccountRef", (account_type,), required=True)
    if doc.get("Credit") and payment_type != "CreditCard":
        raise business("Only a credit card purchase can be a credit (refund).", "Credit")


# ---- Payments ----

def _prepare_payment(company, entity, doc, previous):
    """Payment and BillPayment: amount required (6000), lines applied to open documents of the
    same party and currency, never more than their open balance (strict)."""
    customer_side = entity == "Payment"
    party_field, party_entity = ("CustomerRef", "Customer") if customer_side else ("VendorRef", "Vendor")
    party = lookup_party(company, doc, party_field, party_entity, required=True)
    rate = _currency(company, doc, party)
    total = to_decimal(doc.get("TotalAmt"), "TotalAmt")
    if total is None:
        raise business("You must set a transaction amount.", "TotalAmt")
    if total < 0:
        raise business("The payment amount cannot be negative.", "TotalAmt")
    total = cents(total)
    doc["TotalAmt"] = money(total)
    if customer_side:
        _payment_accounts(company, doc)
    else:
        _bill_payment_accounts(company, doc)
        if not doc.get("Line"):
            raise missing("Line")
    applied = _apply_lines(company, entity, doc, previous, party_field)
    if applied > total:
        raise business(f"The amount applied ({applied}) is more than the payment amount ({total}).", "TotalAmt")
    if customer_side:
        doc["UnappliedAmt"] = money(total - applied)
    _home_amounts(company, doc, rate)


def _payment_accounts(company, doc):
    if ref_value(doc.get("DepositToAccountRef")) is None:
        account = _first_account(company, "Other Current Asset", "UndepositedFunds")
        if account is not None:
            doc["DepositToAccountRef"] = {"value": str(account["Id"]), "name": account.get("Name", "")}
    _account(company, doc, "DepositToAccountRef", ("Bank", "Other Current Asset"))
    _account(company, doc, "ARAccountRef", ("Accounts Receivable",))
    _check_refs(company, doc, {"PaymentMethodRef": "PaymentMethod"})
    check_project(company, doc)


def _bill_payment_accounts(company, doc):
    pay_type = doc.get("PayType")
    if pay_type in (None, ""):
        raise missing("PayType")
    if pay_type == "Check":
        _account(company, doc.get("CheckPayment") or {}, "BankAccountRef", ("Bank",), required=True)
        doc.pop("CreditCardPayment", None)
    elif pay_type == "CreditCard":
        _account(company, doc.get("CreditCardPayment") or {}, "CCAccountRef", ("Credit Card",), required=True)
        doc.pop("CheckPayment", None)
    else:
        raise invalid_enum("PayType", pay_type, ("Check", "CreditCard"))
    _account(company, doc, "APAccountRef", ("Accounts Payable",))


def _apply_lines(company, entity, doc, previous, party_field):
    """Check the applied lines; return the net amount applied (invoices/bills minus credits)."""
    previous_applied = _applied_by(entity, previous)
    requested = {}  # (entity, id) -> amount
    for line in doc.get("Line") or []:
        amount = cents(_amount(line.get("Amount"), "Line.Amount"))
        line["Amount"] = money(amount)
        links = line.get("LinkedTxn") or []
        if len(links) != 1:
            raise business("Each payment line must link exactly one transaction (LinkedTxn).", "Line.LinkedTxn")
        link = links[0]
        target_entity, target_id = link.get("TxnType"), str(link.get("TxnId") or "")
        if target_entity not in APPLIES_TO[entity]:
            raise invalid_enum("LinkedTxn.TxnType", target_entity, APPLIES_TO[entity])
        target = company.get(target_entity, target_id)
        if target is None:
            raise QboFault("610", DELETED_TXN_DETAIL, "LinkedTxn.TxnId")
        if ref_value(target.get(party_field)) != ref_value(doc[party_field]):
            raise business(f"{_label(target_entity)} {target_id} belongs to another "
                           f"{party_field[:-3].lower()}.", "LinkedTxn")
        if ref_value(target.get("CurrencyRef")) != ref_value(doc["CurrencyRef"]):
            raise business(f"{_label(target_entity)} {target_id} is in another currency.", "LinkedTxn")
        link["TxnId"] = target_id
        key = (target_entity, target_id)
        requested[key] = requested.get(key, Decimal(0)) + amount
    applied = Decimal(0)
    for (target_entity, target_id), amount in requested.items():
        target = company.get(target_entity, target_id)
        available = to_decimal(target.get("Balance"), "Balance") + previous_applied.get((target_entity, target_id), 0)
        if amount > available:
            raise business(f"The amount applied to {_label(target_entity).lower()} {target_id} ({amount}) is more "
                           f"than its open balance ({cents(available)}).", "Line.Amount")
        applied += -amount if target_entity in CREDITS else amount
    return applied


def _applied_by(entity, payment):
    """``{(entity, id): amount}`` a payment document applies."""
    applied = {}
    for line in (payment or {}).get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") in APPLIES_TO.get(entity, ()):
                key = (link["TxnType"], str(link.get("TxnId")))
                applied[key] = applied.get(key, Decimal(0)) + (to_decimal(line.get("Amount"), "Amount") or 0)
    return applied


# ---- Deposits and journal entries ----

def _prepare_deposit(company, entity, doc, previous):
    """Deposit: to a Bank or Other Current Asset account; lines deposit a whole Payment or Sales
    Receipt (``LinkedTxn``, not already on another deposit) or an amount from an account."""
    _account(company, doc, "DepositToAccountRef", ("Bank", "Other Current Asset"), required=True)
    rate = _currency(company, doc, None)
    if not doc.get("Line"):
        raise missing("Line")
    total = Decimal(0)
    for line in doc["Line"]:
        amount = cents(_amount(line.get("Amount"), "Line.Amount"))
        line["Amount"] = money(amount)
        links = line.get("LinkedTxn") or []
        if links:
            _deposit_link(company, (previous or {}).get("Id"), links, amount)
        else:
            detail = line.get("DepositLineDetail") or {}
            lookup(company, "Account", detail.get("AccountRef"), "DepositLineDetail.AccountRef", required=True)
            line["DetailType"] = "DepositLineDetail"
        total += amount
    _line_ids(doc, previous)
    doc["TotalAmt"] = money(total)
    _home_amounts(company, doc, rate)


def _deposit_link(company, deposit_id, links, amount):
    if len(links) != 1 or links[0].get("TxnType") not in ("Payment", "SalesReceipt"):
        raise business("A deposit line links exactly one Payment or SalesReceipt.", "Line.LinkedTxn")
    source_entity, source_id = links[0]["TxnType"], str(links[0].get("TxnId") or "")
    source = company.get(source_entity, source_id)
    if source is None:
        raise QboFault("610", DELETED_TXN_DETAIL, "LinkedTxn.TxnId")
    other = _deposit_of(company, source_entity, source_id, {})
    if other is not None and other["Id"] != deposit_id:
        raise QboFault("6540", DEPOSITED_DETAIL, "LinkedTxn")
    if to_decimal(source.get("TotalAmt"), "TotalAmt") != amount:
        raise business(f"The deposit line must deposit the whole {source_entity} ({source.get('TotalAmt')}).",
                       "Line.Amount")


def _prepare_journal_entry(company, entity, doc, previous):
    """JournalEntry: debits equal credits; an A/R line names a customer, an A/P line a vendor."""
    rate = _currency(company, doc, None)
    if not doc.get("Line"):
        raise missing("Line")
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    for line in doc["Line"]:
        if line.get("DetailType") == "DescriptionOnly":
            continue
        detail = line.get("JournalEntryLineDetail")
        if line.get("DetailType") != "JournalEntryLineDetail" or detail is None:
            raise missing("JournalEntryLineDetail")
        amount = cents(_amount(line.get("Amount"), "Line.Amount"))
        line["Amount"] = money(amount)
        posting = detail.get("PostingType")
        if posting not in totals:
            raise invalid_enum("PostingType", posting, tuple(totals))
        account = lookup(company, "Account", detail.get("AccountRef"), "AccountRef", required=True)
        entity_ref = (detail.get("Entity") or {}).get("EntityRef")
        entity_type = (detail.get("Entity") or {}).get("Type")
        if entity_ref is not None:
            if entity_type not in ("Customer", "Vendor", "Employee"):
                raise invalid_enum("Entity.Type", entity_type, ("Customer", "Vendor", "Employee"))
            lookup(company, entity_type, entity_ref, "Entity.EntityRef")
        for account_type, needed in (("Accounts Receivable", "Customer"), ("Accounts Payable", "Vendor")):
            if account.get("AccountType") == account_type and (entity_ref is None or entity_type != needed):
                raise business(f"When you use {account_type}, you must choose a {needed.lower()} in the "
                               "Name field.", "Entity")
        _check_refs(company, detail, {"ClassRef": "Class", "DepartmentRef": "Department"})
        totals[posting] += amount
    if totals["Debit"] != totals["Credit"]:
        raise business(f"Debits ({totals['Debit']}) and credits ({totals['Credit']}) must be equal.", "Line")
    _line_ids(doc, previous)
    doc["TotalAmt"] = money(totals["Debit"])
    _home_amounts(company, doc, rate)


PREPARERS = {
    "Invoice": _prepare_invoice, "CreditMemo": _prepare_sales, "SalesReceipt": _prepare_sales,
    "RefundReceipt": _prepare_sales, "Estimate": _prepare_estimate, "TimeActivity": time_activity.prepare,
    "Bill": _prepare_expense, "VendorCredit": _prepare_expense, "Purchase": _prepare_expense,
    "Payment": _prepare_payment, "BillPayment": _prepare_payment,
    "Deposit": _prepare_deposit, "JournalEntry": _prepare_journal_entry,
}


# ---- Links and balances (recomputed from the store; ``pending`` overrides it) ----

def _documents(company, entity, field, value, pending):
    """Documents of ``entity`` that may have ``value`` in ``field`` (``Company.find``; callers check
    the value), with ``pending`` ``{(entity, id): doc or None}`` applied."""
    for doc in company.find(entity, field, value):
        if (entity, doc["Id"]) not in pending:
            yield doc
    for (pending_entity, _doc_id), doc in pending.items():
        if pending_entity == entity and doc is not None:
            yield doc


def _applications(company, entity, doc_id, pending):
    """``[(payment, amount)]`` the non-voided payments apply to a document."""
    if entity not in SETTLED_BY or doc_id is None:
        return []
    source = SETTLED_BY[entity]
    result = []
    for payment in _documents(company, source, "Line.LinkedTxn", (entity, str(doc_id)), pending):
        amount = _applied_by(source, payment).get((entity, str(doc_id)))
        if amount:
            result.append((payment, amount))
    return result


def _deposit_of(company, entity, doc_id, pending):
    for deposit in _documents(company, "Deposit", "Line.LinkedTxn", (entity, str(doc_id)), pending):
        for line in deposit.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == entity and str(link.get("TxnId")) == str(doc_id):
                    return deposit
    return None


def _refresh_links(company, entity, payments, pending):
    """Recompute ``Balance``/``LinkedTxn`` of the documents the given payment versions link."""
    if entity not in APPLIES_TO:
        return
    targets = {}
    for payment in payments:
        targets.update(dict.fromkeys(_applied_by(entity, payment)))
    for target_entity, target_id in targets:
        stored = company.get(target_entity, target_id)
        if stored is None:
            continue
        target = copy.deepcopy(stored)
        applications = _applications(company, target_entity, target_id, pending)
        applied = sum((amount for _payment, amount in applications), Decimal(0))
        total = to_decimal(target.get("TotalAmt"), "TotalAmt") - (to_decimal(target.get("Deposit"), "Deposit") or 0)
        target["Balance"] = money(total - applied)
        if target_entity == "CreditMemo":
            target["RemainingCredit"] = target["Balance"]
        target["LinkedTxn"] = _links(target_entity, target.get("LinkedTxn"), applications)
        if not target["LinkedTxn"]:
            target.pop("LinkedTxn")
        rate = to_decimal(target.get("ExchangeRate"), "ExchangeRate") or Decimal(1)
        _home_amounts(company, target, rate)
        if target != stored:
            company.touch(target_entity, target)


def _source_keys(doc):
    """``[(TxnType, TxnId)]`` of the estimates and time a document links (in its own ``LinkedTxn``)."""
    return [(link["TxnType"], str(link.get("TxnId"))) for link in (doc or {}).get("LinkedTxn") or []
            if link.get("TxnType") in SOURCE_TYPES]


def _drop_source_links(doc):
    """Remove the estimate and time links of a document and of its lines."""
    for holder in [doc] + list(doc.get("Line") or []):
        if holder.get("LinkedTxn"):
            holder["LinkedTxn"] = [link for link in holder["LinkedTxn"] if link.get("TxnType") not in SOURCE_TYPES]
            if not holder["LinkedTxn"]:
                holder.pop("LinkedTxn")


def _linking(company, txn_type, txn_id, pending):
    """The invoices linking an estimate or a time activity, oldest first."""
    if txn_type not in SOURCE_TYPES or txn_id is None:
        return []
    key = (txn_type, str(txn_id))
    return sorted((invoice for invoice in _documents(company, "Invoice", "LinkedTxn", key, pending)
                   if key in _source_keys(invoice)), key=_creation_order)


def _refresh_sources(company, entity, keys, pending):
    """Bring the estimates and time an invoice links or linked (``keys``) in line with the invoices
    linking them now: an estimate's ``LinkedTxn`` and ``TxnStatus``, the ``BillableStatus`` of time."""
    if entity != "Invoice":
        return
    for txn_type, txn_id in dict.fromkeys(keys):
        stored = company.get(txn_type, txn_id)
        if stored is None:
            continue
        source = copy.deepcopy(stored)
        invoices = _linking(company, txn_type, txn_id, pending)
        if txn_type == "Estimate":
            _close_estimate(source, invoices)
        else:
            time_activity.set_billed(source, bool(invoices))
        if source != stored:
            company.touch(txn_type, source)


def _close_estimate(estimate, invoices):
    """An estimate invoices link is Closed and lists them; once none does it is open again.

    Strict: QuickBooks does not say which status a re-opened estimate gets, and the sandbox keeps no
    former status: Accepted when ``AcceptedDate`` or ``AcceptedBy`` says it was accepted, else Pending.
    """
    was_linked = any(link.get("TxnType") == "Invoice" for link in estimate.get("LinkedTxn") or [])
    _invoice_links(estimate, invoices)
    if invoices:
        estimate["TxnStatus"] = "Closed"
    elif was_linked:
        estimate["TxnStatus"] = "Accepted" if estimate.get("AcceptedDate") or estimate.get("AcceptedBy") else "Pending"


def _invoice_links(estimate, invoices):
    """An estimate's ``LinkedTxn``: one link per invoice linking it."""
    estimate["LinkedTxn"] = [{"TxnId": invoice["Id"], "TxnType": "Invoice"} for invoice in invoices]
    if not estimate["LinkedTxn"]:
        estimate.pop("LinkedTxn")


def _refresh_parties(company, entity, versions, pending):
    """Recompute the ``Balance`` of the customers or vendors of the given document versions."""
    if entity in ("Invoice", "CreditMemo", "Payment"):
        party_field, party_entity = "CustomerRef", "Customer"
    elif entity in ("Bill", "VendorCredit", "BillPayment"):
        party_field, party_entity = "VendorRef", "Vendor"
    else:
        return
    party_ids = {ref_value(version.get(party_field)) for version in versions if version}
    for party_id in party_ids - {None}:
        _set_party_balance(company, party_entity, party_id, pending)


def _set_party_balance(company, party_entity, party_id, pending):
    """Customer: open invoices - open credit memos - unapplied payments. Vendor: open bills - open
    vendor credits - what bill payments paid beyond the bills. ``BalanceWithJobs`` adds sub-customers."""
    if party_entity == "Customer":
        debit, credit, payment, field = "Invoice", "CreditMemo", "Payment", "CustomerRef"
    else:
        debit, credit, payment, field = "Bill", "VendorCredit", "BillPayment", "VendorRef"
    balance = Decimal(0)
    for entity, sign in ((debit, 1), (credit, -1)):
        for doc in _documents(company, entity, field, party_id, pending):
            if ref_value(doc.get(field)) == party_id:
                balance += sign * (to_decimal(doc.get("Balance"), "Balance") or 0)
    for doc in _documents(company, payment, field, party_id, pending):
        if ref_value(doc.get(field)) == party_id:
            applied = sum((amount if key[0] not in CREDITS else -amount
                           for key, amount in _applied_by(payment, doc).items()), Decimal(0))
            balance -= to_decimal(doc.get("TotalAmt"), "TotalAmt") - applied
    party = company.get(party_entity, party_id)
    if party is None:
        return
    party["Balance"] = money(balance)
    if party_entity == "Customer":
        _set_balance_with_jobs(company, party)


def _set_balance_with_jobs(company, customer):
    """``BalanceWithJobs`` of a customer and its parents: own balance plus the sub-customers'."""
    while customer is not None:
        children = [other for other in company.find("Customer", "ParentRef", str(customer["Id"]))
                    if ref_value(other.get("ParentRef")) == str(customer["Id"])]
        total = to_decimal(customer.get("Balance"), "Balance") or Decimal(0)
        for child in children:
            total += to_decimal(child.get("BalanceWithJobs", child.get("Balance")), "Balance") or 0
        customer["BalanceWithJobs"] = money(total)
        parent_id = ref_value(customer.get("ParentRef"))
        customer = company.get("Customer", parent_id) if parent_id else None


# ---- Void ----

def _zero_out(doc):
    """Amounts and quantities to 0, tax included; references and descriptions stay."""
    for line in doc.get("Line") or []:
        if "Amount" in line:
            line["Amount"] = money(0)
        for key, detail in line.items():
            if key.endswith("Detail") and isinstance(detail, dict):
                for field in ("Qty", "TaxInclusiveAmt", "TaxAmount"):
                    if field in detail:
                        detail[field] = 0
    tax_detail = doc.get("TxnTaxDetail")
    if tax_detail:
        tax_detail["TotalTax"] = money(0)
        for tax_line in tax_detail.get("TaxLine") or []:
            tax_line["Amount"] = money(0)
            tax_line.get("TaxLineDetail", {})["NetAmountTaxable"] = money(0)
    for field in ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "UnappliedAmt", "Deposit", "RemainingCredit"):
        if field in doc:
            doc[field] = money(0)
