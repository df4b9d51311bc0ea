from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_import import QboDocumentImportCommon
from .common_move import money


@tagged("post_install", "-at_install")
class TestDocumentImport(QboDocumentImportCommon):
    """Documents typed in QuickBooks come into Odoo once, posted, equal to the cent, or held in draft
    with both figures; documents exported from Odoo never come back as copies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")
        cls.eur = cls.setup_other_currency("EUR")

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

    def test_refund_receipt_comes_in_refunded(self):
        """A refund receipt (money paid back at once in QuickBooks) comes in as a posted credit note with its
        payment out of the bank, reconciled: nothing left to refund, to the cent."""
        doc = self.client.create("RefundReceipt", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-05-03", "DocNumber": "RR-4",
            "DepositToAccountRef": {"value": self.checking},
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code("California")}},
            "Line": [self.sales_line(2, 12.49, "TAX")],
        })
        self.pull("qbo.refund.receipt.import")
        move = self.imported(doc, "out_refund")
        self.assertRecordValues(move, [{"name": "RR-4", "state": "posted", "qbo_imported_entity": "RefundReceipt",
                                        "amount_residual": 0.0}])
        self.assertEqual((money(move.amount_total), money(move.amount_tax)), (money(26.98), money(2.0)))
        self.assertEqual(money(doc["TotalAmt"]), money(26.98))
        payment = move._get_reconciled_payments()
        self.assertRecordValues(payment, [{"payment_type": "outbound", "amount": 26.98, "state": "paid"}])
        self.pull("qbo.credit.memo.import")  # a refund receipt is no credit memo
        self.assertEqual(self.env["account.move"].search_count([("qbo_imported", "=", True)]), 1)

    def test_company_rules_for_documents_created_in_quickbooks(self):
        """The company's rules: "Flag for review" leaves a changed invoice as it was, flagged with both totals
        and an activity; "Do nothing" leaves a voided one posted; a deleted one under "Flag for review" is
        flagged, still posted."""
        rules = self.env["qbo.event.rule"]
        rules._qbo_ensure_default_rules(self.company)

        def rule(event):
            return rules.search([("company_id", "=", self.company.id), ("event", "=", event)])

        self.assertEqual((rule("imported_updated").action, rule("imported_voided").action), ("update", "cancel"))
        rule("imported_updated").action = "review"
        rule("imported_voided").action = "ignore"
        changed, voided, deleted = (self.qbo_invoice([(1, price, False)]) for price in (80.0, 20.0, 30.0))
        self.pull()
        moves = [self.imported(doc) for doc in (changed, voided, deleted)]
        self.client.update("Invoice", {"Id": changed["Id"], "SyncToken": changed["SyncToken"], "sparse": True,
                                       "Line": [self.sales_line(1, 90.0, "NON")]})
        self.client.void("Invoice", {"Id": voided["Id"], "SyncToken": voided["SyncToken"]})
        report = self.next_run()
        self.assertEqual((moves[0].state, money(moves[0].amount_total), moves[0].qbo_remote_change),
                         ("posted", money(80), "changed"))
        self.assertIn("80.00 in Odoo", moves[0].qbo_remote_difference)
        self.assertIn("90.00 in QuickBooks", moves[0].qbo_remote_difference)
        self.assertEqual(moves[0].activity_ids.summary, "Review the QuickBooks change")
        self.assertEqual((moves[1].state, moves[1].qbo_remote_change), ("posted", False))
        self.assertIn("1 changes flagged for review", report.message())
        rule("imported_voided").action = "review"
        self.client.delete("Invoice", {"Id": deleted["Id"], "SyncToken": deleted["SyncToken"]})
        self.next_run()
        self.assertEqual((moves[2].state, moves[2].qbo_remote_change), ("posted", "deleted"))
        with self.assertRaises(Exception):
            rule("imported_updated").action = "pull"

    def test_edits_sent_to_quickbooks_when_the_company_says_so(self):
        """With "Sent to QuickBooks", an imported invoice reset, edited and posted again in Odoo goes back as
        an update of the same QuickBooks invoice (no copy), to the cent, and the next import has nothing to
        apply; cancelled in Odoo, it is voided there. A sales receipt stays refused."""
        self.company.qbo_imported_edits = "send"
        doc = self.qbo_invoice([(1, 50.0, False)], DocNumber="QB-77")
        receipt = self.client.create("SalesReceipt", {"CustomerRef": {"value": self.qbo_customer["Id"]},
                                                      "TxnDate": "2019-05-02", "Line": [self.sales_line(1, 5.0, "NON")]})
        self.pull()
        self.pull("qbo.sales.receipt.import")
        move = self.imported(doc)
        move.button_draft()
        move.invoice_line_ids.price_unit = 65.25
        move.action_post()
        self.export(move)
        remote = self.client.read("Invoice", doc["Id"])
        self.assertEqual((money(remote["TotalAmt"]), remote["DocNumber"]), (money(65.25), "QB-77"))
        self.assertEqual((move.qbo_state, move.qbo_sync_token), ("exported", remote["SyncToken"]))
        self.assertEqual(len(self.qbo_docs("Invoice")), 1)
        self.next_run()
        self.assertEqual((move.state, move.qbo_remote_change, money(move.amount_total)), ("posted", False, money(65.25)))
        move.button_cancel()
        self.assertEqual((move.state, money(self.client.read("Invoice", doc["Id"])["TotalAmt"])), ("cancel", 0))
        with self.assertRaisesRegex(Exception, "was created in QuickBooks; change, void or delete it there"):
            self.imported(receipt).button_draft()

    def test_numbers_used_twice_in_quickbooks(self):
        """QuickBooks numbers bills per vendor and lets a number serve twice; Odoo's journals do not: the
        second invoice is named with its QuickBooks Id, bills keep Odoo's numbering with the vendor's number
        as their reference; a number with another year than the date is kept as it is. All posted."""
        first = self.qbo_invoice([(1, 10.0, False)], DocNumber="INV/2017/0007")
        second = self.client.request("POST", "invoice", params={"include": "allowduplicatedocnum"}, json={
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-02-02", "DocNumber": "INV/2017/0007",
            "Line": [self.sales_line(1, 11.0, "NON")]})["Invoice"]
        other_vendor = self.client.create("Vendor", {"DisplayName": "Ink Works"})
        bills = [self.client.create("Bill", {
            "VendorRef": {"value": vendor}, "TxnDate": "2019-03-05", "DocNumber": "B-1",
            "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 12.0,
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.office}}}]})
            for vendor in (self.qbo_vendor["Id"], other_vendor["Id"])]
        self.pull()
        self.pull("qbo.bill.import")
        self.assertEqual([(self.imported(doc).name, self.imported(doc).state) for doc in (first, second)],
                         [("INV/2017/0007", "posted"), (f"INV/2017/0007 ({second['Id']})", "posted")])
        moves = [self.imported(doc, "in_invoice") for doc in bills]
        self.assertEqual([(move.ref, move.state) for move in moves], [("B-1", "posted")] * 2)
        self.assertNotEqual(moves[0].name, moves[1].name)

    def test_change_notified_by_quickbooks_wakes_the_import(self):
        """QuickBooks notifies a bill and an invoice created there: the change processor hands both to the
        import of documents (its lanes woken), which brings them in; an entity the company does not import
        stays ignored."""
        self.company.qbo_import_vendor_credits = False
        invoice = self.qbo_invoice([(1, 15.0, False)])
        bill = self.client.create("Bill", {"VendorRef": {"value": self.qbo_vendor["Id"]}, "TxnDate": "2019-03-05",
                                           "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 7.5,
                                                     "AccountBasedExpenseLineDetail": {"AccountRef": {
                                                         "value": self.office}}}]})
        events = self.env["qbo.webhook.event"].sudo().create([{
            "company_id": self.company.id, "realm_id": self.realm_id, "qbo_entity": entity, "qbo_id": qbo_id,
            "operation": "Create", "event_time": fields.Datetime.now(), "event_key": f"{entity}-{qbo_id}",
        } for entity, qbo_id in (("Invoice", invoice["Id"]), ("Bill", bill["Id"]), ("VendorCredit", "999"))])
        lanes = self.env["ir.cron"].search([("code", "=", "model._cron_qbo_import_documents()")])
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)])
        self.env["qbo.event.processor"]._qbo_process(self.company)
        self.assertEqual(events.mapped("state"), ["done", "done", "ignored"])
        self.assertEqual(events[0].action_taken, "Created in QuickBooks: the import of documents follows it")
        self.assertEqual((self.env["ir.cron.trigger"].search([("cron_id", "in", lanes.ids)]) - triggers).cron_id,
                         lanes)
        self.env["qbo.document.import"]._cron_qbo_import_documents()
        self.assertEqual((self.imported(invoice).state, self.imported(bill, "in_invoice").state),
                         ("posted", "posted"))
        # The catch-up reads the changes of every kind of document the import reads.
        kinds = ("Invoice", "Bill", "VendorCredit", "CreditMemo", "SalesReceipt", "RefundReceipt")
        before = {kind: len(self.qbo_sandbox_company.queries(kind)) for kind in kinds}
        self.env["qbo.cdc.pull"]._qbo_catch_up(self.company)
        self.assertEqual([kind for kind in kinds if len(self.qbo_sandbox_company.queries(kind)) == before[kind]], [])

    def test_vendor_credit_typed_in_quickbooks(self):
        """A vendor credit comes in as a posted vendor refund, the vendor's number as its reference, to the
        cent; it is no bill (QuickBooks numbers all transactions in one sequence of Ids)."""
        doc = self.client.create("VendorCredit", {
            "VendorRef": {"value": self.qbo_vendor["Id"]}, "TxnDate": "2019-03-07", "DocNumber": "VC-3",
            "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 41.07, "Description": "Damaged reams",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.office}}}]})
        self.pull("qbo.vendor.credit.import")
        self.pull("qbo.bill.import")
        move = self.imported(doc, "in_refund")
        self.assertRecordValues(move, [{"ref": "VC-3", "state": "posted", "qbo_imported_entity": "VendorCredit"}])
        self.assertEqual((money(move.amount_total), move.partner_id.name), (money(41.07), "Paper Mill Supplies"))
        self.assertEqual(self.env["account.move"].search([("qbo_imported", "=", True)]), move)

    def test_one_payment_for_an_imported_and_an_exported_invoice(self):
        """A customer pays, in one QuickBooks payment, an invoice typed in QuickBooks and one exported from
        Odoo: the payment comes in whole, once, and both invoices are paid."""
        doc = self.qbo_invoice([(1, 30.0, False)])
        self.pull()
        imported = self.imported(doc)
        exported = self.make_move(partner=imported.partner_id, lines=[{"price_unit": 45.5}])
        self.export(exported)
        self.assertEqual(exported.qbo_state, "exported")
        self.client.create("Payment", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TotalAmt": 75.5, "TxnDate": "2019-02-10",
            "Line": [{"Amount": 30.0, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": "Invoice"}]},
                     {"Amount": 45.5, "LinkedTxn": [{"TxnId": exported.qbo_id, "TxnType": "Invoice"}]}]})
        self.env["qbo.payment.pull"]._qbo_sync(self.company, 100)
        self.env["qbo.payment.pull"]._qbo_sync(self.company, 100)
        self.assertEqual([(move.payment_state, move.amount_residual) for move in (imported, exported)],
                         [("paid", 0.0), ("paid", 0.0)])
        payments = (imported | exported)._get_reconciled_payments()
        self.assertEqual((len(payments), payments.amount), (1, 75.5))
