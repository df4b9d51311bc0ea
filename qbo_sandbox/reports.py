"""Reports: ``GET /v3/company/{realmId}/reports/{ReportName}`` for CustomerBalance and VendorBalance.

Answers in Intuit's report shape: ``Header`` (``ReportName``, ``Time``, ``Currency``, the report date in
``Option``), ``Columns`` and ``Rows``: one row per party with an open balance (``ColData``: its name with
its ``id``, the amount), then the ``GrandTotal`` section. Sources:
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/customerbalance and
.../vendorbalance.

A party's balance on ``report_date`` (the company's today when absent) comes from the documents dated up
to that day, in the home currency: a customer's invoices (less their deposits) minus its credit memos
minus its payments; a vendor's bills minus its vendor credits minus its bill payments. On today it is
the ``Balance`` the sandbox keeps on the party. Voided documents count zero (their amounts are).
Honoured query parameters: ``report_date``, ``customer`` / ``vendor`` (ids, comma separated); the others
are ignored. Strict: parties with a zero balance are left out, as Intuit's default report does.
"""
from datetime import date
from decimal import Decimal

from . import jsonutil
from .faults import JSON, QboFault
from .tax import cents, ref_value, to_decimal

# Report -> (party entity, its reference field, (document entity, sign) adding up its balance).
REPORTS = {
    "CustomerBalance": ("Customer", "CustomerRef", (("Invoice", 1), ("CreditMemo", -1), ("Payment", -1))),
    "VendorBalance": ("Vendor", "VendorRef", (("Bill", 1), ("VendorCredit", -1), ("BillPayment", -1))),
}


def run(company, name, args):
    """Return ``(status, headers, body)`` of the report ``name``.

    :raise QboFault: for a report the sandbox does not serve or a bad ``report_date``
    """
    if name not in REPORTS:
        raise QboFault("500", f"Could not find resource for relative : /v3/company/{company.realm_id}/reports/{name}")
    party_entity, field, documents = REPORTS[name]
    report_date = _report_date(company, args.get("report_date"))
    wanted = {value.strip() for value in (args.get(party_entity.lower()) or "").split(",") if value.strip()}
    balances = {}
    for entity, sign in documents:
        for doc in company.all(entity):
            party = ref_value(doc.get(field))
            if party is None or (wanted and party not in wanted) or date.fromisoformat(doc["TxnDate"]) > report_date:
                continue
            amount = (to_decimal(doc.get("TotalAmt"), "TotalAmt") or 0) - (to_decimal(doc.get("Deposit"), "Deposit") or 0)
            rate = to_decimal(doc.get("ExchangeRate"), "ExchangeRate") or 1
            balances[party] = balances.get(party, Decimal(0)) + sign * cents(amount * rate)
    rows = []
    for party_id, balance in sorted(balances.items(), key=lambda item: _name(company, party_entity, item[0])):
        if balance:
            rows.append({"ColData": [{"value": _name(company, party_entity, party_id), "id": party_id},
                                     {"value": f"{balance:.2f}"}]})
    total = sum((balances[party] for party in balances), Decimal(0))
    rows.append({"group": "GrandTotal", "type": "Section",
                 "Summary": {"ColData": [{"value": "TOTAL"}, {"value": f"{total:.2f}"}]}})
    report = {
        "Header": {"Time": company.response_time(), "ReportName": name, "Currency": company.home_currency,
                   "Option": [{"Name": "report_date", "Value": report_date.isoformat()},
                              {"Name": "NoReportData", "Value": "false" if len(rows) > 1 else "true"}]},
        "Columns": {"Column": [{"ColType": party_entity, "ColTitle": ""}, {"ColType": "Money", "ColTitle": "Total"}]},
        "Rows": {"Row": rows},
    }
    return 200, {"Content-Type": JSON}, jsonutil.dumps(report)


def _report_date(company, value):
    if not value:
        return company.now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QboFault("2010", f"Request has invalid or unsupported property : report_date={value}",
                       "report_date") from None


def _name(company, entity, party_id):
    party = company.get(entity, party_id) or {}
    return party.get("DisplayName") or party_id
