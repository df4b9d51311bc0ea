import threading
from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.bus.models.bus import dispatch
from odoo.addons.bus.websocket import WebsocketConnectionHandler
from odoo.tests import tagged

from ..qbo_sandbox import entities
from .common_expense import QboExpenseExportCommon
from .common_mapping import QboMappingCommon
from .common_move import QboMoveExportCommon, QboTwoCompaniesCommon, money


@contextmanager
def live_bus():
    """Let the browser's bus work during a tour, as Odoo's own bus tests do: websockets are off in test
    mode, and the test cursor drops the post-commit NOTIFY that wakes them up; a thread does its job."""
    stop = threading.Event()

    def wake_websockets():
        while not stop.wait(0.5):
            for websockets in list(dispatch._channels_to_ws.values()):
                for websocket in list(websockets):
                    websocket.trigger_notification_dispatching()

    with patch.object(WebsocketConnectionHandler, "websocket_allowed", return_value=True):
        thread = threading.Thread(target=wake_websockets, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


@tagged("post_install", "-at_install")
class TestFirstRunTour(QboMappingCommon):
    """The first-run path in a real browser (static/tests/tours/qbo_first_run_tour.js), on a company
    that was never connected."""

    qbo_connect_company = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Intuit's consent page is on another site: the test app's consent is given at once.
        cls.register_sandbox_app(redirect_uris=[cls.company.qbo_redirect_uri], auto_consent_realm=cls.realm_id)
        cls.admin_user.password = "qbo_admin"
        agency = cls.qbo_sandbox_company.all("TaxAgency")[0]["Id"]
        entities.create_tax_code(cls.qbo_sandbox_company, {"TaxCode": "Sales Tax 15", "TaxRateDetails": [
            {"TaxRateName": "Sales Tax 15", "RateValue": 15, "TaxAgencyId": agency}]})
        income = [doc for doc in cls.qbo_sandbox_company.all("Account") if doc["AccountType"] == "Income"][0]
        cls.qbo_sandbox_company.add("Customer", {"DisplayName": "Tour Customer", "Active": True})
        cls.qbo_sandbox_company.add("Item", {"Name": "Tour Service", "Type": "Service", "Active": True,
                                             "IncomeAccountRef": {"value": income["Id"]}})
        cls.env["res.partner"].create({"name": "Tour Customer", "is_company": True})
        cls.env["product.product"].create({"name": "Tour Service", "type": "service"})
        cls.env["hr.employee"].create({"name": "Tour Employee", "company_id": cls.company.id})

    def test_first_run(self):
        """Credentials, Connect, taxes (by rate, and another rate confirmed), defaults, master data: the
        checklist's five steps done in the browser, and the company ready for its first export."""
        self.company.write({"qbo_client_id": False, "qbo_client_secret": False})
        self.start_tour("/odoo", "quickbooks_first_run", login="qbo_admin", timeout=180)
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_state, "connected")
        maps = self.env["qbo.tax.map"]._qbo_maps_for(
            self.company, self.company.account_sale_tax_id | self.company.account_purchase_tax_id)
        self.assertEqual({tax_map.qbo_tax_code_name for tax_map in maps.values()}, {"Sales Tax 15"})
        self.assertEqual(self.company.qbo_expense_employee_id.name, "Tour Employee")
        setup = self.env["qbo.setup"].create({"company_id": self.company.id})
        self.assertEqual(setup.steps_done, 5)


@tagged("post_install", "-at_install")
class TestTours(QboMoveExportCommon):
    """Daily work in a real browser, on a connected company (static/tests/tours/)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.qbo_manager.password = "qbo_manager"
        cls.admin_user.password = "qbo_admin"
        cls.map_tax(cls.company.account_sale_tax_id, "California")
        cls.env["product.product"].create({"name": "Tour Service", "type": "service", "list_price": 80.0,
                                           "taxes_id": [(6, 0, cls.company.account_sale_tax_id.ids)]})
        cls.env["res.partner"].create({"name": "Tour Form Customer", "is_company": True})

    def test_export_from_form_and_list(self):
        """From a new invoice's form and from the list: exported, the user left where they were, no
        empty draft created, QuickBooks equal to Odoo to the cent."""
        listed = self.make_move(partner=self.make_partner("Tour List Customer"), lines=[{"price_unit": 45.5}])
        moves_before = self.env["account.move"].search_count([])
        self.start_tour("/odoo", "quickbooks_export_form_and_list", login="qbo_manager", timeout=180)
        created = self.env["account.move"].search([("partner_id.name", "=", "Tour Form Customer")])
        self.assertEqual(len(created), 1, "one invoice, no empty draft")
        self.assertEqual(self.env["account.move"].search_count([]), moves_before + 1)
        for move in created | listed:
            self.assertEqual(move.qbo_state, "exported")
            self.assert_amounts(move)
        self.assertEqual(created.amount_total, 92.0)  # 80.00 + 15 % tax

    def test_bulk_export(self):
        """51 invoices: asked first with their count, queued, sent in the background; the open list's
        badges change without a reload; each invoice once in QuickBooks, to the cent."""
        self.company.qbo_export_sync_limit = 2
        partner = self.make_partner("Tour Bulk Customer")
        moves = self.env["account.move"]
        for index in range(51):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": 10 + index / 100}])
        with live_bus():
            self.start_tour("/odoo", "quickbooks_bulk_export", login="qbo_admin", timeout=300)
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertEqual(len(self.qbo_docs("Invoice", CustomerRef=self.qbo_doc(moves[0])["CustomerRef"])), 51)
        for move in moves:
            self.assert_amounts(move)


@tagged("post_install", "-at_install")
class TestExpenseReportTour(QboExpenseExportCommon):
    """An approved expense report exported from its form, in a real browser."""

    def test_expense_report_export(self):
        """Exported from the report's form: the company-paid expense is a QuickBooks purchase of the same
        amount, the report says Exported and opens in QuickBooks."""
        self.qbo_manager.password = "qbo_manager"
        expense = self.make_expense(123.45, name="Tour taxi")
        sheet = self.report(expense)
        sheet.name = "Tour trip"
        sheet.with_user(self.qbo_manager).action_approve_expense_sheets()
        self.start_tour(f"/odoo/action-hr_expense.action_hr_expense_sheet_all/{sheet.id}",
                        "quickbooks_expense_report", login="qbo_manager", timeout=180)
        self.assertEqual(expense.qbo_state, "exported")
        purchase = self.qbo_sandbox_company.get("Purchase", expense.qbo_id)
        self.assertEqual(str(purchase["TotalAmt"]), "123.45")


@tagged("post_install", "-at_install")
class TestBooksInStepTour(QboMoveExportCommon):
    """Books in Step in a real browser (static/tests/tours/qbo_books_in_step_tour.js)."""

    def test_books_in_step(self):
        """An invoice edited in QuickBooks: compared, shown with both figures, repaired by sending Odoo's
        version from the preview; a new comparison started from the screen runs in the background."""
        self.qbo_manager.password = "qbo_manager"
        move = self.make_move(partner=self.make_partner("Tour Books Customer"), lines=[{"price_unit": 100.0}])
        self.export(move)
        remote = self.qbo_doc(move)
        self.client.update("Invoice", {"Id": remote["Id"], "SyncToken": remote["SyncToken"], "sparse": True,
                                       "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 120.0,
                                                 "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 120.0, "ItemRef":
                                                                         remote["Line"][0]["SalesItemLineDetail"]["ItemRef"]}}]})
        check = self.env["qbo.books.check"].create({"company_id": self.company.id, "date_from": "2019-01-01",
                                                    "date_to": "2019-12-31"})
        check.sudo()._qbo_run_all()
        self.assertEqual(check.difference_count, 2)  # the invoice, and its customer's balance
        self.start_tour("/odoo", "quickbooks_books_in_step", login="qbo_manager", timeout=180)
        self.assertEqual(money(self.qbo_doc(move)["TotalAmt"]), money(100))
        self.assertEqual(check.line_ids.filtered(lambda line: line.kind == "document").state, "repaired")
        started = self.env["qbo.books.check"].search([("id", "!=", check.id)])
        self.assertEqual((started.state, str(started.date_from)), ("running", "2019-01-01"))


@tagged("post_install", "-at_install")
class TestDashboardTour(QboTwoCompaniesCommon):
    """The QuickBooks cards of the Accounting dashboard in a real browser
    (static/tests/tours/qbo_dashboard_tour.js)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.name = "Dashboard Tour Co"
        cls.company_b = cls.other["company"]
        cls.qbo_manager.password = "qbo_manager"

    def invoice(self, company, partner_name, price):
        partner = self.env["res.partner"].search([("name", "=", partner_name)]) or self.make_partner(partner_name)
        return self.make_move(partner=partner, lines=[{"price_unit": price}], company_id=company.id,
                              journal_id=self.env["account.journal"].search(
                                  [("company_id", "=", company.id), ("type", "=", "sale")], limit=1).id)

    def test_dashboard_two_companies(self):
        """Company A's card counts two documents to export and one error, company B's one document: each
        figure opens a list of exactly those records, of its company only."""
        self.qbo_manager.company_ids |= self.company_b
        for price in (10.0, 20.0):
            self.invoice(self.company, "DASH-A Customer", price)
        self.invoice(self.company_b, "DASH-B Customer", 30.0)
        self.env["qbo.sync.log"].sudo().create({
            "company_id": self.company.id, "operation": "create", "qbo_entity": "Invoice", "status": "error",
            "message": "Dashboard tour error"})
        cids = f"{self.company.id}-{self.company_b.id}"
        self.start_tour(f"/odoo/accounting?cids={cids}", "quickbooks_dashboard", login="qbo_manager", timeout=180)

    def test_dashboard_in_french(self):
        """A manager working in French: the card, the list it opens, the invoice's QuickBooks button, the
        export's message and the Sync Log show in French; the invoice is exported once."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["quickbooks_connector"], ["fr_FR"], overwrite=True)
        self.qbo_manager.lang = "fr_FR"
        move = self.invoice(self.company, "DASH-FR Client", 45.0)
        self.start_tour(f"/odoo/accounting?cids={self.company.id}", "quickbooks_dashboard_fr", login="qbo_manager",
                        timeout=180)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        self.assertEqual(len(self.qbo_docs("Invoice", DocNumber=move.name)), 1)
