from decimal import Decimal
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentPush(QboPaymentCommon):
    """A payment registered in Odoo on an exported invoice or bill goes to QuickBooks once, and never comes back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Pays In Odoo Ltd", "is_company": True})
        cls.vendor = cls.env["res.partner"].create({"name": "Paid From Odoo Supplies", "is_company": True})

    def test_push_and_no_echo(self):
        """Registered in Odoo: created in QuickBooks linked to the invoice; the next pull imports nothing."""
        invoice = self.exported(self.customer, 100.0)
        payment = self.register_payment(invoice, 60.0)
        self.assertEqual(payment.qbo_state, "to_send")
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertRecordValues(payment, [{"qbo_state": "synced", "qbo_origin": "odoo", "qbo_entity": "Payment"}])
        doc = self.qbo_sandbox_company.get("Payment", payment.qbo_id)
        self.assertEqual(doc["TotalAmt"], Decimal("60.00"))
        self.assertEqual(doc["Line"][0]["LinkedTxn"], [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}])
        self.assertEqual(doc["TxnDate"], "2019-01-15")
        self.assertEqual(doc["PaymentRefNum"], payment.name)
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("40.00"))
        self.assertEqual(invoice.amount_residual, 40.0)
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.payment"), ("res_id", "=", payment.id)])
        self.assertRecordValues(log, [{"direction": "export", "operation": "create", "status": "success"}])
        self.assertTrue(log.requestid.endswith(f"-p{payment.id}-g0"))
        # No echo: the next runs find their own payment and import nothing.
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(len(self.qbo_payments()), 1)
        self.assertEqual(self.env["account.payment"].search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_imported_payment_is_not_pushed_back(self):
        """A payment imported from QuickBooks is never sent back."""
        invoice = self.exported(self.customer, 45.0)
        self.qbo_pay([(invoice, 45.0)])
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        self.assertRecordValues(payment, [{"qbo_origin": "qbo", "qbo_state": "synced"}])
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(len(self.qbo_payments()), 1)

    def test_lost_answer_and_crash_never_duplicate(self):
        """The answer is lost, then Odoo dies before saving the id: still one payment on each side."""
        invoice = self.exported(self.customer, 70.0)
        payment = self.register_payment(invoice, 70.0)
        # QuickBooks creates the payment but the answer never arrives: the retry replays the requestid.
        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains="/payment?")
        export_model = type(self.env["qbo.payment.export"])

        def die(*args, **kwargs):
            raise RuntimeError("worker killed after QuickBooks answered")

        with patch.object(export_model, "_qbo_apply_success", die), self.assertRaises(RuntimeError), \
                self.env.cr.savepoint():
            self.sync()
        self.env.invalidate_all()
        self.assertEqual(len(self.qbo_payments()), 1)
        self.assertFalse(payment.qbo_id)
        self.assertEqual(payment.qbo_state, "to_send")
        # The next run sends it again with the same requestid: QuickBooks replays, nothing new is created;
        # the pull then finds that payment already linked and imports nothing.
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertEqual(len(self.qbo_payments()), 1)
        self.assertEqual(payment.qbo_id, self.qbo_payments()[0]["Id"])
        self.assertEqual(self.env["account.payment"].search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_pull_recognises_payment_whose_answer_was_lost(self):
        """Created in QuickBooks, id never saved in Odoo: the pull links it instead of importing a copy."""
        invoice = self.exported(self.customer, 33.0)
        payment = self.register_payment(invoice, 33.0)
        export_model = type(self.env["qbo.payment.export"])
        with patch.object(export_model, "_qbo_apply_success", lambda *args, **kwargs: None):
            self.env["qbo.payment.export"]._qbo_export(payment)
        self.assertFalse(payment.qbo_id)
        payment.qbo_state = "error"  # not sent again by the push: only the pull may link it
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertRecordValues(payment, [{"qbo_id": self.qbo_payments()[0]["Id"], "qbo_state": "synced",
                                           "qbo_origin": "odoo"}])
        self.assertEqual(self.env["account.payment"].search_count([("partner_id", "=", self.customer.id)]), 1)
        self.assertEqual(len(self.qbo_payments()), 1)

    def test_setting_off_sends_nothing(self):
        """With "Send payments to QuickBooks" off, a payment registered in Odoo stays in Odoo."""
        self.company.qbo_push_payments = False
        invoice = self.exported(self.customer, 20.0)
        payment = self.register_payment(invoice, 20.0)
        self.assertEqual(payment.qbo_state, "not_synced")
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertFalse(self.qbo_payments())

    def test_payment_of_invoice_not_exported_stays_in_odoo(self):
        """A payment of an invoice that is not in QuickBooks is not sent."""
        invoice = self.make_move(partner=self.customer, lines=[{"price_unit": 15.0}])
        payment = self.register_payment(invoice, 15.0)
        self.sync()
        self.assertRecordValues(payment, [{"qbo_state": "not_synced", "qbo_id": False}])
        self.assertFalse(self.qbo_payments())

    def test_push_bill_payment(self):
        """A vendor payment of an exported bill becomes a BillPayment from a bank account, linked to the bill."""
        bill = self.exported(self.vendor, 250.0, move_type="in_invoice")
        payment = self.register_payment(bill, 250.0)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        doc = self.qbo_sandbox_company.get("BillPayment", payment.qbo_id)
        self.assertEqual(doc["TotalAmt"], Decimal("250.00"))
        self.assertEqual(doc["PayType"], "Check")
        self.assertEqual(doc["CheckPayment"]["BankAccountRef"]["value"], self.qbo_account("Checking"))
        self.assertEqual(doc["Line"][0]["LinkedTxn"], [{"TxnId": bill.qbo_id, "TxnType": "Bill"}])
        self.assertEqual(self.qbo_doc(bill)["Balance"], Decimal("0.00"))
        self.assertEqual(bill.payment_state, "paid")
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(len(self.qbo_payments("BillPayment")), 1)

    def test_payment_follows_late_export(self):
        """Paid in Odoo before its export: not sent then; once the invoice is exported, the payment follows."""
        invoice = self.make_move(partner=self.customer, lines=[{"price_unit": 64.0}])
        payment = self.register_payment(invoice, 64.0)
        self.sync()
        self.assertEqual(payment.qbo_state, "not_synced")
        self.export(invoice)
        self.assertEqual(payment.qbo_state, "to_send")
        self.assertIn("Queued for QuickBooks", payment.message_ids[0].body)
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertEqual(self.qbo_sandbox_company.get("Payment", payment.qbo_id)["TotalAmt"], Decimal("64.00"))
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("0.00"))
        self.assertEqual(len(self.qbo_payments()), 1)

    def test_send_button(self):
        """Only QuickBooks managers send a payment with the button; it goes once."""
        self.company.qbo_push_payments = False
        invoice = self.exported(self.customer, 48.0)
        payment = self.register_payment(invoice, 48.0)
        self.assertEqual(payment.qbo_state, "not_synced")
        with self.assertRaises(AccessError):
            payment.with_user(self.invoice_user).action_qbo_push()
        action = payment.with_user(self.qbo_manager).action_qbo_push()
        self.assertEqual(action["params"]["message"], "1 sent to QuickBooks")
        self.assertEqual(self.qbo_sandbox_company.get("Payment", payment.qbo_id)["TotalAmt"], Decimal("48.00"))
        self.assertEqual(self.qbo_doc(invoice)["Balance"], Decimal("0.00"))
        self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(len(self.qbo_payments()), 1)
