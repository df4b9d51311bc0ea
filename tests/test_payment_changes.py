from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentRemoteChanges(QboPaymentCommon):
    """A payment changed, voided or deleted in QuickBooks after its import is flagged, never changed
    silently; the managers' explicit action applies it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Changing Mind Inc", "is_company": True})

    def imported_payment(self, amount, paid):
        invoice = self.exported(self.customer, amount)
        doc = self.qbo_pay([(invoice, paid)])
        self.assertEqual(self.sync(), "1 payment imported")
        return invoice, doc, self.odoo_payment(doc["Id"])

    def review_activities(self, payment):
        activity_type = self.env.ref("quickbooks_connector.mail_activity_type_qbo_payment_change")
        return payment.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)

    def test_voided_in_quickbooks_is_flagged_then_applied(self):
        """Voided in QuickBooks: flagged with the difference and an activity; Apply cancels and unreconciles."""
        invoice, doc, payment = self.imported_payment(150.0, 150.0)
        self.client.void("Payment", {"Id": doc["Id"], "SyncToken": doc["SyncToken"]})
        self.assertEqual(self.sync(), "0 payments imported, 1 changed in QuickBooks, to review")
        # Nothing changed in Odoo.
        self.assertRecordValues(payment, [{"state": "paid", "amount": 150.0, "qbo_remote_change": "voided",
                                           "qbo_sync_token": "0"}])
        self.assertEqual(payment.move_id.state, "posted")
        self.assertRecordValues(invoice, [{"payment_state": "paid", "amount_residual": 0.0}])
        self.assertIn("Voided in QuickBooks.", payment.qbo_remote_difference)
        self.assertIn("Amount: 150.00 → 0.00", payment.qbo_remote_difference)
        activities = self.review_activities(payment)
        self.assertIn(self.qbo_manager, activities.user_id)
        self.assertNotIn(self.invoice_user, activities.user_id)
        self.assertIn("Amount: 150.00 → 0.00", activities[0].note)
        # A second run flags nothing more and repeats no activity.
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(self.review_activities(payment), activities)
        # Only a QuickBooks manager sees the button and applies the change.
        form = {user: self.env["account.payment"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                for user in (self.invoice_user, self.qbo_manager)}
        self.assertNotIn("action_qbo_apply_remote_change", form[self.invoice_user])
        self.assertIn('name="action_qbo_apply_remote_change"', form[self.qbo_manager])
        with self.assertRaises(AccessError):
            payment.with_user(self.invoice_user).action_qbo_apply_remote_change()
        self.assertEqual(payment.state, "paid")
        payment.with_user(self.qbo_manager).action_qbo_apply_remote_change()
        self.assertRecordValues(payment, [{"state": "canceled", "qbo_remote_change": False, "qbo_sync_token": "1"}])
        self.assertEqual(payment.move_id.state, "cancel")
        self.assertRecordValues(invoice, [{"payment_state": "not_paid", "amount_residual": 150.0}])
        self.assertFalse(self.review_activities(payment))
        self.assertIn("voided in QuickBooks", payment.message_ids[0].body)
        self.assertEqual(self.qbo_doc(invoice)["Balance"], invoice.amount_residual)
        self.assertEqual(self.sync(), "0 payments imported")

    def test_changed_amount_is_flagged_then_adjusted(self):
        """A smaller amount in QuickBooks: flagged with the difference; Apply adjusts and reconciles again."""
        invoice, doc, payment = self.imported_payment(200.0, 150.0)
        current = self.qbo_sandbox_company.get("Payment", doc["Id"])
        self.client.update("Payment", {"Id": doc["Id"], "SyncToken": current["SyncToken"], "sparse": True,
                                       "TotalAmt": 120.5, "Line": [{"Amount": 120.5, "LinkedTxn": [
                                           {"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]}]})
        self.assertEqual(self.sync(), "0 payments imported, 1 changed in QuickBooks, to review")
        self.assertRecordValues(payment, [{"amount": 150.0, "qbo_remote_change": "changed"}])
        self.assertEqual(invoice.amount_residual, 50.0)
        self.assertEqual(payment.qbo_remote_difference,
                         f"Amount: 150.00 → 120.50\nApplied to {invoice.name}: 150.00 → 120.50")
        payment.with_user(self.qbo_manager).action_qbo_apply_remote_change()
        self.assertRecordValues(payment, [{"amount": 120.5, "state": "in_process", "qbo_remote_change": False,
                                           "qbo_sync_token": "1"}])
        self.assertEqual(payment.move_id.state, "posted")
        self.assertRecordValues(invoice, [{"payment_state": "partial", "amount_residual": 79.5}])
        self.assertEqual(self.qbo_doc(invoice)["Balance"], invoice.amount_residual)
        self.assertIn("adjusted to its QuickBooks version", payment.message_ids[0].body)
        self.assertEqual(self.sync(), "0 payments imported")

    def test_memo_edit_changes_nothing(self):
        """An edit in QuickBooks that changes nothing Odoo books is taken silently (new SyncToken only)."""
        _invoice, doc, payment = self.imported_payment(90.0, 90.0)
        self.client.update("Payment", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                       "PrivateNote": "customer called"})
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertRecordValues(payment, [{"qbo_remote_change": False, "qbo_sync_token": "1", "amount": 90.0}])

    def test_deleted_in_quickbooks_is_flagged(self):
        """Deleted in QuickBooks (seen through Change Data Capture): flagged; Apply cancels it."""
        invoice, doc, payment = self.imported_payment(75.0, 75.0)
        self.client.delete("Payment", {"Id": doc["Id"], "SyncToken": doc["SyncToken"]})
        self.assertEqual(self.sync(), "0 payments imported, 1 changed in QuickBooks, to review")
        self.assertRecordValues(payment, [{"state": "paid", "qbo_remote_change": "deleted"}])
        self.assertEqual(payment.qbo_remote_difference, "Deleted in QuickBooks.")
        self.assertTrue(self.review_activities(payment))
        self.assertEqual(self.sync(), "0 payments imported")
        payment.with_user(self.qbo_manager).action_qbo_apply_remote_change()
        self.assertRecordValues(payment, [{"state": "canceled", "qbo_remote_change": False}])
        self.assertRecordValues(invoice, [{"payment_state": "not_paid"}])
