from unittest import mock

from odoo.tests import tagged

from ..models.qbo_document_import import QboDocumentImport
from .common_import import QboDocumentImportCommon
from .common_move import money

COUNT = 2000


class WorkerKilled(Exception):
    """The cron worker dies in the middle of a call: its transaction is rolled back."""


@tagged("post_install", "-at_install")
class TestDocumentImportRestart(QboDocumentImportCommon):
    """An opening import of 2,000 invoices, interrupted halfway by a worker that dies in the middle of a
    page (its transaction rolled back), and restarted: each invoice comes in once, to the cent."""

    def test_interrupted_and_restarted(self):
        """Typed in QuickBooks in ten rounds, six minutes apart (more than the read's overlap); five calls of
        the job import 1,000; the sixth dies after creating its page's documents; the next calls import the
        rest: 2,000 invoices, each once, posted, their sum equal to QuickBooks'."""
        tax = self.make_tax("CA 8%", 8.0)
        self.map_tax(tax, "California")
        california = {"value": self.tax_code("California")}
        created = []
        for round_start in range(0, COUNT, COUNT // 10):
            items = [{"bId": str(index), "operation": "create", "Invoice": {
                "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-03-01",
                "DocNumber": f"OB-{index}", "TxnTaxDetail": {"TxnTaxCodeRef": california},
                "Line": [self.sales_line(index % 3 + 1, round(10 + index % 97 * 0.37, 2),
                                         "TAX" if index % 2 else "NON")],
            }} for index in range(round_start, round_start + COUNT // 10)]
            created += [answer["Invoice"] for answer in self.client.batch(items)]
            self.advance_sandbox_clock(6 * 60)
        self.assertEqual(len(created), COUNT)
        step = self.env["qbo.invoice.import"]._qbo_cron_pull_step
        for _call in range(5):
            step(200)
        self.assertEqual(self.env["account.move"].search_count([("qbo_imported", "=", True)]), 1000)

        def worker_killed(model, run, pairs, operation, label):
            raise WorkerKilled()

        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            with mock.patch.object(QboDocumentImport, "_qbo_settle_moves", worker_killed):
                step(200)
        self.env.invalidate_all()
        self.assertEqual(self.env["account.move"].search_count([("qbo_imported", "=", True)]), 1000)
        for _call in range(COUNT // 200):
            report, left = step(200)
            if not (report.remaining or left):
                break
        moves = self.env["account.move"].search([("qbo_imported", "=", True)])
        self.assertEqual(len(moves), COUNT)
        self.assertEqual(sorted(moves.mapped("qbo_id")), sorted(doc["Id"] for doc in created))
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(money(sum(moves.mapped("amount_total"))), money(sum(doc["TotalAmt"] for doc in created)))
        self.assertEqual(len(self.qbo_docs("Invoice")), COUNT)
