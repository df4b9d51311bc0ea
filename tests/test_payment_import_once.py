import psycopg2.errors

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..qbo_sandbox import accounting
from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentImportOnce(QboPaymentCommon):
    """Each of the two guards against a second import of a QuickBooks payment holds on its own: the
    lookup of payments already imported, and the unique (company, entity, QuickBooks id) constraint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Twice Paid Co", "is_company": True})

    def imported(self):
        """A QuickBooks payment of an exported invoice, imported by Sync Customer Payment; return it in Odoo."""
        invoice = self.exported(self.customer, 75.0)
        doc = self.qbo_pay([(invoice, 75.0)])
        self.assertEqual(self.sync(), "1 payment imported")
        return self.odoo_payment(doc["Id"])

    def test_lookup_alone(self):
        """Without the unique constraint, a run that reads the payment again finds it and imports nothing."""
        self.env.cr.execute("ALTER TABLE account_payment DROP CONSTRAINT account_payment_qbo_payment_unique")
        payment = self.imported()
        self.qbo_sandbox_company.requests.clear()
        self.assertEqual(self.sync(), "0 payments imported")
        [query] = self.qbo_sandbox_company.queries("Payment")
        listed = [doc["Id"] for doc in accounting.run_query(self.qbo_sandbox_company, query).get("Payment", [])]
        self.assertIn(payment.qbo_id, listed, "the second run did read the payment again")
        self.assertEqual(self.odoo_payment(payment.qbo_id), payment)

    @mute_logger("odoo.sql_db")
    def test_unique_constraint_alone(self):
        """Whatever code would miss the payment already imported, the database refuses a second copy of it."""
        payment = self.imported()
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            payment.copy({"qbo_entity": payment.qbo_entity, "qbo_id": payment.qbo_id})
            self.env.flush_all()
        self.assertEqual(self.odoo_payment(payment.qbo_id), payment)
