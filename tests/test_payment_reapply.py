from decimal import Decimal

from odoo.tests import tagged

from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentReapply(QboPaymentCommon):
    """A payment sent from Odoo, then unreconciled or matched with another invoice in Odoo, is applied
    the same way in QuickBooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Matched Twice Ltd", "is_company": True})
        cls.vendor = cls.env["res.partner"].create({"name": "Paid Once Supplies", "is_company": True})

    @staticmethod
    def open_receivable(move):
        return move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable"
                                      and not line.reconciled)

    def test_unreconcile_then_match_another_invoice(self):
        """Wrong invoice matched: unreconciled, the QuickBooks payment becomes a credit; matched with the
        right invoice, it pays that one there too. Both books agree to the cent at each step."""
        wrong = self.exported(self.customer, 100.0)
        right = self.exported(self.customer, 60.0)
        payment = self.register_payment(wrong, 60.0)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertEqual(self.qbo_doc(wrong)["Balance"], Decimal("40.00"))
        # Unreconciled in Odoo: queued, then a customer credit of 60.00 in QuickBooks.
        self.receivable_lines(payment).remove_move_reconcile()
        self.assertEqual(payment.qbo_state, "to_send")
        self.assertEqual(wrong.amount_residual, 100.0)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        doc = self.qbo_sandbox_company.get("Payment", payment.qbo_id)
        self.assertEqual((doc["TotalAmt"], doc["UnappliedAmt"]), (Decimal("60.00"), Decimal("60.00")))
        self.assertFalse(doc.get("Line"))
        self.assertEqual(self.qbo_doc(wrong)["Balance"], Decimal("100.00"))
        self.assertEqual(payment.qbo_state, "synced")
        # Matched with the right invoice in Odoo: it pays that one in QuickBooks.
        (self.open_receivable(payment.move_id) | self.open_receivable(right)).reconcile()
        self.assertEqual(right.payment_state, "paid")
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        doc = self.qbo_sandbox_company.get("Payment", payment.qbo_id)
        self.assertEqual(doc["Line"][0]["LinkedTxn"], [{"TxnId": right.qbo_id, "TxnType": "Invoice"}])
        self.assertEqual(doc["UnappliedAmt"], Decimal("0.00"))
        self.assertEqual(self.qbo_doc(right)["Balance"], Decimal("0.00"))
        self.assertEqual(self.qbo_doc(wrong)["Balance"], Decimal("100.00"))
        self.assertIn(f"it pays {right.name} (60.00)", payment.message_ids[0].body)
        updates = self.env["qbo.sync.log"].search([("res_model", "=", "account.payment"), ("res_id", "=", payment.id),
                                                   ("operation", "=", "update")])
        self.assertEqual(updates.mapped("status"), ["success", "success"])
        # Its own updates are not mistaken for changes made in QuickBooks; nothing is imported or sent again.
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertFalse(payment.qbo_remote_change)
        self.assertEqual(len(self.qbo_payments()), 1)

    def test_bill_payment_must_pay_a_bill(self):
        """An unreconciled vendor payment cannot be an unapplied bill payment: error, QuickBooks unchanged."""
        bill = self.exported(self.vendor, 75.0, move_type="in_invoice")
        payment = self.register_payment(bill, 75.0)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        lines = payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "liability_payable")
        lines.remove_move_reconcile()
        self.sync()
        self.assertEqual(payment.qbo_state, "error")
        self.assertIn("settles no document", payment.qbo_error)
        self.assertEqual(self.qbo_doc(bill)["Balance"], Decimal("0.00"))

    def test_change_from_quickbooks_is_never_overwritten(self):
        """Changed in QuickBooks and unreconciled in Odoo: the update waits for the review of that change."""
        invoice = self.exported(self.customer, 90.0)
        payment = self.register_payment(invoice, 90.0)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        doc = self.qbo_sandbox_company.get("Payment", payment.qbo_id)
        self.client.update("Payment", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                       "TxnDate": "2019-01-20"})
        self.sync()
        self.assertEqual(payment.qbo_remote_change, "changed")
        self.receivable_lines(payment).remove_move_reconcile()
        self.sync()
        self.assertEqual(payment.qbo_state, "error")
        self.assertIn("apply or review that change first", payment.qbo_error)
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("0.00"))
