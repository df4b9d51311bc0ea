from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_expense import QboExpenseExportCommon


@tagged("post_install", "-at_install")
class TestExpenseExport(QboExpenseExportCommon):
    """Approved Odoo expenses go to QuickBooks with their project: Purchases and Bills, once, to the cent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.purchase_tax = cls.env["account.tax"].create({
            "name": "Purchase 10%", "amount": 10.0, "amount_type": "percent", "type_tax_use": "purchase",
            "company_id": cls.company.id,
        })

    def test_only_the_manager_approves_and_exports(self):
        """An employee can report an expense but neither approve nor export it; the manager can."""
        expense = self.make_expense(42.0)
        sheet = self.report(expense)
        with self.assertRaisesRegex(UserError, "You cannot approve"):
            sheet.with_user(self.employee_user).action_approve_expense_sheets()
        with self.assertRaises(AccessError):
            expense.with_user(self.employee_user).action_qbo_export()
        with self.assertRaises(AccessError):
            sheet.with_user(self.employee_user).action_qbo_export()
        with self.assertRaises(AccessError):
            self.export(expense, user=self.employee_user)
        export_action = self.env.ref("quickbooks_connector.action_server_qbo_export_expense")
        for user, shown in ((self.employee_user, False), (self.qbo_manager, True)):
            bindings = self.env["ir.actions.actions"].with_user(user).get_bindings("hr.expense")
            bound = [action["id"] for action in bindings.get("action", [])]
            self.assertEqual(export_action.id in bound, shown, user.name)
        sheet.with_user(self.qbo_manager).action_approve_expense_sheets()
        self.assertEqual(expense.state, "approved")
        self.assertEqual(self.export(expense), "1 exported")

    def test_unapproved_expense_is_refused(self):
        """Exporting an expense or report that is not approved is refused with a clear message."""
        expense = self.make_expense(42.0, name="Conference fee")
        with self.assertRaisesRegex(UserError, r"only approved expenses can be exported.*Conference fee \(To Report\)"):
            self.export(expense)
        sheet = self.report(expense)
        with self.assertRaisesRegex(UserError, r"only approved expense reports can be exported"):
            self.export(sheet)
        self.assertEqual(expense.qbo_state, "not_exported")
        self.assertFalse(self.qbo_sandbox_company.all("Purchase"))

    def test_company_paid_expense_with_project(self):
        """A company-paid expense is a Purchase from the payment account, with its project, never duplicated."""
        expense = self.make_expense(245.37, project=self.website, name="Flight to Denver")
        self.approve(expense)
        self.assertEqual(self.export(expense), "1 exported")
        self.assertRecordValues(expense, [{"qbo_state": "exported", "qbo_entity": "Purchase",
                                           "qbo_amount_total": 245.37, "qbo_expense_type": "odoo"}])
        doc = self.qbo_doc(expense)
        payment_account = self.env["qbo.mapping"]._qbo_ids_for(
            self.company.qbo_expense_payment_account_id, "Account", self.company)
        self.assertEqual(doc["AccountRef"]["value"], payment_account[self.company.qbo_expense_payment_account_id.id])
        self.assertEqual(doc["PaymentType"], "Cash")
        [line] = doc["Line"]
        self.assertEqual(line["AccountBasedExpenseLineDetail"]["CustomerRef"]["value"], self.qbo_project["Id"])
        self.assertEqual(Decimal(str(doc["TotalAmt"])), Decimal("245.37"))
        expense_account = self.qbo_sandbox_company.get("Account",
                                                       line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
        self.assertEqual(expense_account["AccountType"], "Expense")
        self.assertIn("Exported to QuickBooks", expense.message_ids[0].body)

        # Exported again: nothing is sent. Edited, then exported again: the purchase is updated.
        self.assertEqual(self.export(expense), "0 exported, 1 already up to date")
        expense.with_user(self.qbo_manager).name = "Flight to Denver and back"
        self.assertEqual(expense.qbo_state, "changed")
        self.assertEqual(self.export(expense), "1 exported, 1 of them updated")
        [purchase] = self.qbo_sandbox_company.all("Purchase")
        self.assertEqual(purchase["Line"][0]["Description"], "Flight to Denver and back")
        self.assertEqual(expense.qbo_sync_token, purchase["SyncToken"])
        # Pulled: it is not imported back, nor flagged.
        self.assertIn("0 expenses imported", self.sync())
        purchases = self.env["hr.expense"].search([("qbo_entity", "=", "Purchase"), ("qbo_id", "=", doc["Id"])])
        self.assertEqual(purchases, expense)
        self.assertFalse(expense.qbo_remote_change)

    def test_employee_paid_expense_with_tax_is_a_bill(self):
        """An employee-paid expense is a Bill to the employee as a vendor; tax included, to the cent."""
        expense = self.make_expense(110.0, payment_mode="own_account", taxes=self.purchase_tax, project=self.website)
        self.assertEqual((expense.untaxed_amount_currency, expense.tax_amount_currency), (100.0, 10.0))
        sheet = self.approve(expense, post=True)
        self.assertEqual(sheet.state, "post")
        self.assertEqual(self.export(sheet), "1 exported")
        doc = self.qbo_doc(expense)
        self.assertEqual(expense.qbo_entity, "Bill")
        vendor = self.qbo_sandbox_company.get("Vendor", doc["VendorRef"]["value"])
        self.assertEqual(vendor["DisplayName"], "Erin Employee")
        self.assertEqual(Decimal(str(doc["TotalAmt"])), Decimal("110.00"))
        self.assertEqual(sorted(Decimal(str(line["Amount"])) for line in doc["Line"]),
                         [Decimal("10.00"), Decimal("100.00")])
        self.assertEqual({line["AccountBasedExpenseLineDetail"]["CustomerRef"]["value"] for line in doc["Line"]},
                         {self.qbo_project["Id"]})
        self.assertEqual(expense.qbo_state, "exported")
        # The exported bill is no purchase: the next pull leaves it alone.
        self.assertIn("0 expenses imported", self.sync())
        self.assertFalse(expense.qbo_remote_change)

    def test_expense_report_bill_is_not_exported_again(self):
        """The vendor bill Odoo makes for an employee-paid report is not exported a second time as an invoice bill."""
        expense = self.make_expense(55.0, payment_mode="own_account")
        sheet = self.approve(expense, post=True)
        self.assertEqual(self.export(sheet), "1 exported")
        bills_before = len(self.qbo_sandbox_company.all("Bill"))
        move = sheet.account_move_ids
        self.assertEqual((move.move_type, move.state), ("in_invoice", "posted"))
        notification = move.with_user(self.qbo_manager).action_qbo_export()
        self.assertEqual(notification["params"]["message"], "0 exported, 1 skipped: exported with their expense report")
        self.assertFalse(move.qbo_id)
        self.assertEqual(len(self.qbo_sandbox_company.all("Bill")), bills_before)

    def test_retry_after_lost_answer_never_duplicates(self):
        """QuickBooks created the purchase but every answer was lost: the retry replays it, no copy."""
        expense = self.make_expense(77.7)
        self.approve(expense)
        # The first call and the client's own retries (same requestid, replayed) all lose their answer.
        self.sandbox.inject_fault(kind="drop", path_contains="/purchase", after_commit=True, method="POST", count=4)
        message = self.export(expense)
        self.assertIn("1 will be retried automatically", message)
        self.assertEqual(expense.qbo_state, "to_send")
        self.assertTrue(expense.qbo_next_attempt)
        self.assertEqual(len(self.qbo_sandbox_company.all("Purchase")), 1)
        self.assertEqual(self.export(expense), "1 exported")
        [purchase] = self.qbo_sandbox_company.all("Purchase")
        self.assertEqual((expense.qbo_id, expense.qbo_state), (purchase["Id"], "exported"))

    def test_refused_report_removes_the_quickbooks_copy(self):
        """Refusing an exported report deletes its purchase in QuickBooks (it cannot be voided)."""
        expense = self.make_expense(30.0)
        sheet = self.approve(expense)
        self.export(expense)
        qbo_id = expense.qbo_id
        sheet.with_user(self.qbo_manager)._do_refuse("Duplicate")
        self.assertEqual(expense.state, "refused")
        self.assertRecordValues(expense, [{"qbo_state": "removed", "qbo_id": False}])
        self.assertIsNone(self.qbo_sandbox_company.get("Purchase", qbo_id))

    def test_deleted_expense_takes_its_copy_along(self):
        """An exported expense deleted after its report went back to draft is deleted in QuickBooks too."""
        expense = self.make_expense(19.99)
        sheet = self.approve(expense)
        self.export(expense)
        qbo_id = expense.qbo_id
        sheet.with_user(self.qbo_manager).action_reset_expense_sheets()
        expense.with_user(self.qbo_manager).unlink()
        self.assertIsNone(self.qbo_sandbox_company.get("Purchase", qbo_id))
        self.assertEqual(self.qbo_sandbox_company.deleted("Purchase", qbo_id)["status"], "Deleted")

    def test_reset_and_approved_again_updates(self):
        """A report reset to draft marks its expense changed; approved again, the purchase is updated."""
        expense = self.make_expense(50.0)
        sheet = self.approve(expense)
        self.export(expense)
        qbo_id = expense.qbo_id
        sheet.with_user(self.qbo_manager).action_reset_expense_sheets()
        self.assertEqual(expense.qbo_state, "changed")
        expense.with_user(self.qbo_manager).total_amount_currency = 55.55
        sheet.with_user(self.qbo_manager).action_submit_sheet()
        sheet.with_user(self.qbo_manager).action_approve_expense_sheets()
        self.assertEqual(self.export(expense), "1 exported, 1 of them updated")
        self.assertEqual(expense.qbo_id, qbo_id)
        self.assertEqual(Decimal(str(self.qbo_sandbox_company.get("Purchase", qbo_id)["TotalAmt"])), Decimal("55.55"))


@tagged("post_install", "-at_install")
class TestExpenseTaxNonUS(QboExpenseExportCommon):
    """A UK QuickBooks company (books in USD): VAT on expenses both ways, to the cent."""

    sandbox_company = {"name": "Sandbox Company_GB_1", "country": "GB", "home_currency": "USD"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat20 = cls.env["account.tax"].create({
            "name": "VAT 20% purchase", "amount": 20.0, "amount_type": "percent", "type_tax_use": "purchase",
            "company_id": cls.company.id,
        })
        cls.code20 = next(code for code in cls.qbo_sandbox_company.all("TaxCode") if code["Name"] == "20.0% S")
        cls.env["qbo.tax.map"]._qbo_link(cls.company, cls.vat20, {"id": cls.code20["Id"], "name": "20.0% S"}, False)

    def test_import_purchase_with_vat(self):
        """The purchase's VAT is in the expense's total and tax; the expenses add up to TotalAmt."""
        doc = self.client.create("Purchase", {
            "PaymentType": "Cash", "AccountRef": {"value": self.qbo_accounts["Checking"]}, "TxnDate": "2026-03-02",
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount, "Description": description,
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.qbo_accounts["Travel"]},
                                                        "TaxCodeRef": {"value": self.code20["Id"]}}}
                     for amount, description in ((33.33, "Train"), (16.67, "Taxi"))],
        })
        self.assertEqual(Decimal(str(doc["TxnTaxDetail"]["TotalTax"])), Decimal("10.00"))
        self.assertIn("2 expenses imported", self.sync())
        expenses = self.expenses_of(doc)
        self.assertEqual(expenses.mapped("total_amount_currency"), [40.0, 20.0])
        self.assertEqual(expenses.mapped("tax_amount_currency"), [6.67, 3.33])
        self.assertEqual(expenses.tax_ids, self.vat20)
        self.assertEqual(Decimal(str(sum(expenses.mapped("total_amount_currency")))).quantize(Decimal("0.01")),
                         Decimal(str(doc["TotalAmt"])))

    def test_export_expense_with_vat(self):
        """An expense with VAT included goes with its tax code; QuickBooks' total and tax match to the cent."""
        expense = self.make_expense(100.0, taxes=self.vat20)
        self.assertEqual((expense.untaxed_amount_currency, expense.tax_amount_currency), (83.33, 16.67))
        self.approve(expense)
        self.assertEqual(self.export(expense), "1 exported")
        doc = self.qbo_doc(expense)
        self.assertEqual((Decimal(str(doc["TotalAmt"])), Decimal(str(doc["TxnTaxDetail"]["TotalTax"]))),
                         (Decimal("100.00"), Decimal("16.67")))
        self.assertEqual(doc["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"]["value"], self.code20["Id"])
