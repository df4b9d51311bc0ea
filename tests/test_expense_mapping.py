from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_expense import QboExpenseCommon


@tagged("post_install", "-at_install")
class TestExpenseMapping(QboExpenseCommon):
    """Expense categories and projects on the mapping screen, and how imports and exports use them."""

    def open_screen(self, kind, user=None):
        rows = self.env["qbo.mapping.line"].with_user(user or self.qbo_manager).with_company(self.company)
        action = rows.action_open_screen(kind)
        return rows.search(action["domain"] + [("kind", "=", kind)])

    def mapping(self, entity, qbo_id):
        return self.env["qbo.mapping"].search([("company_id", "=", self.company.id), ("qbo_entity", "=", entity),
                                               ("qbo_id", "=", qbo_id)])

    def test_category_screen_links_and_imports_use_it(self):
        """Linking an Odoo category to a QuickBooks expense account: imports then use it; unlinked, no more."""
        mileage = self.env["product.product"].create({"name": "Mileage", "can_be_expensed": True, "type": "service"})
        rows = self.open_screen("category")
        names = set(rows.filtered(lambda row: row.state == "qbo").mapped("qbo_name"))
        self.assertTrue({"Travel", "Meals and Entertainment", "Cost of Goods Sold"} <= names)
        self.assertNotIn("Checking", names, "only expense accounts are categories")
        travel_row = rows.filtered(lambda row: row.qbo_name == "Travel")
        self.assertEqual(travel_row.qbo_detail, "Expense")
        mileage_row = rows.filtered(lambda row: row.res_id == mileage.id)
        self.assertEqual(mileage_row.state, "odoo")
        # the names differ: linked once confirmed
        (mileage_row | travel_row).with_context(qbo_link_confirmed=True).action_link()
        self.assertEqual(self.mapping("ExpenseCategory", self.qbo_accounts["Travel"]).res_id, mileage.id)
        # The same category cannot be a second QuickBooks account's.
        utilities_row = self.open_screen("category").filtered(lambda row: row.qbo_name == "Utilities")
        with self.assertRaisesRegex(UserError, "already linked"):
            self.env["qbo.mapping"]._link(self.company, mileage, "ExpenseCategory", utilities_row.qbo_id)

        doc = self.qbo_purchase("Cash", [("Travel", 25.0, "Mileage March", None)])
        self.sync()
        self.assertEqual(self.expenses_of(doc).product_id, mileage)

        # Unlinked on the screen: the link is gone, both rows are offered again.
        rows = self.open_screen("category")
        rows.filtered(lambda row: row.res_id == mileage.id).action_unlink_pairs()
        self.assertFalse(self.mapping("ExpenseCategory", self.qbo_accounts["Travel"]))
        self.assertEqual(self.open_screen("category").filtered(lambda row: row.qbo_name == "Travel").state, "qbo")

    def test_create_missing_categories_and_projects(self):
        """Create in Odoo makes the category of an account and the analytic account of a project."""
        row = self.open_screen("category").filtered(lambda row: row.qbo_name == "Insurance")
        row.action_import()
        insurance = self.open_screen("category").filtered(lambda row: row.qbo_name == "Insurance")
        self.assertEqual(insurance.state, "linked")
        product = self.env["product.product"].browse(insurance.res_id)
        self.assertEqual(product.name, "Insurance")
        self.assertTrue(product.can_be_expensed)
        self.assertEqual(self.mapping("ExpenseCategory", self.qbo_accounts["Insurance"]).res_id, product.id)
        with self.assertRaisesRegex(UserError, "only in QuickBooks"):
            insurance.action_import()
        with self.assertRaisesRegex(UserError, "created in QuickBooks"):
            self.open_screen("category").filtered(lambda row: row.state == "odoo")[:1].action_export()

        project_row = self.open_screen("project").filtered(lambda row: row.qbo_id == self.qbo_project["Id"])
        self.assertTrue(project_row.qbo_is_project)
        self.assertEqual(project_row.qbo_name, "Acme Rockets:Website Relaunch")
        self.assertEqual(project_row.qbo_detail, "Project")
        project_row.action_import()
        mapping = self.mapping("Project", self.qbo_project["Id"])
        analytic = self.env["account.analytic.account"].browse(mapping.res_id)
        self.assertEqual(analytic.name, "Acme Rockets:Website Relaunch")
        # Reopened, the screen shows the link, once.
        reopened = self.open_screen("project").filtered(lambda row: row.qbo_id == self.qbo_project["Id"])
        self.assertRecordValues(reopened, [{"state": "linked", "res_id": analytic.id}])

    def test_only_quickbooks_managers_map(self):
        """Employees cannot open the mapping screen."""
        with self.assertRaises(AccessError):
            self.open_screen("category", user=self.employee_user)
