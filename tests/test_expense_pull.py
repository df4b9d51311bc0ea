from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_expense import QboExpenseCommon


@tagged("post_install", "-at_install")
class TestExpensePull(QboExpenseCommon):
    """QuickBooks expenses become Odoo expenses: Sync Expense and the scheduled job, incremental, never twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.driver = cls.make_employee("Dana Driver")
        qbo_driver = cls.client.create("Employee", {"DisplayName": "Dana Driver", "GivenName": "Dana",
                                                    "FamilyName": "Driver"})
        cls.env["qbo.mapping"]._link(cls.company, cls.driver, "Employee", qbo_driver["Id"])
        cls.qbo_driver = qbo_driver
        cls.qbo_vendor = cls.client.create("Vendor", {"DisplayName": "Yellow Cabs"})

    def test_import_card_cash_and_check_expenses(self):
        """Card, cash and check expenses, with and without project, become draft expenses to the cent."""
        card = self.qbo_purchase("CreditCard", [("Travel", 245.37, "Flight to Denver", self.qbo_project["Id"])],
                                 payee={"value": self.qbo_driver["Id"], "type": "Employee"}, DocNumber="CC-7")
        cash = self.qbo_purchase("Cash", [("Meals and Entertainment", 18.5, "Team lunch", None)],
                                 payee={"value": self.qbo_vendor["Id"], "type": "Vendor"})
        check = self.qbo_purchase("Check", [("Office Expenses", 99.99, "Printer", None),
                                            ("Travel", 0.01, "Rounding", self.qbo_customer["Id"])], DocNumber="1042")
        message = self.sync()
        self.assertIn("4 expenses imported", message)

        [card_expense] = self.expenses_of(card)
        self.assertRecordValues(card_expense, [{
            "name": "Flight to Denver", "employee_id": self.driver.id, "total_amount_currency": 245.37,
            "total_amount": 245.37, "tax_amount": 0.0, "qbo_payment_type": "CreditCard", "qbo_doc_number": "CC-7",
            "qbo_expense_type": "quickbooks", "qbo_state": "imported", "state": "draft",
            "payment_mode": "company_account", "qbo_sync_token": card["SyncToken"],
        }])
        self.assertEqual(str(card_expense.date), "2026-03-02")
        travel = card_expense.product_id
        self.assertTrue(travel.can_be_expensed)
        self.assertEqual(travel.name, "Travel")
        qbo_travel = self.qbo_accounts["Travel"]
        travel_account = self.env["qbo.mapping"]._records_for(self.company, "Account", [qbo_travel])[qbo_travel]
        self.assertEqual(card_expense.account_id, travel_account)
        project = self.env["account.analytic.account"].browse(int(next(iter(card_expense.analytic_distribution))))
        self.assertEqual((project.name, card_expense.analytic_distribution[str(project.id)]),
                         ("Acme Rockets:Website Relaunch", 100))

        [cash_expense] = self.expenses_of(cash)
        self.assertRecordValues(cash_expense, [{
            "employee_id": self.bookkeeper.id, "total_amount_currency": 18.5, "qbo_payment_type": "Cash",
            "analytic_distribution": False,
        }])
        check_expenses = self.expenses_of(check)
        self.assertEqual(check_expenses.mapped("total_amount_currency"), [99.99, 0.01])
        self.assertEqual(check_expenses.mapped("qbo_payment_type"), ["Check", "Check"])
        self.assertEqual(check_expenses[1].product_id, travel, "one category per QuickBooks account")
        self.assertNotEqual(check_expenses[1].analytic_distribution, card_expense.analytic_distribution)
        self.assertEqual(sum(Decimal(str(amount)) for amount in check_expenses.mapped("total_amount_currency")),
                         Decimal(str(check["TotalAmt"])))

        # Grouped by expense type in My Expenses.
        groups = self.env["hr.expense"].read_group([("company_id", "=", self.company.id)], ["qbo_expense_type"],
                                                   ["qbo_expense_type"])
        self.assertEqual({group["qbo_expense_type"]: group["qbo_expense_type_count"] for group in groups},
                         {"quickbooks": 4})

        # A second run finds nothing new and duplicates nothing.
        self.assertIn("0 expenses imported", self.sync())
        self.assertEqual(len(self.expenses_of(card) | self.expenses_of(cash) | self.expenses_of(check)), 4)
        logs = self.env["qbo.sync.log"].search([("res_model", "=", "hr.expense"), ("res_id", "=", card_expense.id)])
        self.assertEqual(logs.mapped("direction"), ["import"])

    def test_changes_apply_until_submitted(self):
        """A change in QuickBooks updates a draft expense; after submission it is flagged, not applied."""
        doc = self.qbo_purchase("CreditCard", [("Travel", 100.0, "Hotel", None)])
        self.sync()
        expense = self.expenses_of(doc)
        doc = self.qbo_update_lines(doc, [{"Amount": 120.5, "Description": "Hotel, two nights"}])
        self.assertIn("1 updated", self.sync())
        self.assertRecordValues(expense, [{"total_amount_currency": 120.5, "name": "Hotel, two nights",
                                           "qbo_sync_token": doc["SyncToken"], "qbo_remote_change": False}])

        sheet = self.report(expense)
        self.assertEqual(expense.state, "submitted")
        self.qbo_update_lines(doc, [{"Amount": 999.0}])
        message = self.sync()
        self.assertIn("1 changed in QuickBooks after submission (flagged, not applied)", message)
        self.assertRecordValues(expense, [{"total_amount_currency": 120.5, "qbo_remote_change": "changed",
                                           "qbo_status": "remote_changed"}])
        self.assertIn("999.0", expense.message_ids[0].body)
        # Flagged once only.
        self.assertNotIn("changed in QuickBooks", self.sync())

        # Back to draft, the pending change applies on the next run.
        sheet.with_user(self.qbo_manager).action_reset_expense_sheets()
        self.assertEqual(expense.state, "reported")
        self.assertIn("1 updated", self.sync())
        self.assertRecordValues(expense, [{"total_amount_currency": 999.0, "qbo_remote_change": False,
                                           "qbo_status": "imported"}])

    def test_deleted_in_quickbooks_is_flagged(self):
        """A purchase deleted in QuickBooks flags its expenses; nothing is deleted in Odoo."""
        doc = self.qbo_purchase("Cash", [("Travel", 12.0, "Bus", None), ("Travel", 3.0, "Tram", None)])
        self.sync()
        expenses = self.expenses_of(doc)
        self.client.delete("Purchase", self.client.read("Purchase", doc["Id"]))
        self.assertIn("2 deleted in QuickBooks (flagged)", self.sync())
        self.assertEqual(expenses.mapped("qbo_status"), ["remote_deleted", "remote_deleted"])
        self.assertTrue(expenses.exists())
        self.assertIn("no longer exists", expenses[0].message_ids[0].body)
        expenses.with_user(self.qbo_manager).action_qbo_clear_flags()
        self.assertEqual(expenses.mapped("qbo_remote_change"), [False, False])

    def test_vendor_payee_waits_for_the_employee_setting(self):
        """The first Sync Expense with no "Employee of QuickBooks Expenses": what can be filed under an employee is
        imported, the others are reported with what to do and kept (the cursor moves on, nothing is lost);
        once the setting is chosen, the next sync imports them, each with its QuickBooks vendor."""
        self.company.qbo_expense_employee_id = False
        taxi = self.qbo_purchase("Cash", [("Travel", 18.5, "Taxi to the airport", None)], DocNumber="T-1",
                                 payee={"value": self.qbo_vendor["Id"], "type": "Vendor"})
        parking = self.qbo_purchase("CreditCard", [("Travel", 40.0, "Parking", None)], DocNumber="P-2")
        fuel = self.qbo_purchase("CreditCard", [("Travel", 61.23, "Fuel", None)],
                                 payee={"value": self.qbo_driver["Id"], "type": "Employee"})
        action = self.company.with_user(self.qbo_manager).action_qbo_sync_expenses()
        self.env.invalidate_all()
        message = action["params"]["message"]
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 expenses imported", message)
        self.assertIn("2 not imported yet, no employee to file them under (Purchase T-1 (Yellow Cabs, 18.50 USD), "
                      "Purchase P-2 (no payee, 40.00 USD)): choose the \"Employee of QuickBooks Expenses\" "
                      "(Accounting > Configuration > Settings > QuickBooks Online > Expenses", message)
        self.assertNotIn("failed", message)
        self.assertEqual(self.expenses_of(fuel).employee_id, self.driver)
        self.assertFalse(self.expenses_of(taxi) | self.expenses_of(parking))
        # Each one is in the sync log with what to do.
        logs = self.env["qbo.sync.log"].search([("company_id", "=", self.company.id), ("qbo_entity", "=", "Purchase"),
                                                ("status", "=", "error")])
        self.assertEqual(sorted(logs.mapped("qbo_id")), sorted([taxi["Id"], parking["Id"]]))
        taxi_log = logs.filtered(lambda log: log.qbo_id == taxi["Id"])
        self.assertIn("its payee Yellow Cabs is a vendor", taxi_log.message)
        self.assertIn("Choose the \"Employee of QuickBooks Expenses\"", taxi_log.message)
        # The cursor moved past them; they wait on its retry list, and stay there while the setting is empty.
        cursor = self.qbo_cursor("expense")
        self.assertTrue(cursor.read_until)
        self.assertEqual(sorted(cursor.retry_ids), sorted([taxi["Id"], parking["Id"]]))
        self.assertIn("2 not imported yet", self.sync())
        self.assertEqual(sorted(self.qbo_cursor("expense").retry_ids or []), sorted([taxi["Id"], parking["Id"]]))

        self.company.qbo_expense_employee_id = self.bookkeeper
        message = self.sync()
        self.assertIn("2 expenses imported", message)
        self.assertNotIn("not imported yet", message)
        self.assertFalse(self.qbo_cursor("expense").retry_ids)
        yellow_cabs = self.env["qbo.mapping"]._records_for(self.company, "Vendor", [self.qbo_vendor["Id"]])
        self.assertRecordValues(self.expenses_of(taxi), [{
            "employee_id": self.bookkeeper.id, "vendor_id": yellow_cabs[self.qbo_vendor["Id"]].id,
            "total_amount_currency": 18.5, "payment_mode": "company_account", "qbo_status": "imported",
        }])
        self.assertEqual(yellow_cabs[self.qbo_vendor["Id"]].name, "Yellow Cabs")
        self.assertRecordValues(self.expenses_of(parking), [{"employee_id": self.bookkeeper.id, "vendor_id": False,
                                                             "total_amount_currency": 40.0}])
        # Nothing imported twice, no second vendor.
        self.assertIn("0 expenses imported", self.sync())
        self.assertEqual([len(self.expenses_of(doc)) for doc in (taxi, parking, fuel)], [1, 1, 1])
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Yellow Cabs")]), 1)

    def test_vendor_matches_the_odoo_partner(self):
        """A QuickBooks vendor named like an Odoo vendor not linked yet is linked to it, not created again."""
        partner = self.env["res.partner"].create({"name": "Blue Taxis", "is_company": True, "supplier_rank": 1})
        qbo_vendor = self.client.create("Vendor", {"DisplayName": "Blue Taxis"})
        doc = self.qbo_purchase("Check", [("Travel", 25.75, "Taxi", None)],
                                payee={"value": qbo_vendor["Id"], "type": "Vendor"})
        self.assertIn("1 expenses imported", self.sync())
        self.assertEqual(self.expenses_of(doc).vendor_id, partner)
        self.assertEqual(self.env["qbo.mapping"]._qbo_ids_for(partner, "Vendor", self.company),
                         {partner.id: qbo_vendor["Id"]})
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Blue Taxis")]), 1)

    def test_credit_card_refund_is_skipped(self):
        """A credit card refund is not an expense: it is counted as skipped."""
        doc = self.qbo_purchase("CreditCard", [("Travel", 80.0, "Refunded fare", None)], Credit=True)
        self.assertIn("1 credit card refunds skipped", self.sync())
        self.assertFalse(self.expenses_of(doc))

    def test_only_quickbooks_managers_sync(self):
        """Employees and invoicing users cannot run Sync Expense."""
        for user in (self.employee_user, self.invoice_user):
            with self.assertRaises(AccessError):
                self.company.with_user(user).action_qbo_sync_expenses()

    def test_scheduled_job(self):
        """The scheduled job imports the expenses of the connected company."""
        doc = self.qbo_purchase("Check", [("Utilities", 61.23, "Water", None)])
        cron = self.env.ref("quickbooks_connector.ir_cron_qbo_pull_expenses")
        cron.method_direct_trigger()
        self.assertEqual(self.expenses_of(doc).total_amount_currency, 61.23)
        self.assertTrue(self.qbo_cursor("expense").read_until)
