from odoo import fields
from odoo.addons.quickbooks_connector.tests.common_import import QboDocumentImportCommon
from odoo.addons.quickbooks_connector.tests.common_move import money
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestEstimateImport(QboDocumentImportCommon):
    """Estimates typed in QuickBooks come in as quotations, once, equal to the cent; while quotations they follow
    QuickBooks; Estimates Odoo sent never come back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")

    def setUp(self):
        super().setUp()
        for doc in self.qbo_sandbox_company.all("Estimate"):
            self.qbo_sandbox_company.remove("Estimate", doc["Id"])

    def qbo_estimate(self, lines, **values):
        return self.client.create("Estimate", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-02-01",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code("California")}},
            "Line": [self.sales_line(qty, price, "TAX" if taxable else "NON") for qty, price, taxable in lines],
            **values})

    def quotation(self, doc):
        return self.env["sale.order"].search([("company_id", "=", self.company.id), ("qbo_id", "=", doc["Id"])])

    def import_documents(self):
        self.env["qbo.document.import"].with_context(lastcall=fields.Datetime.now())._cron_qbo_import_documents()

    def test_estimate_typed_in_quickbooks(self):
        """A taxable and an exempt line: a quotation of the QuickBooks customer, its number as the customer's
        reference, 117.99 of which 8.00 tax like QuickBooks; read again, nothing twice. Accepted in QuickBooks,
        the quotation shows it; a line changed there rewrites it; deleted there, it is cancelled."""
        doc = self.qbo_estimate([(3, 33.33, True), (1, 10.0, False)], DocNumber="E-7", ExpirationDate="2019-03-01")
        self.import_documents()
        order = self.quotation(doc)
        self.assertRecordValues(order, [{"state": "draft", "qbo_state": "imported", "qbo_imported": True,
                                         "client_order_ref": "E-7", "qbo_estimate_status": "Pending",
                                         "qbo_sync_token": doc["SyncToken"]}])
        self.assertEqual((money(order.amount_total), money(order.amount_tax)), (money(117.99), money(8.0)))
        self.assertEqual((order.partner_id.name, str(order.validity_date)), ("Born In QuickBooks Inc", "2019-03-01"))
        self.assertEqual(order.order_line.tax_id, self.tax_ca)
        self.import_documents()
        self.assertEqual(len(self.quotation(doc)), 1)

        doc = self.client.update("Estimate", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                              "TxnStatus": "Accepted", "AcceptedBy": "Jane Buyer",
                                              "Line": [self.sales_line(2, 50.0, "TAX")]})
        self.import_documents()
        self.assertEqual((order.qbo_estimate_status, money(order.amount_total), order.state),
                         ("Accepted", money(108.0), "draft"))

        self.client.delete("Estimate", {"Id": doc["Id"], "SyncToken": doc["SyncToken"]})
        self.next_run("qbo.estimate.import")
        self.assertEqual(order.state, "cancel")

    def test_sent_estimate_not_imported_back(self):
        """An order sent from Odoo as an Estimate is not imported again as a quotation."""
        order = self.env["sale.order"].create({
            "partner_id": self.make_partner("Odoo Order Customer").id,
            "order_line": [(0, 0, {"product_id": self.service.id, "price_unit": 42.0, "tax_id": []})]})
        order.with_user(self.qbo_manager).action_qbo_export()
        self.assertEqual(order.qbo_state, "exported", order.qbo_error)
        self.import_documents()
        self.assertEqual(self.env["sale.order"].search_count([("qbo_id", "=", order.qbo_id)]), 1)
        self.assertFalse(order.qbo_imported)
