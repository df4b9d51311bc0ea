from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_move import QboTwoCompaniesCommon
from .common_sandbox import SandboxFaultsMixin


@tagged("post_install", "-at_install")
class TestPullLanes(SandboxFaultsMixin, QboTwoCompaniesCommon):
    """The payment job serves one company per call: a realm that QuickBooks cannot serve for a long
    while never holds another company's payments back."""

    def paid_in_quickbooks(self, move, client):
        """The invoice, exported, is paid in full in its QuickBooks company."""
        self.env["qbo.move.export"]._qbo_cron_export(company=move.company_id)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        customer = client.read("Invoice", move.qbo_id)["CustomerRef"]
        client.create("Payment", {"CustomerRef": customer, "TotalAmt": move.amount_total, "TxnDate": "2019-01-10",
                                  "Line": [{"Amount": move.amount_total,
                                            "LinkedTxn": [{"TxnId": move.qbo_id, "TxnType": "Invoice"}]}]})

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client", "odoo.addons.quickbooks_connector.models.qbo_sync_log")
    def test_realm_down_holds_no_other_company(self):
        """QuickBooks answers 503 to everything of the first company's realm: the job's call that serves
        it logs a retry and ends, the next call serves the second company, whose payment comes in,
        posted and reconciled to the cent; once the realm answers again, the first company's comes too."""
        other = self.other["company"]
        first = self.queued(self.company, [118.45])
        second = self.queued(other, [86.2])
        self.paid_in_quickbooks(first, self.client)
        self.paid_in_quickbooks(second, other._qbo_get_client())
        self.sandbox.inject_fault(status=503, body="<html>Service Unavailable</html>", content_type="text/html",
                                  count=1000, path_contains=f"/company/{self.realm_id}/")
        job = self.env["qbo.payment.pull"]
        for _call in range(2):
            job._cron_qbo_sync_payments()
        self.assertEqual(second.payment_state, "paid")
        paid = self.env["account.payment"].search([("company_id", "=", other.id), ("qbo_id", "!=", False)])
        self.assertEqual((len(paid), paid.amount, paid.state), (1, 86.2, "paid"))
        self.assertEqual(first.payment_state, "not_paid")
        log = self.env["qbo.sync.log"].search([("company_id", "=", self.company.id), ("operation", "=", "read")],
                                             order="id desc", limit=1)
        self.assertEqual((log.status, log.fault_code), ("retry", "503"))
        # The outage is over; at the job's next run the first company's payment comes in.
        self.sandbox.clear_faults()
        job.with_context(lastcall=fields.Datetime.now())._cron_qbo_sync_payments()
        self.assertEqual(first.payment_state, "paid")
