from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_expense import QboExpenseCommon


@tagged("post_install", "-at_install")
class TestExpenseMapping(QboExpenseCommon):
    """The mapping screens of expense categories and projects, and how imports and exports use them."""

    def open_screen(self, kind, user=None):
        rows = self.env["qbo.expense.mapping.line"].with_user(user or self.qbo_manager).with_company(self.company)
        action = rows.action_open_screen(kind)
        return rows.with_context(action["context"]).search(action["domain"])

    def mapping(self, entity, qbo_id):
        return self.env["qbo.mapping"].search([("company_id", "=", self.company.id), ("qbo_entity", "=", entity),
                                               ("qbo_id", "=", qbo_id)])

    def test_category_screen_links_and_imports_use_it(self):
        """Choosing an Odoo category for a QuickBooks expense account links them; imports then use it."""
        rows = self.open_screen("category")
        names = set(rows.mapped("qbo_name"))
        self.assertTrue({"Travel", "Meals and Entertainment", "Cost of Goods Sold"} <= names)
        self.assertNotIn("Checking", names, "only expense accounts are categories")
        mileage = self.env["product.product"].create({"name": "Mileage", "can_be_expensed": True, "type": "service"})
        travel_row = rows.filtered(lambda row: row.qbo_name == "Travel")
        travel_row.product_id = mileage
        self.assertEqual(self.mapping("ExpenseCategory", self.qbo_accounts["Travel"]).res_id, mileage.id)
        # The same category cannot be a second QuickBooks account's.
        with self.assertRaisesRegex(UserError, "already linked"):
            rows.filtered(lambda row: row.qbo_name == "Utilities").product_id = mileage

        doc = self.qbo_purchase("Cash", [("Travel", 25.0, "Mileage March", None)])
        self.sync()
        self.assertEqual(self.expenses_of(doc).product_id, mileage)

        # Cleared on the screen: unlinked.
        travel_row.product_id = False
        self.assertFalse(self.mapping("ExpenseCategory", self.qbo_accounts["Travel"]))

    def test_create_missing_categories_and_projects(self):
        """Create in Odoo makes the category of an account and the analytic account of a project."""
        rows = self.open_screen("category").filtered(lambda row: row.qbo_name == "Insurance")
        rows.action_create_in_odoo()
        self.assertEqual(rows.product_id.name, "Insurance")
        self.assertTrue(rows.product_id.can_be_expensed)
        self.assertEqual(self.mapping("ExpenseCategory", self.qbo_accounts["Insurance"]).res_id, rows.product_id.id)
        with self.assertRaisesRegex(UserError, "without an Odoo record"):
            rows.action_create_in_odoo()

        projects = self.open_screen("project")
        project_row = projects.filtered(lambda row: row.qbo_id == self.qbo_project["Id"])
        self.assertTrue(project_row.qbo_is_project)
        self.assertEqual(project_row.qbo_name, "Acme Rockets:Website Relaunch")
        project_row.action_create_in_odoo()
        self.assertEqual(project_row.analytic_account_id.name, "Acme Rockets:Website Relaunch")
        self.assertEqual(self.mapping("Project", self.qbo_project["Id"]).res_id, project_row.analytic_account_id.id)
        # Reopened, the screen shows the link.
        analytic = project_row.analytic_account_id
        reopened = self.open_screen("project").filtered(lambda row: row.qbo_id == self.qbo_project["Id"])
        self.assertEqual(reopened.analytic_account_id, analytic)

    def test_only_quickbooks_managers_map(self):
        """Employees cannot open the expense mapping screens."""
        with self.assertRaises(AccessError):
            self.open_screen("category", user=self.employee_user)
