from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_move import QboMoveExportCommon, money


@tagged("post_install", "-at_install")
class TestDocumentImport(QboMoveExportCommon):
    """Documents typed in QuickBooks come into Odoo once, posted, equal to the cent, or held in draft
    with both figures; documents exported from Odoo never come back as copies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")
        cls.company.write({"qbo_import_documents": True, "qbo_import_start_date": "2019-01-01"})
        cls.qbo_customer = cls.client.create("Customer", {"DisplayName": "Born In QuickBooks Inc"})
        cls.qbo_vendor = cls.client.create("Vendor", {"DisplayName": "Paper Mill Supplies"})
        accounts = {account["Name"]: account["Id"] for account in cls.qbo_sandbox_company.all("Account")}
        cls.qbo_item = cls.client.create("Item", {"Name": "Bookkeeping Hour", "Type": "Service",
                                                  "IncomeAccountRef": {"value": accounts["Services"]},
                                                  "ExpenseAccountRef": {"value": accounts["Office Expenses"]}})
        cls.office = accounts["Office Expenses"]
        cls.eur = cls.setup_other_currency("EUR")

    def tax_code(self, name):
        return next(code["Id"] for code in self.qbo_sandbox_company.all("TaxCode") if code["Name"] == name)

    def qbo_invoice(self, lines, tax_code="California", **values):
        """An invoice typed in QuickBooks: ``lines`` are ``(qty, price, taxable)``."""
        return self.client.create("Invoice", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-02-01",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code(tax_code)}},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": round(qty * price, 2),
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": qty, "UnitPrice": price,
                                              "TaxCodeRef": {"value": "TAX" if taxable else "NON"}}}
                     for qty, price, taxable in lines],
            **values,
        })

    def imported(self, doc, move_type="out_invoice"):
        return self.env["account.move"].search([("company_id", "=", self.company.id), ("qbo_id", "=", doc["Id"]),
                                                ("move_type", "=", move_type)])

    def pull(self, model="qbo.invoice.import"):
        return self.env[model]._qbo_pull(self.company, 200)

    def test_invoice_typed_in_quickbooks_comes_in_posted_once(self):
        """A taxable and an exempt line: the customer and the item are created in Odoo and linked, the
        invoice is posted under QuickBooks' number, its total and tax equal QuickBooks' to the cent; read
        again, nothing is imported twice."""
        doc = self.qbo_invoice([(3, 33.33, True), (1, 10.0, False)], DocNumber="QB-1001")
        self.assertEqual((doc["TotalAmt"], doc["TxnTaxDetail"]["TotalTax"]), (117.99, 8.0))
        report = self.pull()
        self.assertEqual(report.message(), "1 documents imported")
        move = self.imported(doc)
        self.assertRecordValues(move, [{"name": "QB-1001", "state": "posted", "qbo_state": "imported",
                                        "qbo_imported": True, "qbo_sync_token": doc["SyncToken"]}])
        self.assertEqual((money(move.amount_total), money(move.amount_tax)), (money(117.99), money(8.0)))
        self.assertEqual(move.partner_id.name, "Born In QuickBooks Inc")
        self.assertEqual([line.product_id.name for line in move.invoice_line_ids], ["Bookkeeping Hour"] * 2)
        self.assertEqual(move.invoice_line_ids.mapped("tax_ids"), self.tax_ca)
        self.assertEqual(self.env["qbo.mapping"]._records_for(self.company, "Customer", [self.qbo_customer["Id"]]),
                         {self.qbo_customer["Id"]: move.partner_id})
        self.env["qbo.document.import"].with_context(lastcall=fields.Datetime.now())._cron_qbo_import_documents()
        self.assertEqual(len(self.imported(doc)), 1)

    def test_bill_typed_in_quickbooks(self):
        """A bill with an account line and an item line comes in posted, the vendor's number as its
        reference, to the cent."""
        doc = self.client.create("Bill", {
            "VendorRef": {"value": self.qbo_vendor["Id"]}, "TxnDate": "2019-03-05", "DocNumber": "PM-77",
            "Line": [
                {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 245.37, "Description": "Paper",
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.office}}},
                {"DetailType": "ItemBasedExpenseLineDetail", "Amount": 20.02,
                 "ItemBasedExpenseLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 2,
                                                "UnitPrice": 10.01}},
            ],
        })
        self.pull("qbo.bill.import")
        move = self.imported(doc, "in_invoice")
        self.assertRecordValues(move, [{"ref": "PM-77", "state": "posted", "qbo_state": "imported"}])
        self.assertEqual(money(move.amount_total), money(265.39))
        self.assertEqual(move.partner_id.name, "Paper Mill Supplies")

    @mute_logger("odoo.addons.quickbooks_connector.models.qbo_sync_log")
    def test_tax_code_without_odoo_tax(self):
        """A tax code no Odoo tax is mapped to stops that document (nothing half imported) with a message
        naming the code, and only that one: the other document of the page comes in; mapped, the next run
        imports it."""
        doc = self.qbo_invoice([(2, 50.0, True)], tax_code="Los Angeles")
        other = self.qbo_invoice([(1, 10.0, False)])
        report = self.pull()
        self.assertFalse(self.imported(doc))
        self.assertEqual((self.imported(other).state, report.imported), ("posted", 1))
        self.assertIn(f"QuickBooks tax code {self.tax_code('Los Angeles')} is mapped to no Odoo tax",
                      report.errors[0][1])
        self.assertEqual(self.env["account.move"].search([("qbo_imported", "=", True)]), self.imported(other))
        tax_la = self.make_tax("LA 9.5%", 9.5)
        self.map_tax(tax_la, "Los Angeles")
        self.pull()
        move = self.imported(doc)
        self.assertEqual((move.state, money(move.amount_total)), ("posted", money(doc["TotalAmt"])))

    @mute_logger("odoo.addons.quickbooks_connector.models.qbo_sync_log")
    def test_amounts_differ_held_in_draft(self):
        """Odoo's tax mapped to QuickBooks' code computes another amount: the invoice stays in draft,
        both figures shown, never posted with a difference."""
        tax_10 = self.make_tax("Misread 10%", 10.0)
        self.env["qbo.tax.map"].search([("tax_id", "=", self.tax_ca.id)]).unlink()
        self.map_tax(tax_10, "California")
        doc = self.qbo_invoice([(1, 100.0, True)])
        self.pull()
        move = self.imported(doc)
        self.assertEqual((move.state, move.qbo_state), ("draft", "error"))
        self.assertEqual(move.qbo_error, "Amounts differ: QuickBooks total 108.00 (tax 8.00), Odoo total 110.00 "
                                         "(tax 10.00); the document stays in draft until they agree.")

    def test_exported_invoice_not_imported_back(self):
        """An invoice exported from Odoo is in QuickBooks: the import leaves it alone."""
        move = self.make_move(partner=self.make_partner("Odoo Born Co"), lines=[{"price_unit": 42.0}])
        self.export(move)
        self.assertEqual(move.qbo_state, "exported")
        self.pull()
        self.assertEqual(self.imported(self.qbo_doc(move)), move)

    def test_imported_document_is_changed_in_quickbooks_only(self):
        """Odoo never sends an imported document back, nor resets or cancels it: the user is told to
        change it in QuickBooks."""
        doc = self.qbo_invoice([(1, 12.5, False)])
        self.pull()
        move = self.imported(doc)
        with self.assertRaisesRegex(Exception, "was created in QuickBooks; change, void or delete it there"):
            move.button_draft()
        with self.assertRaisesRegex(Exception, "created in QuickBooks, never sent back by Odoo"):
            self.export(move)
        self.assertEqual((move.state, move.qbo_state), ("posted", "imported"))

    def test_credit_memo_typed_in_quickbooks(self):
        """A credit memo comes in as a posted credit note, to the cent."""
        doc = self.client.create("CreditMemo", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-04-01",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code("California")}},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 19.99,
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 1, "UnitPrice": 19.99,
                                              "TaxCodeRef": {"value": "TAX"}}}],
        })
        self.pull("qbo.credit.memo.import")
        move = self.imported(doc, "out_refund")
        self.assertEqual((move.state, money(move.amount_total), money(move.amount_tax)),
                         ("posted", money(doc["TotalAmt"]), money(doc["TxnTaxDetail"]["TotalTax"])))

    def test_foreign_currency_at_quickbooks_rate(self):
        """An invoice in euros keeps its currency and QuickBooks' exchange rate."""
        customer = self.client.create("Customer", {"DisplayName": "Euro Buyer GmbH", "CurrencyRef": {"value": "EUR"}})
        doc = self.client.create("Invoice", {
            "CustomerRef": {"value": customer["Id"]}, "TxnDate": "2019-02-01", "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": 1.25,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 80.0,
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 2, "UnitPrice": 40.0,
                                              "TaxCodeRef": {"value": "NON"}}}],
        })
        self.pull()
        move = self.imported(doc)
        self.assertEqual((move.state, move.currency_id, money(move.amount_total)), ("posted", self.eur, money(80)))
        self.assertAlmostEqual(move.invoice_currency_rate, 0.8)
        self.assertEqual(money(move.amount_total_signed), money(100))

    def test_payment_in_quickbooks_follows(self):
        """The customer pays the imported invoice in QuickBooks: the payment comes in through the payment
        sync, posted and reconciled, the invoice paid."""
        doc = self.qbo_invoice([(2, 25.0, False)])
        self.pull()
        move = self.imported(doc)
        self.client.create("Payment", {"CustomerRef": {"value": self.qbo_customer["Id"]}, "TotalAmt": 50.0,
                                       "TxnDate": "2019-02-10",
                                       "Line": [{"Amount": 50.0, "LinkedTxn": [{"TxnId": doc["Id"],
                                                                                "TxnType": "Invoice"}]}]})
        self.env["qbo.payment.pull"]._qbo_sync(self.company, 100)
        self.assertEqual((move.payment_state, move.amount_residual), ("paid", 0.0))

    def test_opening_import(self):
        """The opening import counts what QuickBooks holds since the start date and what Odoo holds,
        turns the import on and starts it in the background (the job's lanes); each document comes in
        once, the one dated before the start never; counted again, all are in Odoo."""
        self.company.qbo_import_documents = False
        self.qbo_invoice([(1, 5.0, False)], TxnDate="2018-12-31")
        docs = [self.qbo_invoice([(1, 10.0 + index, False)]) for index in range(3)]
        with self.assertRaises(AccessError):
            self.env["qbo.import.wizard"].with_user(self.invoice_user).action_qbo_open()
        action = self.env["qbo.import.wizard"].with_user(self.qbo_manager).action_qbo_open()
        wizard = self.env["qbo.import.wizard"].with_user(self.qbo_manager).browse(action["res_id"])
        self.assertEqual(str(wizard.start_date), "2019-01-01")
        self.assertIn("Invoices: 3 in QuickBooks, 0 in Odoo (0 of them imported)", wizard.summary)
        wizard.import_bills = False
        lanes = self.env["ir.cron"].search([("code", "=", "model._cron_qbo_import_documents()")])
        self.assertEqual(len(lanes), 4)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)])
        wizard.action_qbo_import()
        self.assertEqual((self.company.qbo_import_documents, self.company.qbo_import_bills), (True, False))
        self.assertEqual((self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)]) - triggers).cron_id,
                         lanes)
        self.env["qbo.document.import"]._cron_qbo_import_documents()
        self.assertEqual([len(self.imported(doc)) for doc in docs], [1, 1, 1])
        self.assertEqual(self.env["account.move"].search_count([("qbo_imported", "=", True)]), 3)
        wizard.action_qbo_count()
        self.assertIn("Invoices: 3 in QuickBooks, 3 in Odoo (3 of them imported)", wizard.summary)

    def next_run(self, model="qbo.invoice.import"):
        """The import job's next run reads what changed since the cursor."""
        self.env[model].with_context(lastcall=fields.Datetime.now())._qbo_pull(self.company, 200)

    def test_changed_voided_deleted_in_quickbooks(self):
        """Changed in QuickBooks: the Odoo invoice is rewritten and posted again, to the cent; voided there:
        cancelled in Odoo; another deleted there: cancelled too."""
        doc = self.qbo_invoice([(3, 33.33, True)])
        other = self.qbo_invoice([(1, 70.0, False)])
        self.pull()
        move, other_move = self.imported(doc), self.imported(other)
        changed = self.client.update("Invoice", {
            "Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 160.0,
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 4, "UnitPrice": 40.0,
                                              "TaxCodeRef": {"value": "TAX"}}}]})
        self.next_run()
        self.assertEqual(self.imported(doc), move)
        self.assertRecordValues(move, [{"state": "posted", "qbo_state": "imported",
                                        "qbo_sync_token": changed["SyncToken"]}])
        self.assertEqual((money(move.amount_total), money(move.amount_tax)),
                         (money(changed["TotalAmt"]), money(changed["TxnTaxDetail"]["TotalTax"])))
        self.assertEqual(move.invoice_line_ids.mapped("quantity"), [4.0])
        self.client.void("Invoice", {"Id": changed["Id"], "SyncToken": changed["SyncToken"]})
        self.client.delete("Invoice", {"Id": other["Id"], "SyncToken": other["SyncToken"]})
        self.next_run()
        self.assertEqual((move.state, move.qbo_state), ("cancel", "voided"))
        self.assertEqual((other_move.state, other_move.qbo_state), ("cancel", "voided"))

    def test_paid_in_odoo_then_changed_in_quickbooks_is_flagged(self):
        """A document with a payment in Odoo is not rewritten by a change in QuickBooks: flagged, as it was."""
        doc = self.qbo_invoice([(1, 80.0, False)])
        self.pull()
        move = self.imported(doc)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {"amount": 80.0})._create_payments()
        self.client.update("Invoice", {
            "Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 90.0,
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 1, "UnitPrice": 90.0,
                                              "TaxCodeRef": {"value": "NON"}}}]})
        self.next_run()
        self.assertEqual((move.state, money(move.amount_total), move.qbo_remote_change),
                         ("posted", money(80), "changed"))

    def test_sales_receipt_comes_in_paid(self):
        """A sales receipt (paid at once in QuickBooks) comes in as a posted invoice with its payment,
        reconciled: nothing left to pay, to the cent; the opening import counts it apart from invoices."""
        doc = self.client.create("SalesReceipt", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-05-02", "DocNumber": "SR-9",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code("California")}},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 37.5,
                      "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": 3, "UnitPrice": 12.5,
                                              "TaxCodeRef": {"value": "TAX"}}}],
        })
        self.pull("qbo.sales.receipt.import")
        move = self.imported(doc)
        self.assertRecordValues(move, [{"name": "SR-9", "state": "posted", "qbo_imported_entity": "SalesReceipt",
                                        "amount_residual": 0.0}])
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual((money(move.amount_total), money(move.amount_tax)),
                         (money(doc["TotalAmt"]), money(doc["TxnTaxDetail"]["TotalTax"])))
        summary = self.env["qbo.import.wizard"].browse(
            self.env["qbo.import.wizard"].action_qbo_open()["res_id"]).summary
        self.assertIn("Sales Receipts: 1 in QuickBooks, 1 in Odoo (1 of them imported)", summary)
        self.assertIn("Invoices: 0 in QuickBooks, 0 in Odoo", summary)

    def test_fifty_lines_and_a_discount(self):
        """A 50-line invoice with a discount line: every line in Odoo, total and tax equal to QuickBooks'."""
        lines = [{"DetailType": "SalesItemLineDetail", "Amount": round((index % 5 + 1) * (9.99 + index), 2),
                  "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": index % 5 + 1,
                                          "UnitPrice": 9.99 + index, "TaxCodeRef": {"value": "NON"}}}
                 for index in range(50)]
        subtotal = sum(line["Amount"] for line in lines)
        doc = self.client.create("Invoice", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-06-01",
            "Line": [*lines, {"DetailType": "DiscountLineDetail", "Amount": 25.0,
                              "DiscountLineDetail": {"PercentBased": False}}],
        })
        self.assertEqual(money(doc["TotalAmt"]), money(subtotal - 25.0))
        self.pull()
        move = self.imported(doc)
        self.assertEqual(len(move.invoice_line_ids), 51)
        self.assertEqual((move.state, money(move.amount_total)), ("posted", money(doc["TotalAmt"])))
