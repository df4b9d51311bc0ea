from odoo import Command
from odoo.addons.quickbooks_connector.tests.common_move import QboMoveExportCommon, money
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestTimesheetInvoicing(QboMoveExportCommon):
    """The seed's walkthrough: an order confirmed generates a task, an employee logs time on it and on a second
    task, the timesheets go to QuickBooks as billable time on the project, the invoice made from them names the
    tasks and bills that time, which QuickBooks then holds as billed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        hour = cls.env.ref("uom.product_uom_hour")
        cls.consulting = cls.env["product.product"].create({
            "name": "Consulting Hour", "type": "service", "list_price": 90.0, "invoice_policy": "delivery",
            "service_type": "timesheet", "service_tracking": "task_in_project", "project_id": False,
            "uom_id": hour.id, "uom_po_id": hour.id, "taxes_id": [Command.clear()]})
        cls.employee = cls.env["hr.employee"].create({"name": "Tess Timesheet", "company_id": cls.company.id})
        cls.company.write({"qbo_export_timesheets": True, "qbo_export_orders": "manual"})

    def setUp(self):
        super().setUp()
        for doc in self.qbo_sandbox_company.all("TimeActivity"):
            self.qbo_sandbox_company.remove("TimeActivity", doc["Id"])

    def log(self, task, hours, name):
        return self.env["account.analytic.line"].create({
            "name": name, "task_id": task.id, "project_id": task.project_id.id, "employee_id": self.employee.id,
            "unit_amount": hours, "date": "2019-01-10"})

    def test_timesheets_to_invoice(self):
        customer = self.make_partner("Timesheet Client")
        order = self.env["sale.order"].create({"partner_id": customer.id, "order_line": [
            Command.create({"product_id": self.consulting.id, "product_uom_qty": 10, "tax_id": [Command.clear()]})]})
        order.action_confirm()
        generated = order.tasks_ids
        self.assertEqual(len(generated), 1)
        api_task = self.env["project.task"].create({
            "name": "API build", "project_id": generated.project_id.id, "sale_line_id": order.order_line.id,
            "partner_id": customer.id})
        wireframes, api = self.log(generated, 2.5, "Wireframes"), self.log(api_task, 1.25, "Endpoints")
        self.assertEqual((wireframes | api).mapped("qbo_state"), ["to_send", "to_send"])

        self.env["qbo.timesheet.export"]._qbo_cron_export(company=self.company)
        self.assertEqual((wireframes | api).mapped("qbo_state"), ["exported", "exported"], wireframes.qbo_error)
        first = self.qbo_sandbox_company.get("TimeActivity", wireframes.qbo_id)
        project = self.qbo_sandbox_company.get("Customer", first["CustomerRef"]["value"])
        self.assertEqual((first["Hours"], first["Minutes"], first["BillableStatus"], money(first["HourlyRate"])),
                         (2, 30, "Billable", money(90)))
        self.assertTrue(project["IsProject"])
        self.assertIn(generated.name, first["Description"])
        self.assertEqual(self.qbo_sandbox_company.get("Employee", first["EmployeeRef"]["value"])["DisplayName"],
                         "Tess Timesheet")

        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.invoice_line_ids.quantity, 3.75)
        self.export(invoice)
        self.assert_amounts(invoice)
        doc = self.qbo_doc(invoice)
        self.assertEqual(money(doc["TotalAmt"]), money(337.5))
        self.assertEqual(doc["ProjectRef"]["value"], project["Id"])
        description = doc["Line"][0]["Description"]
        self.assertIn(f"{generated.name}, API build", description)
        self.assertLessEqual({(wireframes.qbo_id, "TimeActivity"), (api.qbo_id, "TimeActivity")},
                             {(link["TxnId"], link["TxnType"]) for link in doc["LinkedTxn"]})
        for timesheet in wireframes | api:
            self.assertEqual(self.qbo_sandbox_company.get("TimeActivity", timesheet.qbo_id)["BillableStatus"],
                             "HasBeenBilled")
            self.assertEqual(timesheet.qbo_billable_status, "HasBeenBilled")

        # A billed timesheet corrected in Odoo: its time activity follows, still billed.
        api.name = "Endpoints and docs"
        self.env["qbo.timesheet.export"]._qbo_cron_export(company=self.company)
        updated = self.qbo_sandbox_company.get("TimeActivity", api.qbo_id)
        self.assertEqual((api.qbo_state, updated["BillableStatus"]), ("exported", "HasBeenBilled"), api.qbo_error)
        self.assertIn("Endpoints and docs", updated["Description"])
        self.assertEqual(len(self.qbo_sandbox_company.all("TimeActivity")), 2)
