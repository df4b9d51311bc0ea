import json

import requests

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_expense import QboExpenseExportCommon

BANNERS = "//div[hasclass('alert')][@name='qbo_remote_change' or @name='qbo_error' or @name='qbo_retry']"
TECHNICAL_FIELDS = ("qbo_id", "qbo_line_id", "qbo_sync_token", "qbo_state", "qbo_retry_count",
                    "qbo_export_generation", "qbo_pending_requestid")


@tagged("post_install", "-at_install")
class TestExpenseStatus(QboExpenseExportCommon):
    """Expenses and expense reports show where they stand in QuickBooks (a report: what its expenses
    need most), open there, and tell apart what is retried by itself from what the user must fix."""

    def status_label(self, record):
        return dict(record._fields["qbo_status"]._description_selection(self.env))[record.qbo_status]

    def banners(self, record):
        return [node.get("name") for node in self.shown(record, self.qbo_manager, BANNERS)]

    def test_report_status_follows_its_expenses(self):
        """Partly exported, exported, changed in QuickBooks: the report's badge follows its expenses; both open in
        QuickBooks."""
        flight, taxi = self.make_expense(245.37, name="Flight"), self.make_expense(50.0, name="Taxi")
        sheet = self.approve(flight | taxi)
        self.assertEqual(sheet.qbo_status, "not_exported")
        self.assertEqual(self.export(flight), "1 exported")
        self.assertEqual((flight.qbo_status, taxi.qbo_status), ("exported", "not_exported"))
        self.assertEqual((sheet.qbo_status, self.status_label(sheet)), ("partial", "Partly exported"))
        self.assertEqual(len(self.shown(sheet, self.qbo_manager, "//header/button[@name='action_qbo_export']")), 1)
        self.assertEqual(self.export(sheet), "1 exported, 1 already up to date")
        self.assertRecordValues(sheet, [{"qbo_status": "exported", "qbo_document_count": 2}])
        self.assertFalse(self.shown(sheet, self.qbo_manager, "//header/button[@name='action_qbo_export']"))
        self.assertEqual(self.banners(sheet), [])

        # The report opens the list of its expenses in QuickBooks; each opens its own purchase.
        [button] = self.shown(sheet, self.qbo_manager, "//button[@name='action_qbo_open']")
        self.assertEqual(button.xpath(".//field/@name"), ["qbo_document_count"])
        action = sheet.with_user(self.qbo_manager).action_qbo_open()
        self.assertEqual(action["res_model"], "hr.expense")
        self.assertEqual(self.env["hr.expense"].search(action["domain"]), flight | taxi)
        action = flight.with_user(self.qbo_manager).action_qbo_open()
        self.assertIn(f"/app/expense?txnId={flight.qbo_id}", action["url"])
        page = requests.get(action["url"], timeout=10)  # the sandbox's page of that purchase
        self.assertEqual(page.status_code, 200)
        self.assertIn("245.37", page.text)
        with self.assertRaises(AccessError):
            sheet.with_user(self.employee_user).action_qbo_open()

        # Changed in QuickBooks after its export: the expense and its report say so until reviewed.
        self.qbo_update_lines(self.qbo_doc(flight), [{"Amount": 300.0}])
        self.assertIn("1 changed in QuickBooks", self.sync())
        self.assertEqual((flight.qbo_status, self.status_label(flight)), ("remote_changed", "Changed in QuickBooks"))
        self.assertEqual(sheet.qbo_status, "remote_changed")
        self.assertEqual(self.banners(sheet), ["qbo_remote_change"])
        self.assertEqual(self.banners(flight), ["qbo_remote_change"])
        self.assertIn("Send Odoo's Version to QuickBooks", [
            node.get("string") for node in self.shown(flight, self.qbo_manager, "//header/button")])
        flight.with_user(self.qbo_manager).action_qbo_clear_flags()
        self.assertEqual((flight.qbo_status, sheet.qbo_status), ("exported", "exported"))

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_report_retried_then_refused(self):
        """QuickBooks down: the report will be retried by itself (blue); refused: red, for the user to fix; a
        report of one expense opens its purchase directly."""
        self.addCleanup(self.sandbox.clear_faults)
        expense = self.make_expense(64.0)
        sheet = self.approve(expense)
        self.sandbox.inject_fault(status=503, count=4, path_contains="/purchase?", method="POST",
                                  headers={"Retry-After": "0"})
        self.assertIn("1 will be retried automatically", self.export(sheet))
        self.assertEqual((expense.qbo_status, sheet.qbo_status, self.status_label(sheet)),
                         ("retry", "retry", "Will be retried"))
        self.assertEqual(self.banners(expense), ["qbo_retry"])
        self.assertEqual(self.banners(sheet), ["qbo_retry"])
        self.assertIn("alert-info", self.shown(sheet, self.qbo_manager, "//div[@name='qbo_retry']")[0].get("class"))

        fault = {"Fault": {"type": "ValidationFault", "Error": [
            {"Message": "Invalid account", "Detail": "The account is inactive", "code": "6000"}]}}
        self.sandbox.inject_fault(status=400, body=json.dumps(fault), content_type="application/json",
                                  path_contains="/purchase?", method="POST")
        self.assertIn("1 failed", self.export(sheet))
        self.assertEqual((expense.qbo_status, sheet.qbo_status), ("error", "error"))
        self.assertEqual(self.banners(expense), ["qbo_error"])
        self.assertEqual(self.banners(sheet), ["qbo_error"])
        self.assertIn("alert-danger", self.shown(sheet, self.qbo_manager, "//div[@name='qbo_error']")[0].get("class"))

        self.assertEqual(self.export(sheet), "1 exported")
        self.assertEqual(self.banners(sheet), [])
        action = sheet.with_user(self.qbo_manager).action_qbo_open()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"txnId={expense.qbo_id}", action["url"])

    def test_technical_fields_in_developer_mode_only(self):
        expense = self.make_expense(12.5)
        self.approve(expense)
        self.export(expense)
        technical = "|".join(f"//field[@name='{name}']" for name in TECHNICAL_FIELDS)
        self.assertEqual(self.shown(expense, self.qbo_manager, technical), [])
        self.assertEqual({node.get("name") for node in self.shown(expense, self.qbo_manager, technical, debug=True)},
                         set(TECHNICAL_FIELDS))
