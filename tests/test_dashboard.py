from odoo import Command
from odoo.tests import tagged

from .common_move import QboTwoCompaniesCommon


@tagged("post_install", "-at_install")
class TestDashboardCard(QboTwoCompaniesCommon):
    """The QuickBooks card of the Accounting dashboard: per connected company the user works in, each figure
    equal to the length of the list it opens, as that user sees it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.other["company"]
        cls.user_a = cls._qbo_new_user(
            "dashboard_a", "base.group_user,account.group_account_invoice,quickbooks_connector.group_qbo_user")
        cls.user_b = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Dashboard B", "login": "dashboard_b", "company_id": cls.company_b.id,
            "company_ids": [Command.set(cls.company_b.ids)],
            "groups_id": [Command.set([cls.env.ref(group).id for group in (
                "base.group_user", "account.group_account_invoice", "quickbooks_connector.group_qbo_user")])]})
        # Works in both connected companies and in one never connected.
        cls.qbo_manager.company_ids |= cls.company_b | cls.env.ref("base.main_company")

    def cards(self, user, companies=None):
        companies = companies or user.company_ids
        env = self.env(user=user, context={"allowed_company_ids": companies.ids})
        return env["qbo.dashboard"].qbo_dashboard_cards()

    def figures(self, card):
        return {figure["key"]: figure["count"] for figure in card["figures"]}

    def assert_lists_match(self, user, card):
        """Each figure is the number of records its list shows to the user, in that company only."""
        env = self.env(user=user, context={"allowed_company_ids": user.company_ids.ids})
        for figure in card["figures"]:
            action = figure["action"]
            with self.subTest(user=user.login, figure=figure["key"]):
                records = env[action["res_model"]].search(action["domain"])
                self.assertEqual(len(records), figure["count"])
                self.assertEqual(records.company_id, env["res.company"].browse(card["company_id"]) if records
                                 else env["res.company"])

    def test_figures_equal_their_lists(self):
        """Company A: three invoices posted and not sent, one exported, one draft, one changed in QuickBooks,
        one error to fix (and one resolved); company B: two queued. Each user sees their own company's card,
        the manager both, and every figure opens a list of exactly that many records."""
        partner = self.make_partner("Dashboard Customer")
        posted = [self.make_move(partner=partner, lines=[{"price_unit": price}]) for price in (10.0, 20.0, 30.0)]
        exported = self.make_move(partner=partner, lines=[{"price_unit": 40.0}])
        self.export(exported)
        self.assertEqual(exported.qbo_state, "exported", exported.qbo_error)
        self.make_move(partner=partner, lines=[{"price_unit": 50.0}], post=False)
        changed = self.make_move(partner=partner, lines=[{"price_unit": 60.0}])
        self.export(changed)
        changed._qbo_write({"qbo_remote_change": "changed", "qbo_remote_difference": "Total 60.00 -> 66.00"})
        logs = self.env["qbo.sync.log"].sudo()
        for resolved_at in (False, "2026-01-01 00:00:00"):
            logs.create({"company_id": self.company.id, "direction": "export", "operation": "create",
                         "qbo_entity": "Invoice", "status": "error", "message": "Dashboard error",
                         "resolved_at": resolved_at})
        self.queued(self.company_b, [70.0, 80.0])

        [card_a] = self.cards(self.user_a)
        self.assertEqual((card_a["company_id"], card_a["state"]), (self.company.id, "connected"))
        self.assertEqual(self.figures(card_a), {"to_export": 3, "errors": 1, "review_moves": 1})
        self.assertNotEqual(card_a["last_exchange"], "Never")
        self.assert_lists_match(self.user_a, card_a)
        self.assertFalse(card_a["setup_action"], "a QuickBooks user is not offered the setup")

        [card_b] = self.cards(self.user_b)
        self.assertEqual(card_b["company_id"], self.company_b.id)
        self.assertEqual(self.figures(card_b), {"to_export": 2, "errors": 0, "review_moves": 0})
        self.assert_lists_match(self.user_b, card_b)

        manager_cards = self.cards(self.qbo_manager, self.company | self.company_b | self.env.ref("base.main_company"))
        self.assertEqual([card["company_id"] for card in manager_cards], (self.company | self.company_b).ids,
                         "a company never connected has no card")
        for card in manager_cards:
            self.assert_lists_match(self.qbo_manager, card)
        self.assertEqual([self.figures(card) for card in manager_cards], [self.figures(card_a), self.figures(card_b)])
        self.assertTrue(manager_cards[0]["setup_action"])
        # Working in company B only, the manager sees B's card alone.
        self.assertEqual([card["company_id"] for card in self.cards(self.qbo_manager, self.company_b)],
                         self.company_b.ids)

        # The figures follow: one more exported, the change reviewed.
        self.export(posted[0])
        changed.with_user(self.qbo_manager).action_qbo_clear_flags()
        [card_a] = self.cards(self.user_a)
        self.assertEqual(self.figures(card_a), {"to_export": 2, "errors": 1, "review_moves": 0})

    def test_payment_changes_and_books_in_step(self):
        """Figures that show only when something needs attention: payments changed in QuickBooks, changes
        from QuickBooks that could not be applied; the last comparison's open differences."""
        invoice = self.make_move(partner=self.make_partner("Dashboard Payer"), lines=[{"price_unit": 90.0}])
        self.export(invoice)
        [card] = self.cards(self.user_a)
        self.assertNotIn("review_payments", self.figures(card))
        self.assertNotIn("changes_failed", self.figures(card))
        self.assertNotIn("books", self.figures(card), "never compared")
        self.client.update("Invoice", {"Id": invoice.qbo_id, "SyncToken": self.qbo_doc(invoice)["SyncToken"],
                                       "sparse": True, "TxnDate": "2019-01-05"})
        check = self.env["qbo.books.check"].create({"company_id": self.company.id, "date_from": "2019-01-01",
                                                    "date_to": "2019-12-31"})
        check.sudo()._qbo_run_all()
        self.assertEqual(check.difference_count, 1, check.line_ids.mapped("detail"))
        payment = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({"amount": 90.0})._create_payments()
        payment._qbo_write({"qbo_remote_change": "deleted"})
        self.env["qbo.webhook.event"].sudo().create({
            "company_id": self.company.id, "realm_id": self.realm_id, "qbo_entity": "Invoice", "qbo_id": "999",
            "operation": "Update", "event_time": "2026-01-01 00:00:00", "event_key": "dashboard", "state": "error"})

        [card] = self.cards(self.user_a)
        self.assertEqual({key: count for key, count in self.figures(card).items()
                          if key in ("review_payments", "changes_failed", "books")},
                         {"review_payments": 1, "changes_failed": 1, "books": 1})
        self.assert_lists_match(self.user_a, card)
        # Someone without the QuickBooks role gets no card at all.
        self.assertEqual(self.cards(self.invoice_user), [])
