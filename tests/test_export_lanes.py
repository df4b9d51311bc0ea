from odoo import Command
from odoo.tests import tagged

from .common_move import QboMoveExportCommon


@tagged("post_install", "-at_install")
class TestExportLanes(QboMoveExportCommon):
    """The export job serves one company per call, the least recently served first, and wakes all its
    lanes: a company with many documents waiting never holds another one's back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Lanes Second Co")
        other = cls.other["company"]
        other.write({
            "qbo_client_id": cls.SANDBOX_CLIENT_ID, "qbo_client_secret": cls.SANDBOX_CLIENT_SECRET,
            "qbo_environment": "custom", "qbo_discovery_url": cls.sandbox_server.discovery_url,
            "qbo_default_income_account_id": cls.other["default_account_revenue"].id,
            "qbo_default_expense_account_id": cls.other["default_account_expense"].id,
            "qbo_default_product_id": cls.service.id,
        })
        cls.admin_user.company_ids |= other
        cls.other_qbo = cls.create_sandbox_company("Lanes Second QuickBooks")
        cls.qbo_connect(other, cls.other_qbo.realm_id)

    def queued(self, company, prices):
        moves = self.env["account.move"]
        for price in prices:
            move = self.env["account.move"].with_company(company).create({
                "move_type": "out_invoice", "partner_id": self.partner_a.id, "invoice_date": "2019-01-01",
                "invoice_line_ids": [Command.create({"product_id": self.service.id, "price_unit": price,
                                                     "tax_ids": [Command.clear()]})],
            })
            move.action_post()
            moves |= move
        moves._qbo_write({"qbo_state": "to_send"})
        return moves

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
