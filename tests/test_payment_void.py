from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentVoid(QboPaymentCommon):
    """A payment sent from Odoo, then cancelled or reset to draft in Odoo, is voided in QuickBooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Changes Its Mind Ltd", "is_company": True})
        cls.vendor = cls.env["res.partner"].create({"name": "Refunded Supplies", "is_company": True})

    def pushed(self, partner, amount, move_type="out_invoice"):
        document = self.exported(partner, amount, move_type=move_type)
        payment = self.register_payment(document, amount)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        return document, payment

    def logs(self, payment, operation):
        return self.env["qbo.sync.log"].search([("res_model", "=", "account.payment"), ("res_id", "=", payment.id),
                                                ("operation", "=", operation)])

    def test_cancel_voids_in_quickbooks(self):
        """Cancelled in Odoo: voided in QuickBooks, the invoice open again on both sides, nothing re-imported."""
        invoice, payment = self.pushed(self.customer, 80.0)
        qbo_id = payment.qbo_id
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("0.00"))
        payment.with_user(self.qbo_manager).action_cancel()
        doc = self.qbo_sandbox_company.get("Payment", qbo_id)
        self.assertEqual(doc["TotalAmt"], Decimal("0"))
        self.assertTrue(doc["PrivateNote"].startswith("Voided"))
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("80.00"))
        self.assertEqual(invoice.amount_residual, 80.0)
        self.assertRecordValues(payment, [{"state": "canceled", "qbo_id": False, "qbo_state": "not_synced",
                                           "qbo_export_generation": 1}])
        self.assertIn(f"Voided in QuickBooks (Payment {qbo_id})", payment.message_ids[0].body)
        self.assertRecordValues(self.logs(payment, "void"), [{"status": "success", "qbo_id": qbo_id}])
        # The voided copy is neither imported nor linked again.
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertFalse(payment.qbo_id)
        self.assertEqual(self.env["account.payment"].search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_reset_edit_and_post_again(self):
        """Reset to draft: voided in QuickBooks; posted again with another amount: sent anew, once."""
        invoice, payment = self.pushed(self.customer, 90.0)
        first_id = payment.qbo_id
        payment.with_user(self.qbo_manager).action_draft()
        self.assertEqual(self.qbo_sandbox_company.get("Payment", first_id)["TotalAmt"], Decimal("0"))
        payment.with_user(self.qbo_manager).write({"amount": 50.0})
        payment.with_user(self.qbo_manager).action_post()
        (payment.move_id.line_ids | invoice.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled).reconcile()
        self.assertEqual(payment.qbo_state, "to_send")
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertNotEqual(payment.qbo_id, first_id)
        self.assertEqual(self.qbo_sandbox_company.get("Payment", payment.qbo_id)["TotalAmt"], Decimal("50.00"))
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("40.00"))
        self.assertEqual(invoice.amount_residual, 40.0)
        self.assertTrue(self.logs(payment, "create")[0].requestid.endswith(f"-p{payment.id}-g1"))
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual([doc["TotalAmt"] for doc in self.qbo_payments()], [Decimal("0"), Decimal("50.00")])

    def test_bill_payment_is_voided(self):
        """A vendor payment sent as a BillPayment is voided the same way; the bill is open again."""
        bill, payment = self.pushed(self.vendor, 120.0, move_type="in_invoice")
        qbo_id = payment.qbo_id
        payment.with_user(self.qbo_manager).action_cancel()
        self.assertEqual(self.qbo_sandbox_company.get("BillPayment", qbo_id)["TotalAmt"], Decimal("0"))
        self.assertEqual(self.qbo_doc(bill)["Balance"], Decimal("120.00"))
        self.assertEqual(bill.payment_state, "not_paid")

    def test_refused_void_cancels_nothing(self):
        """QuickBooks refuses the void: the payment stays posted, reconciled and linked."""
        invoice, payment = self.pushed(self.customer, 30.0)
        qbo_id = payment.qbo_id
        self.sandbox.inject_fault(status=400, content_type="application/json", path_contains="/payment?",
                                  method="POST", body='{"Fault": {"Error": [{"Message": "Business Validation Error", '
                                                      '"Detail": "The period is closed.", "code": "6210"}], '
                                                      '"type": "ValidationFault"}}')
        with self.assertRaisesRegex(UserError, "could not be voided in QuickBooks"), self.env.cr.savepoint():
            payment.with_user(self.qbo_manager).action_cancel()
        self.env.invalidate_all()
        self.assertRecordValues(payment, [{"state": "paid", "qbo_id": qbo_id, "qbo_state": "synced"}])
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.qbo_sandbox_company.get("Payment", qbo_id)["TotalAmt"], Decimal("30.00"))

    def test_imported_payment_changes_in_quickbooks_first(self):
        """A payment imported from QuickBooks cannot be cancelled in Odoo: it is voided in QuickBooks."""
        invoice = self.exported(self.customer, 55.0)
        self.qbo_pay([(invoice, 55.0)])
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        with self.assertRaisesRegex(UserError, "came from QuickBooks"), self.env.cr.savepoint():
            payment.with_user(self.qbo_manager).action_cancel()
        with self.assertRaisesRegex(UserError, "came from QuickBooks"), self.env.cr.savepoint():
            payment.with_user(self.qbo_manager).action_draft()
        self.env.invalidate_all()
        self.assertEqual(payment.state, "paid")
        self.assertEqual(self.qbo_payments()[0]["TotalAmt"], Decimal("55.00"))

    def test_queued_payment_cancelled_is_not_sent(self):
        """Cancelled before it was sent: taken off the queue, nothing reaches QuickBooks."""
        invoice = self.exported(self.customer, 25.0)
        payment = self.register_payment(invoice, 25.0)
        self.assertEqual(payment.qbo_state, "to_send")
        payment.with_user(self.qbo_manager).action_cancel()
        self.assertEqual(payment.qbo_state, "not_synced")
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertFalse(self.qbo_payments())
