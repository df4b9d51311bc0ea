from decimal import Decimal

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_move import QboMoveExportCommon
from .common_sandbox import SandboxFaultsMixin


class WorkerKilled(Exception):
    """The Odoo worker dies before its transaction commits (e.g. killed at its time limit)."""


@tagged("post_install", "-at_install")
class TestMoveExportReplay(SandboxFaultsMixin, QboMoveExportCommon):
    """QuickBooks created the documents, the answer was lost and Odoo's transaction rolled back, so
    Odoo kept nothing: the next export is replayed by QuickBooks (same requestid), never a copy."""

    def invoices(self, partner):
        """The QuickBooks invoices of ``partner``'s customer (looked up by name: Odoo may have forgotten the link)."""
        customers = [doc["Id"] for doc in self.qbo_sandbox_company.all("Customer")
                     if doc["DisplayName"] == partner.name]
        return [doc for doc in self.qbo_docs("Invoice") if doc["CustomerRef"]["value"] in customers]

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def export_lost_and_rolled_back(self, moves, path):
        """Export ``moves``: QuickBooks creates them but every answer to ``path`` is lost, then the
        worker dies and its transaction rolls back."""
        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains=path, method="POST", count=10)
        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            self.export(moves)
            raise WorkerKilled()
        self.sandbox.clear_faults()
        self.env.invalidate_all()
        self.assertFalse(any(moves.mapped("qbo_id")) or any(moves.mapped("qbo_pending_requestid")),
                         "Odoo kept nothing of the export")

    def test_single_invoice_lost_and_rolled_back(self):
        """One invoice: after the lost answer and the rollback, exporting again leaves one QuickBooks invoice."""
        partner = self.make_partner("Single Rollback Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 3, "price_unit": 33.33}])
        self.export_lost_and_rolled_back(move, "/invoice?")
        self.assertEqual(len(self.invoices(partner)), 1, "QuickBooks did create it")
        self.assertEqual(self.export(move)["params"]["message"], "1 exported")
        [invoice] = self.invoices(partner)
        self.assertEqual((move.qbo_id, move.qbo_state), (invoice["Id"], "exported"))
        self.assertEqual(self.assert_amounts(move)[0], Decimal("99.99"))

    def test_batch_lost_and_rolled_back(self):
        """Three invoices in one batch: after the lost answer and the rollback, three QuickBooks invoices, not six."""
        partner = self.make_partner("Batch Rollback Co")
        first = self.make_move(partner=partner, lines=[{"price_unit": 10}])
        self.export(first)  # the customer and the item are in QuickBooks and linked
        moves = self.env["account.move"]
        for price in (11, 12, 13):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": price}])
        self.export_lost_and_rolled_back(moves, "/batch?")
        self.assertEqual(len(self.invoices(partner)), 4)
        self.assertEqual(self.export(moves)["params"]["message"], "3 exported")
        self.assertEqual(sorted(doc["Id"] for doc in self.invoices(partner)),
                         sorted((first | moves).mapped("qbo_id")))
        for move in moves:
            self.assert_amounts(move)


    def test_batch_replayed_with_part_of_its_records(self):
        """Three invoices sent in one batch, the answer lost and rolled back; the next export holds two of
        them only: QuickBooks replays that batch (the same request, whatever the selection), the two are
        linked to their QuickBooks copies, then the third: each is in QuickBooks once."""
        partner = self.make_partner("Partial Replay Co")
        first = self.make_move(partner=partner, lines=[{"price_unit": 10}])
        self.export(first)
        moves = self.env["account.move"]
        for price in (21.5, 22.25, 23.75):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": price}])
        self.export_lost_and_rolled_back(moves, "/batch?")
        self.assertEqual(self.export(moves[:2])["params"]["message"], "2 exported")
        self.assertEqual(self.export(moves[2])["params"]["message"], "1 exported")
        self.assertEqual(sorted(doc["Id"] for doc in self.invoices(partner)),
                         sorted((first | moves).mapped("qbo_id")))
        self.assertEqual([self.assert_amounts(move)[0] for move in moves],
                         [Decimal("21.50"), Decimal("22.25"), Decimal("23.75")])

    def test_single_replayed_beside_a_new_invoice(self):
        """An invoice sent alone, the answer lost and rolled back, is exported again with a new invoice:
        it is sent alone again (QuickBooks replays it), not in a batch with the new one; no copy."""
        partner = self.make_partner("Single Beside Co")
        first = self.make_move(partner=partner, lines=[{"price_unit": 10}])
        self.export(first)
        move = self.make_move(partner=partner, lines=[{"price_unit": 31.01}])
        self.export_lost_and_rolled_back(move, "/invoice?")
        new = self.make_move(partner=partner, lines=[{"price_unit": 32.02}])
        self.assertEqual(self.export(move | new)["params"]["message"], "2 exported")
        self.assertEqual(sorted(doc["Id"] for doc in self.invoices(partner)),
                         sorted((first | move | new).mapped("qbo_id")))
        self.assertEqual([self.assert_amounts(record)[0] for record in move | new],
                         [Decimal("31.01"), Decimal("32.02")])


@tagged("post_install", "-at_install")
class TestMoveExportReplayAutoNumbers(TestMoveExportReplay):
    """The same where QuickBooks numbers sales forms itself: no DocNumber can refuse a second copy."""

    allow_inherited_tests_method = True
    sandbox_company = dict(TestMoveExportReplay.sandbox_company, custom_txn_numbers=False)
