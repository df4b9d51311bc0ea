from odoo import Command
from odoo.tests import tagged

from .common_move import QboMoveExportCommon


@tagged("post_install", "-at_install")
class TestQboPreviewWizard(QboMoveExportCommon):
    """The QuickBooks Preview shows the document QuickBooks would record, as a table of lines and
    totals beside Odoo's (to the cent), and the JSON only in developer mode; nothing is sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")

    def preview(self, move):
        action = move.with_user(self.qbo_manager).action_qbo_preview()
        self.assertEqual(action["name"], "QuickBooks Preview")
        return self.env["qbo.preview.wizard"].browse(action["res_id"])

    def test_lines_and_totals(self):
        """Linked records by their QuickBooks names, new ones marked (new), US line tax codes and the
        document's sales tax code; QuickBooks' totals equal Odoo's."""
        partner = self.make_partner("Preview Table Co")
        known = self.env["product.product"].create({"name": "Known Service", "type": "service"})
        new = self.env["product.product"].create({"name": "Brand New Widget", "type": "service"})
        self.export(self.make_move(partner=partner, lines=[{"product_id": known.id, "price_unit": 1}]))
        invoices = len(self.qbo_docs("Invoice"))
        move = self.make_move(partner=partner, lines=[
            {"product_id": known.id, "quantity": 3, "price_unit": 12.5, "tax_ids": [Command.set(self.tax_ca.ids)]},
            {"product_id": new.id, "quantity": 1, "price_unit": 20},
        ])
        wizard = self.preview(move)
        self.assertRecordValues(wizard.line_ids, [
            {"item": "Known Service", "name": "Known Service", "quantity": 3.0, "price_unit": 12.5, "amount": 37.5,
             "tax_code": "Taxable"},
            {"item": "Brand New Widget (new)", "name": "Brand New Widget", "quantity": 1.0, "price_unit": 20.0,
             "amount": 20.0, "tax_code": "Not taxable"},
        ])
        self.assertRecordValues(wizard, [{
            "document_label": "Invoice", "partner": "Preview Table Co", "tax_code": "California",
            "qbo_subtotal": 57.5, "qbo_tax": 3.0, "qbo_total": 60.5,
            "expected_subtotal": 57.5, "expected_tax": 3.0, "expected_total": 60.5, "amounts_match": True,
        }])
        self.assertEqual(wizard.warning, "What is marked (new) is not in QuickBooks yet: it is created at export.")
        self.assertEqual(len(self.qbo_docs("Invoice")), invoices)
        self.assertFalse(self.qbo_docs("Item", Name="Brand New Widget"))

    def test_bill_lines_by_account(self):
        """A bill line without product is shown with its QuickBooks account."""
        vendor = self.make_partner("Preview Supplies")
        account = self.company_data["default_account_expense"]
        move = self.make_move("in_invoice", vendor, [{"product_id": False, "name": "Paper", "quantity": 2,
                                                      "price_unit": 4.25, "account_id": account.id}])
        wizard = self.preview(move)
        self.assertRecordValues(wizard.line_ids, [{"item": f"{account.display_name} (new)", "name": "Paper",
                                                   "amount": 8.5, "tax_code": ""}])
        self.assertRecordValues(wizard, [{"document_label": "Bill", "partner": "Preview Supplies (new)",
                                          "qbo_total": 8.5, "expected_total": 8.5, "amounts_match": True}])

    def test_json_only_in_developer_mode(self):
        """The manager's form shows the table; the JSON appears with developer mode."""
        self.qbo_manager.write({"password": "qbo_manager", "groups_id": [(4, self.env.ref("base.group_no_one").id)]})
        self.authenticate("qbo_manager", "qbo_manager")
        for debug in (False, True):
            if debug:
                self.url_open("/odoo?debug=1")
            arch = self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": "qbo.preview.wizard", "method": "get_views", "args": [[[False, "form"]]], "kwargs": {},
            })["views"]["form"]["arch"]
            self.assertIn('name="line_ids"', arch)
            self.assertIn('name="qbo_total"', arch)
            self.assertEqual('name="payload_json"' in arch, debug)
            self.assertNotIn("QBO", arch)
