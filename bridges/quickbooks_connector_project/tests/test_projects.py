from odoo.addons.quickbooks_connector.tests.common_expense import QboExpenseCommon
from odoo.addons.quickbooks_connector.tests.common_move import QboMoveExportCommon
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestProjectInvoices(QboMoveExportCommon):
    """An Odoo project is its QuickBooks project, under the project's customer; a Project Manager sees and does
    nothing of QuickBooks."""

    def test_invoice_of_a_project_lands_under_its_customer(self):
        """The Garden project of Garden Owner: an invoice to a tenant on it creates the QuickBooks project under
        Garden Owner, not under the tenant, and lands on it."""
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        owner = self.make_partner("Garden Owner")
        account = self.env["account.analytic.account"].create({
            "name": "Garden", "plan_id": project_plan.id, "company_id": self.company.id})
        self.env["project.project"].create({"name": "Garden", "partner_id": owner.id, "account_id": account.id,
                                            "company_id": self.company.id})
        move = self.make_move(partner=self.make_partner("Garden Tenant"), lines=[
            {"price_unit": 70.0, "analytic_distribution": {str(account.id): 100}}])
        self.export(move)
        self.assert_amounts(move)
        project = self.qbo_sandbox_company.get("Customer", self.qbo_doc(move)["ProjectRef"]["value"])
        owner_id = self.env["qbo.mapping"]._qbo_ids_for(owner, "Customer", self.company)[owner.id]
        self.assertEqual((project["DisplayName"], project["IsProject"], project["ParentRef"]["value"]),
                         ("Garden", True, owner_id))

    @mute_logger("odoo.http")
    def test_project_manager_sees_and_does_nothing(self):
        """A Project Manager without accounting roles: no QuickBooks menu, the export refused over JSON-RPC."""
        manager = self.project_manager
        self.assertTrue(manager)
        menu = self.env.ref("quickbooks_connector.menu_qbo_main")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids())
        move = self.make_move(lines=[{"price_unit": 12.0}])
        manager.password = "qbo_project_manager"
        self.authenticate("qbo_project_manager", "qbo_project_manager")
        with self.assertRaises(JsonRpcException) as refused:
            self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": "account.move", "method": "action_qbo_export", "args": [move.ids], "kwargs": {}})
        self.assertEqual(refused.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual((move.qbo_state, move.qbo_id), ("not_exported", False))


@tagged("post_install", "-at_install")
class TestProjectExpensePull(QboExpenseCommon):
    """A QuickBooks expense added to a project Odoo does not know yet comes in on a new Odoo project."""

    def test_expense_on_a_new_quickbooks_project(self):
        card = self.qbo_purchase("CreditCard", [("Travel", 88.8, "Site visit", self.qbo_project["Id"]),
                                                ("Travel", 11.2, "Taxi", self.qbo_customer["Id"])])
        self.sync()
        visit, taxi = self.expenses_of(card)
        account = self.env["account.analytic.account"].browse(int(next(iter(visit.analytic_distribution))))
        project = self.env["project.project"].search([("account_id", "=", account.id)])
        self.assertEqual((project.name, visit.total_amount_currency), ("Website Relaunch", 88.8))
        customer_account = self.env["account.analytic.account"].browse(int(next(iter(taxi.analytic_distribution))))
        self.assertFalse(self.env["project.project"].search([("account_id", "=", customer_account.id)]),
                         "a plain customer is no project")
        self.sync()
        self.assertEqual(self.env["project.project"].search_count([("name", "=", "Website Relaunch")]), 1)
