from odoo.tests import tagged

from .common_expense import QboExpenseExportCommon
from .common_move import QboMoveExportCommon, money


@tagged("post_install", "-at_install")
class TestProjectsOnInvoices(QboMoveExportCommon):
    """Invoices of a project land on its QuickBooks project, created on the way under its customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project_plan, _other_plans = cls.env["account.analytic.plan"]._get_all_plans()

    def setUp(self):
        super().setUp()
        for doc in self.qbo_sandbox_company.all("Customer"):
            if doc.get("IsProject"):
                self.qbo_sandbox_company.remove("Customer", doc["Id"])

    def project(self, name, **values):
        return self.env["account.analytic.account"].create({"name": name, "plan_id": self.project_plan.id,
                                                            "company_id": self.company.id, **values})

    def projects_in_quickbooks(self):
        return [doc for doc in self.qbo_sandbox_company.all("Customer") if doc.get("IsProject")]

    def test_invoice_lands_on_its_project(self):
        """Two invoices on the Kitchen project: one QuickBooks project under the invoices' customer, each invoice
        on it (ProjectRef), to the cent; an invoice of two projects lands on none; one without a project too."""
        customer = self.make_partner("Project Owner Inc")
        kitchen = self.project("Kitchen remodel")
        first, second = (self.make_move(partner=customer, lines=[{"price_unit": price,
                                                                   "analytic_distribution": {str(kitchen.id): 100}}])
                         for price in (100.0, 250.0))
        self.export(first | second)
        [project] = self.projects_in_quickbooks()
        self.assertEqual((project["DisplayName"], project["Job"], project["ParentRef"]["value"]),
                         ("Kitchen remodel", True, self.qbo_doc(first)["CustomerRef"]["value"]))
        for move in first | second:
            self.assert_amounts(move)
            self.assertEqual(self.qbo_doc(move)["ProjectRef"]["value"], project["Id"])
        self.assertEqual(self.env["qbo.mapping"]._qbo_ids_for(kitchen, "Project", self.company),
                         {kitchen.id: project["Id"]})

        bath = self.project("Bathroom")
        split = self.make_move(partner=customer, lines=[
            {"price_unit": 10.0, "analytic_distribution": {str(kitchen.id): 100}},
            {"price_unit": 20.0, "analytic_distribution": {str(bath.id): 100}}])
        plain = self.make_move(partner=customer, lines=[{"price_unit": 5.0}])
        self.export(split | plain)
        self.assertEqual([money(self.qbo_doc(move)["TotalAmt"]) for move in split | plain], [money(30), money(5)])
        self.assertEqual([self.qbo_doc(move).get("ProjectRef") for move in split | plain], [None, None])
        self.assertEqual(len(self.projects_in_quickbooks()), 1)

    def test_project_of_another_customer(self):
        """A project whose account names its customer is created under that customer."""
        owner = self.make_partner("Landlord LLC")
        tower = self.project("Tower lobby", partner_id=owner.id)
        move = self.make_move(partner=self.make_partner("Tenant Co"), lines=[
            {"price_unit": 80.0, "analytic_distribution": {str(tower.id): 100}}])
        self.export(move)
        [project] = self.projects_in_quickbooks()
        owner_id = self.env["qbo.mapping"]._qbo_ids_for(owner, "Customer", self.company)[owner.id]
        self.assertEqual(project["ParentRef"]["value"], owner_id)
        self.assertEqual(self.qbo_doc(move)["ProjectRef"]["value"], project["Id"])


@tagged("post_install", "-at_install")
class TestProjectsOnExpenses(QboExpenseExportCommon):
    """An expense on a project not in QuickBooks yet creates it under the project's customer; without one it
    says what to do, nothing sent."""

    def test_expense_creates_its_project(self):
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        client = self.env["res.partner"].create({"name": "Harbor Authority", "is_company": True})
        pier = self.env["account.analytic.account"].create({
            "name": "Pier 9", "plan_id": project_plan.id, "company_id": self.company.id, "partner_id": client.id})
        orphan = self.env["account.analytic.account"].create({
            "name": "Side quest", "plan_id": project_plan.id, "company_id": self.company.id})
        expense = self.make_expense(64.2, project=pier, name="Ferry tickets")
        lost = self.make_expense(12.0, project=orphan, name="Parking")
        self.approve(expense | lost)
        self.export(expense | lost)
        self.assertEqual(expense.qbo_state, "exported", expense.qbo_error)
        [project] = [doc for doc in self.qbo_sandbox_company.all("Customer")
                     if doc.get("IsProject") and doc["DisplayName"] == "Pier 9"]
        line = self.qbo_doc(expense)["Line"][0]
        self.assertEqual(line["AccountBasedExpenseLineDetail"]["CustomerRef"]["value"], project["Id"])
        self.assertEqual(lost.qbo_state, "error")
        self.assertIn("give it a customer", lost.qbo_error)
        self.assertFalse(lost.qbo_id)
