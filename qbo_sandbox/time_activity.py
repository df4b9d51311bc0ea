"""TimeActivity: time an employee or a vendor worked, as QuickBooks Online keeps it.

A time activity posts nothing to the books (no amount, no balance, no customer or vendor balance
changes); it may be billed to a customer at an hourly rate. ``transactions.prepare`` sets its
``TxnDate`` (today by default) and checks the closed period (Strict: closed books refuse it as they
refuse the transactions that post, 6210), then calls ``prepare`` here. Billing is
QuickBooks' to record: an invoice linking the activity (``LinkedTxn`` of TxnType ``TimeActivity``)
makes it ``HasBeenBilled``, and it is ``Billable`` again once no invoice links it (the invoice
deleted, voided or changed): ``transactions.py`` calls ``set_billed``.
Sources: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/timeactivity
(NameOf with EmployeeRef or VendorRef, Hours or StartTime/EndTime, HourlyRate required when
Billable); a time activity QuickBooks answered with ``BillableStatus: NotBillable``,
``HourlyRate: 0`` and ``Taxable: false`` when none was sent (https://github.com/minimul/qbo_api/issues/16).
Strict readings are marked "Strict".
"""
from datetime import datetime, timedelta

from .faults import QboFault
from .tax import business, check_project, invalid_enum, lookup, lookup_party, missing, ref_value, to_decimal

# NameOf -> the reference that names the worker (and its entity: the same word).
WORKER_REFS = {"Employee": "EmployeeRef", "Vendor": "VendorRef"}
# What a client may set. HasBeenBilled is QuickBooks' to set (2170 "Invalid Enumeration" when a
# request sets it, on expense lines as on time activities).
BILLABLE_STATUSES = ("Billable", "NotBillable")
BILLED = "HasBeenBilled"


def prepare(company, entity, doc, previous):
    """Validate a time activity about to be created (``previous`` None) or updated and fill what
    QuickBooks fills (reference names, ``BillableStatus``, ``HourlyRate``, ``Taxable``).

    :param dict doc: the request (for a sparse update, merged onto the stored record)
    :param dict previous: the stored record before this change, or None
    :raise QboFault: on anything QuickBooks would refuse
    """
    _worker(company, doc)
    customer = lookup_party(company, doc, "CustomerRef", "Customer", required=False)
    check_project(company, doc)
    item = lookup(company, "Item", doc.get("ItemRef"), "ItemRef")
    if item is not None:
        if item.get("Type") != "Service":  # Strict: Intuit documents ItemRef as "the service item"
            raise business(f"Item {item['Id']} is not a service: time is billed with a service item.", "ItemRef")
        doc["ItemRef"] = {"value": str(item["Id"]), "name": item.get("Name", "")}
    for field, target in (("ClassRef", "Class"), ("DepartmentRef", "Department")):
        lookup(company, target, doc.get(field), field)
    _billing(company, doc, previous, customer)
    _duration(company, doc)
    # The invoices billing the time list it in their LinkedTxn; the activity shows no link of its own.
    doc.pop("LinkedTxn", None)
    return doc


def set_billed(activity, billed):
    """Set the status an invoice link gives: ``HasBeenBilled`` while an invoice links the activity,
    ``Billable`` again once none does."""
    if billed:
        activity["BillableStatus"] = BILLED
    elif activity.get("BillableStatus") == BILLED:
        activity["BillableStatus"] = "Billable"


def _worker(company, doc):
    """``NameOf`` Employee or Vendor and the matching reference, both required."""
    name_of = doc.get("NameOf")
    if name_of in (None, ""):
        raise missing("NameOf")
    if name_of not in WORKER_REFS:
        raise invalid_enum("NameOf", name_of, tuple(WORKER_REFS))
    field = WORKER_REFS[name_of]
    lookup_party(company, doc, field, name_of, required=True)
    for other_field in WORKER_REFS.values():
        if other_field != field and ref_value(doc.get(other_field)) is not None:
            # Strict: the other reference is refused rather than dropped.
            raise business(f"A time activity of NameOf {name_of} names its worker in {field}, not {other_field}.",
                           other_field)


def _billing(company, doc, previous, customer):
    """``BillableStatus`` (NotBillable by default), ``HourlyRate`` and ``Taxable``.

    Strict: billable time needs a customer and an ``HourlyRate`` (2020); time an invoice bills keeps
    ``HasBeenBilled`` and its customer until the invoice lets it go (6000).
    """
    billed_by = company.find("Invoice", "LinkedTxn", ("TimeActivity", previous["Id"])) if previous else []
    status = doc.get("BillableStatus") or (BILLED if billed_by else "NotBillable")
    if billed_by:
        invoice_ids = ", ".join(invoice["Id"] for invoice in billed_by)
        if status != BILLED:
            raise business(f"This time is billed on invoice {invoice_ids}: change or delete the invoice before "
                           "you change its BillableStatus.", "BillableStatus")
        if ref_value(doc.get("CustomerRef")) != ref_value(previous.get("CustomerRef")):
            raise business(f"This time is billed on invoice {invoice_ids}: its customer cannot change.",
                           "CustomerRef")
    elif status not in BILLABLE_STATUSES:
        raise invalid_enum("BillableStatus", status, BILLABLE_STATUSES)
    doc["BillableStatus"] = status
    rate = to_decimal(doc.get("HourlyRate"), "HourlyRate")
    if status != "NotBillable":
        if customer is None:
            raise missing("CustomerRef")
        if rate is None:
            raise missing("HourlyRate")
    if rate is not None and rate < 0:
        raise business("HourlyRate cannot be negative.", "HourlyRate")
    doc["HourlyRate"] = rate if rate is not None else 0
    taxable = doc.get("Taxable", False)
    if not isinstance(taxable, bool):
        raise _invalid("Taxable", taxable)
    doc["Taxable"] = taxable


def _duration(company, doc):
    """Either ``Hours`` and ``Minutes`` or ``StartTime`` and ``EndTime`` (with an optional break).

    Strict: whole non-negative numbers, ``Minutes`` and ``BreakMinutes`` below 60 (6000 rather than
    carried into hours); both forms at once are refused; ``EndTime`` after ``StartTime`` and the break
    shorter than the time between them.
    """
    hours, minutes = _whole(doc, "Hours"), _whole(doc, "Minutes", below=60)
    break_hours, break_minutes = _whole(doc, "BreakHours"), _whole(doc, "BreakMinutes", below=60)
    start, end = _moment(company, doc, "StartTime"), _moment(company, doc, "EndTime")
    if start is None and end is None:
        if hours is None and minutes is None:
            raise missing("Hours")
        doc["Hours"], doc["Minutes"] = hours or 0, minutes or 0
        return
    if start is None or end is None:
        raise missing("StartTime" if start is None else "EndTime")
    if hours is not None or minutes is not None:
        raise business("Give the time worked as Hours and Minutes or as StartTime and EndTime, not both.", "Hours")
    if end <= start:
        raise business("EndTime must be after StartTime.", "EndTime")
    if timedelta(hours=break_hours or 0, minutes=break_minutes or 0) >= end - start:
        raise business("The break must be shorter than the time between StartTime and EndTime.", "BreakHours")


def _whole(doc, field, below=None):
    """A whole, non-negative number of hours or minutes (``below`` excluded), or None when unset."""
    value = to_decimal(doc.get(field), field)
    if value is None:
        doc.pop(field, None)
        return None
    if value != value.to_integral_value():
        raise _invalid(field, doc[field])
    if value < 0:
        raise business(f"{field} cannot be negative.", field)
    if below is not None and value >= below:
        raise business(f"{field} must be less than {below}.", field)
    doc[field] = int(value)
    return doc[field]


def _moment(company, doc, field):
    """An ISO date-time; without an offset it is the company's local time (written back with it)."""
    value = doc.get(field)
    if value in (None, ""):
        doc.pop(field, None)
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(field, value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=company.tz)
    doc[field] = moment.isoformat()
    return moment


def _invalid(field, value):
    return QboFault("2010", f"Request has invalid or unsupported property : {field}={value}", field)
