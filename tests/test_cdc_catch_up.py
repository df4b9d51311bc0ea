from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common_webhook import QboWebhookCommon


@tagged("post_install", "-at_install")
class TestCdcCatchUp(QboWebhookCommon):
    """With webhooks off (or lost), the scheduled catch-up brings Odoo to the very state webhooks give."""

    def setUp(self):
        super().setUp()
        self.set_rule("invoice_voided", "cancel")

    def scenario(self):
        """Four exported invoices, then in QuickBooks: one edited, one paid, one voided, one deleted."""
        moves = [self.exported(self.partner_a, amount) for amount in (100.0, 200.0, 60.0, 45.0, 70.0)]
        changed, paid, voided, deleted, _untouched = moves
        self.qbo_change_amount(changed, 130.0)
        payment_doc = self.qbo_pay([(paid, 200.0)])
        self.qbo_void(voided)
        self.client.delete("Invoice", self.qbo_doc(deleted))
        return moves, payment_doc

    def outcome(self, moves, payment_doc):
        """What a user checks: invoice states, amounts due, notes and activities, the imported payment."""
        self.env.invalidate_all()
        payment = self.odoo_payment(payment_doc["Id"])
        return [
            (move.state, move.payment_state, move.amount_residual, move.qbo_state,
             len(self.notes(move, "Changed in QuickBooks")), len(self.notes(move, "Voided in QuickBooks")),
             len(self.notes(move, "Deleted in QuickBooks")), len(self.review_activities(move)))
            for move in moves
        ] + [(len(payment), payment.amount, payment.state)]

    def test_catch_up_after_webhooks_off_gives_the_same_state(self):
        # With webhooks: what Odoo looks like afterwards.
        with_webhooks, first_payment = self.scenario()
        self.assertEqual(set(self.deliver()), {200})
        self.process()
        expected = self.outcome(with_webhooks, first_payment)
        self.assertEqual(expected[0][4], 1)  # the edit is flagged
        self.assertEqual(expected[2][0], "cancel")  # the voided invoice is cancelled (rule)
        self.assertEqual(expected[3][6], 1)  # the deletion is flagged
        self.assertEqual(expected[-1][0], 1)  # the payment is imported
        # Webhooks off: the same story is acknowledged and not recorded.
        self.set_qbo_cursor("cdc", fields.Datetime.now() - timedelta(hours=1))
        self.company.qbo_webhook_enabled = False
        without_webhooks, second_payment = self.scenario()
        self.assertEqual(set(self.deliver()), {200})
        self.assertNotEqual(self.outcome(without_webhooks, second_payment), expected)
        # A manager presses QuickBooks > Catch Up on Changes.
        menu_action = self.env.ref("quickbooks_connector.action_qbo_catch_up").with_user(self.qbo_manager)
        message = menu_action.with_company(self.company).run()["params"]["message"]
        self.assertIn("(changes)", message)
        self.assertEqual(self.outcome(without_webhooks, second_payment), expected)
        # The catch-up read the first story again too: nothing doubled there.
        self.assertEqual(self.outcome(with_webhooks, first_payment), expected)
        self.assertEqual(self.events(source="cdc", state="error").mapped("error"), [])
        self.assertGreater(self.qbo_cursor("cdc").read_until, fields.Datetime.now() - timedelta(minutes=5))

    def test_old_cursor_means_full_reconciliation(self):
        with_webhooks, first_payment = self.scenario()
        self.deliver()
        self.process()
        expected = self.outcome(with_webhooks, first_payment)
        self.company.qbo_webhook_enabled = False
        moves, payment_doc = self.scenario()
        self.deliver()
        self.set_qbo_cursor("cdc", fields.Datetime.now() - timedelta(days=40))
        message = self.env["qbo.cdc.pull"]._qbo_catch_up(self.company)
        self.assertIn("full reconciliation", message)
        outcome = self.outcome(moves, payment_doc)
        # A full reconciliation reads what exists: the deleted invoice is not seen (QuickBooks keeps no trace
        # of it outside the 30 days of change data capture); everything else matches.
        self.assertEqual(outcome[:3] + outcome[4:], expected[:3] + expected[4:])

    def test_scheduled_catch_up_moves_the_cursor_and_processes_twice_safely(self):
        self.company.qbo_webhook_enabled = False
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 99.0)
        self.set_qbo_cursor("cdc", fields.Datetime.now() - timedelta(hours=1))
        self.env["qbo.cdc.pull"]._cron_qbo_catch_up()
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)
        cursor = self.qbo_cursor("cdc").read_until
        self.assertGreater(cursor, fields.Datetime.now() - timedelta(minutes=5))
        self.set_qbo_cursor("cdc", fields.Datetime.now() - timedelta(hours=1))
        self.env["qbo.cdc.pull"]._cron_qbo_catch_up()
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)
        self.assertEqual(len(self.review_activities(move)), 1)
        log = self.env["qbo.sync.log"].search([("qbo_entity", "=", "CDC")], limit=1)
        self.assertEqual(log.status, "success")
