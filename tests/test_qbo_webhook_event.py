from odoo import fields
from odoo.tests import tagged

from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestQboWebhookEvent(QboPaymentCommon):
    """Changes from QuickBooks name the Odoo document (to open) and the QuickBooks record by its
    number or name, before and after they are processed; QuickBooks ids are for developer mode."""

    def record(self, entity, qbo_id, key):
        return self.env["qbo.webhook.event"]._qbo_record(self.company, [{
            "realm_id": self.realm_id, "qbo_entity": entity, "qbo_id": qbo_id, "operation": "Update",
            "event_time": fields.Datetime.now(), "event_key": key}])

    def test_documents_named_on_both_sides(self):
        partner = self.env["res.partner"].create({"name": "Changes Reader Co", "is_company": True})
        invoice = self.exported(partner, 42.0)
        customer_id = self.env["qbo.mapping"]._qbo_ids_for(partner, "Customer", self.company)[partner.id]
        changed = self.record("Invoice", invoice.qbo_id, "invoice-change")
        customer = self.record("Customer", customer_id, "customer-change")
        unknown = self.record("Payment", "999999", "unknown-payment")
        self.assertRecordValues(changed | customer, [
            {"qbo_document": f"Invoice {invoice.qbo_doc_number}", "odoo_record": invoice, "state": "pending"},
            {"qbo_document": "Customer 'Changes Reader Co'", "odoo_record": partner, "state": "pending"},
        ])
        self.assertEqual((unknown.qbo_document, unknown.odoo_record), ("Payment 999999", None))
        self.assertEqual(changed.summary, f"Invoice {invoice.qbo_doc_number} Update")
        action = changed.with_user(self.qbo_manager).action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", invoice.id))
        arch = changed.with_user(self.qbo_manager).get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="odoo_record"', arch)
        self.assertIn('name="qbo_document"', arch)
        self.assertNotIn('name="qbo_id"', arch)
