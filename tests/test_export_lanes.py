import time
from unittest.mock import patch

from odoo.tests import tagged

from ..const import BATCH_SIZE, PACING_PARAMETER
from ..models import qbo_export_engine
from ..qbo_sandbox import limits
from .common_move import QboTwoCompaniesCommon


@tagged("post_install", "-at_install")
class TestExportLanes(QboTwoCompaniesCommon):
    """The export job serves one company per call, the least recently served first, and wakes all its
    lanes: a company with many documents waiting never holds another one's back."""

    def test_companies_served_in_turn(self):
        """Each call exports one company's documents; the company just served waits for the other's
        turn even with new documents queued and the lower id."""
        first = self.queued(self.company, [10, 20, 30])
        second = self.queued(self.other["company"], [11.5, 22.25])
        engine = self.env["qbo.export.engine"]
        engine._cron_qbo_export_all()
        self.assertEqual(set(first.mapped("qbo_state")), {"exported"})
        self.assertEqual(set(second.mapped("qbo_state")), {"to_send"})
        more = self.queued(self.company, [40])
        engine._cron_qbo_export_all()
        self.assertEqual(set(second.mapped("qbo_state")), {"exported"})
        self.assertEqual(more.qbo_state, "to_send")
        engine._cron_qbo_export_all()
        self.assertEqual(more.qbo_state, "exported")
        # Each company's documents went to its own QuickBooks company, to the cent.
        self.assertEqual(sorted(doc["TotalAmt"] for doc in self.other_qbo.all("Invoice")), [11.5, 22.25])
        self.assertEqual(sorted(doc["TotalAmt"] for doc in self.qbo_sandbox_company.all("Invoice")), [10, 20, 30, 40])

    def test_queueing_wakes_every_lane(self):
        """Documents queued for export wake the four lanes of the export job at once."""
        lanes = self.env["ir.cron"].search([("code", "=", "model._cron_qbo_export_all()")])
        self.assertEqual(len(lanes), 4)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)])
        self.company.qbo_export_sync_limit = 1
        self.export(self.queued(self.company, [5, 6]))
        new = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)]) - triggers
        self.assertEqual(new.cron_id, lanes)

    def test_call_ends_at_its_deadline(self):
        """A call of the export job starts no request once its time is up: the invoices left wait for
        the next call untouched (no attempt counted, no error), and the lanes are woken for it."""
        moves = self.queued(self.company, [float(price) for price in range(1, 41)])
        lanes = self.env["ir.cron"].search([("code", "=", "model._cron_qbo_export_all()")])
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)])
        with patch.object(qbo_export_engine, "CRON_CALL_SECONDS", 0):
            self.env["qbo.export.engine"]._cron_qbo_export_all()
        sent = moves.filtered("qbo_id")
        self.assertEqual(len(sent), BATCH_SIZE, "the first request is sent, no other")
        left = moves - sent
        self.assertEqual({(move.qbo_state, move.qbo_retry_count, move.qbo_error, move.qbo_pending_requestid)
                          for move in left}, {("to_send", 0, False, False)})
        new = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)]) - triggers
        self.assertEqual(new.cron_id, lanes)
        self.env["qbo.export.engine"]._cron_qbo_export_all()
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertEqual(sorted(doc["TotalAmt"] for doc in self.qbo_sandbox_company.all("Invoice")),
                         [float(price) for price in range(1, 41)])

    def test_creations_go_alone_while_the_batch_budget_is_spent(self):
        """When the realm's batch calls of the minute are all booked (by any process), an export sends its
        invoices one per call at once, within the budget of all calls, instead of waiting for a batch slot."""
        self.env["ir.config_parameter"].set_param(PACING_PARAMETER, "True")
        pacer = self.company._qbo_get_client().pacer
        self.addCleanup(pacer.reset)
        pacer.budget.book(True, 40)
        limiter = limits.for_state(self.sandbox)
        realm = self.qbo_sandbox_company.realm_id
        counts = {kind: limiter.count(realm, kind) for kind in ("batch", "other", "throttled")}
        moves = self.queued(self.company, [12.34, 23.45, 34.56, 45.67])
        start = time.monotonic()
        self.export(moves)
        self.assertLess(time.monotonic() - start, 30, "no wait for the next minute's batch calls")
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertEqual(limiter.count(realm, "batch"), counts["batch"])
        self.assertGreaterEqual(limiter.count(realm, "other") - counts["other"], 4)
        logs = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "in", moves.ids)])
        self.assertEqual(sorted(logs.mapped("requestid")),
                         sorted(self.env["qbo.move.export"]._qbo_create_requestid(move) for move in moves))
        self.assertEqual(limiter.count(realm, "throttled"), counts["throttled"])
        self.assertEqual(sorted(str(doc["TotalAmt"]) for doc in self.qbo_sandbox_company.all("Invoice")),
                         ["12.34", "23.45", "34.56", "45.67"])
