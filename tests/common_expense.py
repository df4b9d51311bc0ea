from odoo import Command

from .common import QboTestCommon

PAYMENT_ACCOUNTS = {"CreditCard": "Mastercard", "Cash": "Checking", "Check": "Checking"}


class QboExpenseCommon(QboTestCommon):
    """A connected company, employees, a QuickBooks customer with a project, and helpers to enter
    expenses in QuickBooks and to report and approve them in Odoo."""


    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.company._qbo_get_client()
        # The accounting manager approves expenses (Odoo's rule) and runs the QuickBooks actions.
        cls.qbo_manager.groups_id += cls.env.ref("hr_expense.group_hr_expense_manager")
        cls.employee_user = cls._qbo_new_user("qbo_expense_employee", "base.group_user")
        cls.employee_user.name = "Erin Employee"
        cls.employee = cls.make_employee("Erin Employee", user=cls.employee_user)
        cls.bookkeeper = cls.make_employee("Quinn Books")
        cls.company.qbo_expense_employee_id = cls.bookkeeper
        cls.qbo_accounts = {doc["Name"]: doc["Id"] for doc in cls.client.query_all("Account")}
        cls.qbo_customer = cls.client.create("Customer", {"DisplayName": "Acme Rockets"})
        cls.qbo_project = cls.client.create("Customer", {
            "DisplayName": "Website Relaunch", "IsProject": True, "ParentRef": {"value": cls.qbo_customer["Id"]}})

    def setUp(self):
        super().setUp()
        # QuickBooks is not rolled back with the test: forget the expenses of the previous tests.
        for entity in ("BillPayment", "Bill", "Purchase"):
            for doc in self.qbo_sandbox_company.all(entity):
                self.qbo_sandbox_company.remove(entity, doc["Id"])

    # ---- Odoo side ----

    @classmethod
    def make_employee(cls, name, user=None):
        return cls.env["hr.employee"].create({
            "name": name, "company_id": cls.company.id, "work_email": f"{name.split()[0].lower()}@example.com",
            "user_id": user.id if user else False, "work_contact_id": user.partner_id.id if user else False,
        })

    def expenses_of(self, doc):
        return self.env["hr.expense"].search([("company_id", "=", self.company.id), ("qbo_entity", "=", "Purchase"),
                                              ("qbo_id", "=", doc["Id"])], order="qbo_line_id")

    def report(self, expenses, submit=True):
        """Put ``expenses`` in a report (as the approver would for the employee) and submit it."""
        action = expenses.with_user(self.qbo_manager).action_submit_expenses()
        sheet = self.env["hr.expense.sheet"].browse(action["res_id"])
        if submit:
            sheet.with_user(self.qbo_manager).action_submit_sheet()
        return sheet

    def sync(self, user=None):
        """Press Sync Expense; return the notification's message."""
        action = self.company.with_user(user or self.qbo_manager).action_qbo_sync_expenses()
        self.env.invalidate_all()
        return action["params"]["message"]

    # ---- QuickBooks side ----

    def qbo_purchase(self, payment_type, lines, payee=None, **values):
        """Enter an expense in QuickBooks, as its user would: ``lines`` are (account name, amount, description,
        customer or project Id) tuples."""
        return self.client.create("Purchase", {
            "PaymentType": payment_type,
            "AccountRef": {"value": self.qbo_accounts[PAYMENT_ACCOUNTS[payment_type]]},
            "TxnDate": "2026-03-02",
            **({"EntityRef": payee} if payee else {}),
            "Line": [{
                "DetailType": "AccountBasedExpenseLineDetail", "Amount": amount, "Description": description,
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {"value": self.qbo_accounts[account]},
                    **({"CustomerRef": {"value": customer}} if customer else {}),
                },
            } for account, amount, description, customer in lines],
            **values,
        })

    def qbo_update_lines(self, doc, lines):
        current = self.client.read("Purchase", doc["Id"])
        current["Line"] = [dict(line, **changes) for line, changes in zip(current["Line"], lines)]
        return self.client.update("Purchase", current)


class QboExpenseExportCommon(QboExpenseCommon):
    """Expense categories, a project linked to the QuickBooks project, and the account paying company expenses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.travel = cls.env["product.product"].create({
            "name": "Travel (Odoo)", "type": "service", "can_be_expensed": True, "standard_price": 0.0,
            "property_account_expense_id": cls.company_data["default_account_expense"].id,
            "supplier_taxes_id": [Command.clear()],
        })
        project_plan, _other_plans = cls.env["account.analytic.plan"]._get_all_plans()
        cls.website = cls.env["account.analytic.account"].create({
            "name": "Website", "plan_id": project_plan.id, "company_id": cls.company.id})
        cls.env["qbo.mapping"]._link(cls.company, cls.website, "Project", cls.qbo_project["Id"])
        cls.company.qbo_expense_payment_account_id = cls.company_data["default_journal_bank"].default_account_id

    def make_expense(self, amount, payment_mode="company_account", taxes=None, project=None, **values):
        """An expense the employee records (its taxes and project set by the accountant)."""
        expense = self.env["hr.expense"].with_user(self.employee_user).create({
            "name": values.pop("name", "Client visit"), "employee_id": self.employee.id,
            "product_id": self.travel.id, "total_amount_currency": amount, "payment_mode": payment_mode,
            "date": "2026-03-05", **values,
        })
        expense = expense.with_user(self.env.user)
        expense.write({"tax_ids": [Command.set(taxes.ids if taxes else [])],
                       "analytic_distribution": {str(project.id): 100} if project else False})
        self.assertEqual(expense.total_amount_currency, amount)
        return expense

    def approve(self, expenses, post=False):
        sheet = self.report(expenses)
        sheet.with_user(self.qbo_manager).action_approve_expense_sheets()
        if post:
            sheet.with_user(self.qbo_manager).action_sheet_move_post()
        return sheet

    def export(self, records, user=None):
        """Run Action > Export to QBO on ``records`` as ``user``; return the notification's message."""
        xmlid = "action_server_qbo_export_expense" if records._name == "hr.expense" else \
            "action_server_qbo_export_expense_sheet"
        action = self.env.ref(f"quickbooks_connector.{xmlid}").with_user(user or self.qbo_manager).with_context(
            active_model=records._name, active_ids=records.ids, active_id=records[:1].id).run()
        self.env.invalidate_all()
        return action["params"]["message"]

    def qbo_doc(self, expense):
        return self.qbo_sandbox_company.get(expense.qbo_entity, expense.qbo_id)
