import threading
import time
from unittest.mock import patch

import psycopg2.errors

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import QboCommittedConnectionMixin

IMPORT_DELAY = 0.5


@tagged("post_install", "-at_install")
class TestPaymentConcurrency(QboCommittedConnectionMixin, TransactionCase):
    """Two runs of the payment sync at once, on real, separate database connections, on data
    committed for the test and removed after: each QuickBooks payment is imported exactly once."""

    def setUp(self):
        super().setUp()
        self.qbo_payment_id = self.invoice_paid_in_quickbooks()

    def invoice_paid_in_quickbooks(self):
        """A posted Odoo invoice whose QuickBooks copy a customer paid in QuickBooks; return the payment id."""
        with self.real_env() as env:
            client = env["res.company"].browse(self.company_id)._qbo_get_client()
            services = next(account["Id"] for account in client.query_all("Account") if account["Name"] == "Services")
            # The sandbox lives as long as the class: each test has its own names there.
            name = f"Concurrent {self._testMethodName}"
            item = client.create("Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": services}})
            customer = client.create("Customer", {"DisplayName": name})
            invoice_doc = client.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [{
                "DetailType": "SalesItemLineDetail", "Amount": 40,
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": 40,
                                        "TaxCodeRef": {"value": "NON"}}}]})
            partner = env["res.partner"].create({"name": "Concurrent Customer", "is_company": True})
            invoice = env["account.move"].with_company(self.company_id).create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2019-01-01",
                "invoice_line_ids": [Command.create({"name": "Concurrent Service", "price_unit": 40,
                                                     "tax_ids": [Command.clear()]})],
            })
            invoice.action_post()
            invoice._qbo_write({"qbo_id": invoice_doc["Id"], "qbo_sync_token": invoice_doc["SyncToken"],
                                "qbo_state": "exported"})
            self.addCleanup(self.remove_odoo_records, partner.id, invoice.id)
            payment = client.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 40, "Line": [
                {"Amount": 40, "LinkedTxn": [{"TxnId": invoice_doc["Id"], "TxnType": "Invoice"}]}]})
            return payment["Id"]

    def remove_odoo_records(self, partner_id, invoice_id):
        with self.real_env() as env:
            payments = env["account.payment"].search([("partner_id", "=", partner_id)]).with_context(
                force_delete=True, qbo_local_only=True)
            env["qbo.sync.log"].search([("res_model", "=", "account.payment"), ("res_id", "in", payments.ids)]).unlink()
            payments.filtered(lambda payment: payment.state != "draft").action_draft()
            payments.unlink()
            invoice = env["account.move"].browse(invoice_id).with_context(force_delete=True)
            invoice.button_draft()
            invoice.unlink()
            env["res.partner"].browse(partner_id).unlink()

    def run_concurrently(self):
        """Run the payment sync of the company in two workers started together.

        :return: the workers' reports ``(imported, busy companies, errors)``, sorted, and the exceptions raised
        """
        barrier = threading.Barrier(2)
        reports, errors = {}, []
        sync_model = type(self.env["qbo.payment.pull"])
        real_import = sync_model._qbo_import

        def slow_import(model, parsed, documents):
            # Hold the run long enough for the other worker to arrive meanwhile.
            time.sleep(IMPORT_DELAY)
            return real_import(model, parsed, documents)

        def worker(index):
            try:
                with self.real_env() as env:
                    company = env["res.company"].browse(self.company_id)
                    barrier.wait(timeout=10)
                    report = env["qbo.payment.pull"]._qbo_sync(company, 100)
                reports[index] = (report.imported, len(report.busy), report.errors)  # once committed
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        with patch.object(sync_model, "_qbo_import", slow_import):
            self.run_workers(worker)
        return sorted(reports.values()), errors

    def imported_payments(self):
        with self.real_env() as env:
            return env["account.payment"].search_count([("company_id", "=", self.company_id),
                                                        ("qbo_id", "=", self.qbo_payment_id)])

    def test_concurrent_runs_import_once(self):
        """Two runs at once: one imports, the other finds the company's payment sync busy."""
        reports, errors = self.run_concurrently()
        self.assertFalse(errors, errors)
        self.assertEqual(reports, [(0, 1, []), (1, 0, [])])
        self.assertEqual(self.imported_payments(), 1)
        with self.real_env() as env:
            report = env["qbo.payment.pull"]._qbo_sync(env["res.company"].browse(self.company_id), 100)
            self.assertEqual(report.message(), "0 payments imported")
        self.assertEqual(self.imported_payments(), 1)

    @mute_logger("odoo.sql_db")
    def test_unique_constraint_without_run_lock(self):
        """Even if both runs got the lock, the second insert of the same QuickBooks payment is refused: that
        run imports nothing (its transaction, which read the company before the other committed, may then
        be refused as a whole, which the cron retries)."""
        def no_lock(cursors, company, stream):
            return cursors.sudo().search([("company_id", "=", company.id), ("stream", "=", stream)])

        with patch.object(type(self.env["qbo.sync.cursor"]), "_qbo_acquire", no_lock):
            reports, errors = self.run_concurrently()
        self.assertTrue(all(isinstance(error, psycopg2.errors.SerializationFailure) for error in errors), errors)
        self.assertEqual(sum(imported for imported, _busy, _errors in reports), 1)
        self.assertEqual(len(reports) + len(errors), 2)
        self.assertEqual(self.imported_payments(), 1)
