from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import query_params
from .common_mapping import QboMappingCommon


@tagged("post_install", "-at_install")
class TestSetupChecklist(QboMappingCommon):
    """The setup checklist: each step done or to do as it is, the one click of each step working, the
    company's settings changed by QuickBooks managers, the administrators' secrets kept theirs."""

    qbo_connect_company = False

    def open_setup(self, user):
        action = self.env["qbo.setup"].with_user(user).with_company(self.company).action_open()
        self.assertEqual((action["res_model"], action["target"]), ("qbo.setup", "current"))
        return self.env["qbo.setup"].with_user(user).browse(action["res_id"])

    def steps(self, setup):
        setup.invalidate_recordset()
        return {name: setup[name] for name in ("step_credentials", "step_connect", "step_taxes", "step_defaults",
                                                "step_master_data", "step_webhooks", "steps_done")}

    def test_first_run_path(self):
        """From nothing to five steps done, each step's button doing what it says."""
        self.company.write({"qbo_client_id": False, "qbo_client_secret": False})
        admin = self.open_setup(self.admin_user)
        self.assertEqual(self.steps(admin), {
            "step_credentials": False, "step_connect": False, "step_taxes": False, "step_defaults": False,
            "step_master_data": False, "step_webhooks": False, "steps_done": 0})
        with self.assertRaisesRegex(UserError, "Client ID and Client Secret"):
            admin.action_connect()

        # 1. The administrator enters the app's keys on the checklist.
        admin.write({"qbo_client_id": self.SANDBOX_CLIENT_ID, "qbo_client_secret": self.SANDBOX_CLIENT_SECRET})
        self.assertTrue(self.steps(admin)["step_credentials"])
        # 2. Connect: Intuit's consent, then back to this checklist in the company.
        action = admin.action_connect()
        params = query_params(self.sandbox_consent(action["url"], self.realm_id).headers["Location"])
        _company, back = self.env["qbo.connection"].with_user(self.admin_user)._qbo_oauth_callback(
            params["state"], code=params["code"], realm_id=params["realmId"])
        self.assertEqual(back, f"/odoo/quickbooks-setup?cids={self.company.id}")
        self.env.flush_all()
        self.company.invalidate_recordset()

        # The manager goes on: the taxes to map are named.
        setup = self.open_setup(self.qbo_manager)
        sale_tax, purchase_tax = self.company.account_sale_tax_id, self.company.account_purchase_tax_id
        self.assertEqual(self.steps(setup)["step_connect"], True)
        self.assertEqual(setup.qbo_company_name, "Sandbox Company_US_1")
        self.assertEqual(setup.taxes_todo, f"{sale_tax.name}, {purchase_tax.name}")
        # 3. Map Taxes opens the mapping screen on taxes; both default taxes are linked there.
        screen = setup.action_map_taxes()
        self.assertEqual(screen["context"]["searchpanel_default_kind"], "tax")
        rows = self.rows("tax")
        california = rows.filtered(lambda row: row.qbo_name == "California" and not row.res_id)
        confirm = (rows.filtered(lambda row: row.res_id == sale_tax.id) | california).action_link()
        self.env["qbo.mapping.confirm"].with_user(self.qbo_manager).browse(confirm["res_id"]).action_confirm()
        (self.rows("tax", res_id=purchase_tax.id) | self.rows("tax", qbo_id="NON")).action_link()
        self.assertTrue(self.steps(setup)["step_taxes"])
        self.assertFalse(setup.taxes_todo)

        # 4. Defaults: a QuickBooks manager (no right on companies) sets them here.
        with self.assertRaises(AccessError):
            self.company.with_user(self.qbo_manager).qbo_expense_employee_id = self.env["hr.employee"].create(
                {"name": "Nobody", "company_id": self.company.id})
        employee = self.env["hr.employee"].create({"name": "Setup Employee", "company_id": self.company.id})
        income = self.company_data["default_account_revenue"]
        setup.write({"qbo_expense_employee_id": employee.id, "qbo_default_income_account_id": income.id})
        self.assertEqual((self.company.qbo_expense_employee_id, self.company.qbo_default_income_account_id),
                         (employee, income))
        self.assertTrue(self.steps(setup)["step_defaults"])

        # 5. Master data: a customer and a product linked.
        partner = self.new_partner("Setup Customer")
        self.env["qbo.mapping"]._link(self.company, partner, "Customer", self.qbo_create(
            "Customer", {"DisplayName": "Setup Customer"})["Id"])
        self.assertFalse(self.steps(setup)["step_master_data"])
        self.assertEqual(setup.action_match_records()["context"]["searchpanel_default_kind"], "customer")
        income_account = [doc for doc in self.qbo_sandbox_company.all("Account") if doc["AccountType"] == "Income"][0]
        item = self.qbo_create("Item", {"Name": "Setup Item", "Type": "Service",
                                        "IncomeAccountRef": {"value": income_account["Id"]}})
        self.env["qbo.mapping"]._link(self.company, self.product_a, "Item", item["Id"])
        self.assertEqual(self.steps(setup), {
            "step_credentials": True, "step_connect": True, "step_taxes": True, "step_defaults": True,
            "step_master_data": True, "step_webhooks": False, "steps_done": 5})

    def test_secrets_and_companies(self):
        """Managers never see the app's secret nor connect; another company's manager opens only their own."""
        setup = self.open_setup(self.qbo_manager)
        self.assertNotIn("qbo_client_secret", setup.fields_get())
        with self.assertRaises(AccessError):
            setup.action_connect()
        with self.assertRaises(AccessError):
            setup.write({"qbo_client_secret": "stolen"})
        with self.assertRaises(AccessError):
            self.env["qbo.setup"].with_user(self.invoice_user).action_open()
        other = self.setup_other_company()["company"]
        with self.assertRaises(AccessError):
            self.env["qbo.setup"].with_user(self.qbo_manager).create({"company_id": other.id})
        # Someone else's checklist is not readable.
        self.assertFalse(self.env["qbo.setup"].with_user(self.admin_user).search([("id", "=", setup.id)]))

    def test_company_form_buttons_stay_on_the_record(self):
        """The company tab's buttons tell their result and leave the user on the same record and tab."""
        self.qbo_connect(self.company)
        result = self.company.with_user(self.qbo_manager).action_qbo_sync_payments()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertTrue(result["params"]["message"])
        result = self.company.with_user(self.qbo_manager).action_qbo_open_setup()
        self.assertEqual(self.env["qbo.setup"].browse(result["res_id"]).company_id, self.company)
