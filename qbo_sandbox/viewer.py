"""``GET /app/<page>?txnId=<id>&realmId=<realm>``: a read-only page showing one transaction.

The sandbox's stand-in for the QuickBooks web app page a connector links to
(``https://app.qbo.intuit.com/app/invoice?txnId=130``): the record as the API would return it.
"""
import html
import json

from . import jsonutil

# Web app page -> entity (the pages Intuit's app uses for transactions).
PAGES = {
    "invoice": "Invoice", "creditmemo": "CreditMemo", "bill": "Bill", "vendorcredit": "VendorCredit",
    "salesreceipt": "SalesReceipt", "recvpayment": "Payment", "payment": "Payment", "billpayment": "BillPayment",
    "expense": "Purchase", "journal": "JournalEntry", "deposit": "Deposit", "estimate": "Estimate",
}


def page(state, name, args):
    """Return ``(status, headers, body)`` of the page of one transaction."""
    entity = PAGES.get(name)
    company = state.companies.get(args.get("realmId") or "")
    if entity is None or company is None:
        return _html(404, "Not found", "<p>Unknown page or company (give txnId and realmId).</p>")
    with company.lock:
        doc = company.get(entity, args.get("txnId"))
        text = json.dumps(jsonutil.plain({entity: doc}), indent=2) if doc else None
    if text is None:
        return _html(404, f"{entity} not found", f"<p>No {entity} {html.escape(args.get('txnId') or '')} in "
                                                 f"{html.escape(company.name)}.</p>")
    title = f"{entity} {doc.get('DocNumber') or doc['Id']} - {company.name}"
    return _html(200, title, f"<pre>{html.escape(text)}</pre>")


def _html(status, title, body):
    document = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return status, {"Content-Type": "text/html; charset=utf-8"}, document.encode()
