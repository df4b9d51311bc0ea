import requests

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_payment import QboPaymentCommon

BANNERS = "//div[hasclass('alert')][@name='qbo_remote_change' or @name='qbo_error' or @name='qbo_retry']"
TECHNICAL_FIELDS = ("qbo_id", "qbo_sync_token", "qbo_state", "qbo_retry_count", "qbo_next_attempt",
                    "qbo_export_generation", "qbo_pending_requestid")


@tagged("post_install", "-at_install")
class TestPaymentStatus(QboPaymentCommon):
    """A payment's QuickBooks badge and banners say where it stands, and it opens in QuickBooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Badge Watchers Ltd", "is_company": True})
        cls.reader = cls._qbo_new_user("qbo_payment_reader", "base.group_user,account.group_account_readonly,"
                                                            "quickbooks_connector.group_qbo_user")

    def status_label(self, payment):
        return dict(payment._fields["qbo_status"]._description_selection(self.env))[payment.qbo_status]

    def banners(self, payment):
        return [node.get("name") for node in self.shown(payment, self.qbo_manager, BANNERS)]

    def test_sent_payment_opens_in_quickbooks(self):
        """Registered in Odoo: "To export", then "Exported"; Open in QuickBooks shows that payment there."""
        invoice = self.exported(self.customer, 100.0)
        payment = self.register_payment(invoice, 60.0)
        self.assertEqual((payment.qbo_status, self.status_label(payment)), ("to_export", "To export"))
        self.assertFalse(self.shown(payment, self.qbo_manager, "//button[@name='action_qbo_open']"))
        self.assertEqual(self.sync(), "0 payments imported, 1 sent to QuickBooks")
        self.assertEqual((payment.qbo_status, self.status_label(payment)), ("exported", "Exported"))
        self.assertEqual(self.banners(payment), [])
        [button] = self.shown(payment, self.reader, "//button[@name='action_qbo_open']")
        self.assertEqual(button.get("string"), "Open in QuickBooks")
        action = payment.with_user(self.reader).action_qbo_open()
        self.assertEqual((action["type"], action["target"]), ("ir.actions.act_url", "new"))
        self.assertIn(f"/app/recvpayment?txnId={payment.qbo_id}", action["url"])
        page = requests.get(action["url"], timeout=10)  # the sandbox's page of that payment
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"<title>Payment {payment.qbo_id} ", page.text)
        with self.assertRaises(AccessError):
            payment.with_user(self.invoice_user).action_qbo_open()

    def test_imported_payment_changed_in_quickbooks(self):
        """Imported: "From QuickBooks"; changed there: "Changed in QuickBooks" with the difference, until the
        change is applied."""
        invoice = self.exported(self.customer, 150.0)
        doc = self.qbo_pay([(invoice, 150.0)])
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.odoo_payment(doc["Id"])
        self.assertEqual((payment.qbo_status, self.status_label(payment)), ("imported", "From QuickBooks"))
        self.client.void("Payment", {"Id": doc["Id"], "SyncToken": doc["SyncToken"]})
        self.sync()
        self.assertEqual((payment.qbo_status, self.status_label(payment)), ("remote_voided", "Voided in QuickBooks"))
        self.assertEqual(self.banners(payment), ["qbo_remote_change"])
        payment.with_user(self.qbo_manager).action_qbo_apply_remote_change()
        self.assertRecordValues(payment, [{"state": "canceled", "qbo_status": "imported"}])
        self.assertEqual(self.banners(payment), [])

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_retry_is_blue(self):
        """QuickBooks down when the payment is sent: "Will be retried" with when, a blue banner, no red one."""
        self.addCleanup(self.sandbox.clear_faults)
        invoice = self.exported(self.customer, 80.0)
        payment = self.register_payment(invoice, 80.0)
        self.sandbox.inject_fault(status=503, count=4, path_contains="/payment?", method="POST",
                                  headers={"Retry-After": "0"})
        self.assertIn("1 will be retried automatically", self.sync())
        self.assertRecordValues(payment, [{"qbo_state": "to_send", "qbo_status": "retry"}])
        self.assertTrue(payment.qbo_next_attempt)
        self.assertEqual(self.banners(payment), ["qbo_retry"])
        [retry] = self.shown(payment, self.qbo_manager, "//div[@name='qbo_retry']")
        self.assertIn("alert-info", retry.get("class"))

    def test_technical_fields_in_developer_mode_only(self):
        invoice = self.exported(self.customer, 20.0)
        payment = self.register_payment(invoice, 20.0)
        self.sync()
        technical = "|".join(f"//field[@name='{name}']" for name in TECHNICAL_FIELDS)
        self.assertEqual(self.shown(payment, self.qbo_manager, technical), [])
        self.assertEqual({node.get("name") for node in self.shown(payment, self.qbo_manager, technical, debug=True)},
                         set(TECHNICAL_FIELDS))
