from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..qbo_sandbox import limits
from .common_move import QboMoveExportCommon
from .common_sandbox import SandboxFaultsMixin


@tagged("post_install", "-at_install")
class TestMoveExportFaults(SandboxFaultsMixin, QboMoveExportCommon):
    """Lost answers, outages and throttling: every document ends up in QuickBooks exactly once."""

    def invoices(self, partner):
        customer = self.env["qbo.mapping"]._qbo_ids_for(partner, "Customer", self.company).get(partner.id)
        return [doc for doc in self.qbo_docs("Invoice") if doc["CustomerRef"]["value"] == customer]

    def run_cron_until_done(self, moves, rounds=10):
        """Run the export cron as the scheduler would, the pending retry delays elapsed."""
        for _round in range(rounds):
            if "to_send" not in moves.mapped("qbo_state"):
                return
            moves.filtered(lambda move: move.qbo_state == "to_send").sudo()._qbo_write(
                {"qbo_next_attempt": fields.Datetime.now()})
            self.env["qbo.export.engine"]._cron_qbo_export_all()

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_answer_lost_after_commit_is_replayed(self):
        """QuickBooks created the invoice but the answer was lost: the retry replays, one invoice only."""
        partner = self.make_partner("Lost Answer Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 2, "price_unit": 21}])
        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains="/invoice", method="POST")
        self.assertEqual(self.export(move)["params"]["message"], "1 exported")
        self.assertEqual(len(self.invoices(partner)), 1)
        self.assertEqual(self.invoices(partner)[0]["Id"], move.qbo_id)

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_outage_after_commit_then_retry_from_log(self):
        """Every attempt lost: the document waits with its requestid; Retry (from the log) replays it."""
        partner = self.make_partner("Long Outage Co")
        move = self.make_move(partner=partner, lines=[{"price_unit": 64}])
        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains="/invoice", method="POST", count=4)
        action = self.export(move)
        self.assertIn("1 will be retried automatically", action["params"]["message"])
        self.assertEqual(move.qbo_state, "to_send")
        self.assertFalse(move.qbo_id)
        self.assertTrue(move.qbo_pending_requestid)
        self.assertEqual(len(self.invoices(partner)), 1, "QuickBooks did create it")
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move.id)])
        self.assertEqual(log.status, "retry")
        log.with_user(self.qbo_manager).action_retry()
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        self.assertEqual(len(self.invoices(partner)), 1)
        self.assertEqual(self.invoices(partner)[0]["Id"], move.qbo_id)
        self.assertFalse(move.qbo_pending_requestid)

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_batch_lost_after_commit_then_cron(self):
        """A lost batch of three: the cron resends it with the same requestid; three invoices, not six."""
        partner = self.make_partner("Lost Batch Co")
        moves = self.env["account.move"]
        for price in (11, 12, 13):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": price}])
        self.env["qbo.master.data.sync"]._qbo_resolve_partner(self.company, partner)
        # the batch of invoices (the only call carrying a requestid here) is processed, its answer lost
        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains="/batch?minorversion=75&requestid=",
                                  count=4)
        self.export(moves)
        self.assertEqual(set(moves.mapped("qbo_state")), {"to_send"})
        self.assertEqual(len(set(moves.mapped("qbo_pending_requestid"))), 1)
        self.assertEqual(len(self.invoices(partner)), 3)
        # Meanwhile one of them is exported alone, with the batch's requestid: still no copy.
        moves[0].with_user(self.qbo_manager).action_qbo_retry()
        self.run_cron_until_done(moves)
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertEqual(sorted(doc["Id"] for doc in self.invoices(partner)), sorted(moves.mapped("qbo_id")))

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_server_errors_are_retried(self):
        """5xx answers: the client retries the create (it carries a requestid); one invoice results."""
        partner = self.make_partner("Flaky Server Co")
        move = self.make_move(partner=partner, lines=[{"price_unit": 5}])
        self.sandbox.inject_fault(status=503, body="<html>Service Unavailable</html>", content_type="text/html",
                                  path_contains="/invoice", method="POST", count=2)
        self.export(move)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        self.assertEqual(len(self.invoices(partner)), 1)

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_throttling_storm(self):
        """65 invoices under Intuit's throttles squeezed to 2 calls a second, plus a burst of 429s."""
        limiter = limits.for_state(self.sandbox)
        self.addCleanup(limiter.configure, **limits.DEFAULTS)
        partner = self.make_partner("Storm Co")
        self.env["qbo.master.data.sync"]._qbo_resolve_partner(self.company, partner)
        self.env["qbo.master.data.sync"]._qbo_resolve_product(self.company, self.service)
        moves = self.env["account.move"]
        for index in range(65):
            moves |= self.make_move(partner=partner, lines=[{"quantity": index + 1, "price_unit": 2.5}])
        self.company.qbo_export_sync_limit = 1000
        throttled_before = limiter.count(self.realm_id, "throttled")
        limiter.configure(enabled=True, per_minute=2, batch_per_minute=2, window=1.0)
        self.sandbox.inject_fault(kind="throttle", path_contains="/batch", count=4, headers={"Retry-After": "0"})
        self.export(moves)
        self.run_cron_until_done(moves)
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertGreater(limiter.count(self.realm_id, "throttled") - throttled_before, 0)
        invoices = self.invoices(partner)
        self.assertEqual(len(invoices), 65)
        self.assertEqual(sorted(doc["Id"] for doc in invoices), sorted(moves.mapped("qbo_id")))

    def test_one_bad_document_does_not_stop_the_others(self):
        """In a batch, a document QuickBooks refuses is in error with its reason; the others are exported."""
        partner = self.make_partner("Closed Books Co")
        good = self.make_move(partner=partner, lines=[{"price_unit": 10}], invoice_date="2019-01-05")
        bad = self.make_move(partner=partner, lines=[{"price_unit": 10}], invoice_date="2018-12-31")
        # The QuickBooks books are closed before 2019: the earlier document is refused (Fault 6210).
        self.qbo_sandbox_company.configure(closed_before="2019-01-01")
        self.addCleanup(self.qbo_sandbox_company.configure, closed_before=None)
        action = self.export(good | bad)
        self.assertIn("1 exported", action["params"]["message"])
        self.assertIn("1 failed", action["params"]["message"])
        self.assertEqual((good.qbo_state, bad.qbo_state), ("exported", "error"))
        self.assertEqual(bad.qbo_error, "The books are closed in QuickBooks on 2018-12-31: move the closing date in "
                                        "QuickBooks (Account and settings > Advanced > Accounting > Close the books) "
                                        "or date the document after it.")
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", bad.id)])
        self.assertEqual((log.status, log.fault_code, log.message), ("error", "6210", bad.qbo_error))
        self.assertTrue(log.intuit_tid)
        self.assertEqual((bad.qbo_export_generation, bad.qbo_pending_requestid), (1, False))
        self.assertEqual(len(self.invoices(partner)), 1)
