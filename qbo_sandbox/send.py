"""``POST /{entity}/{id}/send[?sendTo=]``: QuickBooks emails a sales form (shared/qbo_api.md 2.6).

The email is captured in the company's outbox, never delivered. The entity comes back with
``EmailStatus: EmailSent`` and ``DeliveryInfo``; ``sendTo`` replaces ``BillEmail``. Sending makes a
new version of the record (SyncToken + 1), as any change of it does.
"""
import re
import threading
import weakref

from .faults import QboFault

SENDABLE_ENTITIES = ("Invoice", "CreditMemo", "Estimate", "Payment", "PurchaseOrder", "RefundReceipt",
                     "SalesReceipt")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")

_OUTBOXES = weakref.WeakKeyDictionary()
_OUTBOXES_LOCK = threading.Lock()


def outbox(company):
    """Return the list of emails ``company`` sent: dicts ``entity``, ``id``, ``to``, ``time``."""
    with _OUTBOXES_LOCK:
        return _OUTBOXES.setdefault(company, [])


def send(company, entity, doc_id, send_to=None):
    """Email a transaction and return its new version.

    :param company: the ``Company``
    :param str entity: the entity name (e.g. ``Invoice``)
    :param str doc_id: its Id
    :param str send_to: the address to send to (replaces ``BillEmail``); ``BillEmail`` when None
    :raise QboFault: 500 for an entity that cannot be sent, 610 for an unknown Id, 2050 for a bad
        address, 6000 when there is no address at all
    """
    if entity not in SENDABLE_ENTITIES:
        raise QboFault("500", f"Operation Send is not supported for {entity}.")
    with company.lock:
        doc = company.get(entity, doc_id)
        if doc is None:
            raise QboFault("610", "Object Not Found : Something you're trying to use has been made inactive. "
                                  "Check the fields with accounts, customers, items, vendors or employees.")
        address = send_to if send_to is not None else (doc.get("BillEmail") or {}).get("Address")
        if not address:
            raise QboFault("6000", "Business Validation Error: There is no email address to send this transaction "
                                   "to. Add one in BillEmail or send it with sendTo.", "BillEmail")
        if not EMAIL.match(address):
            raise QboFault("2050", f"Invalid email address : {address}", "BillEmail")
        moment = company.stamp()
        doc["BillEmail"] = {"Address": address}
        doc["EmailStatus"] = "EmailSent"
        doc["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": moment}
        company.touch(entity, doc, "Emailed")
        outbox(company).append({"entity": entity, "id": doc["Id"], "to": address, "time": moment})
        return doc
