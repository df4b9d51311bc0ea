from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models import qbo_payment_pull
from ..qbo_client import QboClient
from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentPull(QboPaymentCommon):
    """The customer pays in QuickBooks; Sync Customer Payment books it in Odoo, posted and reconciled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")
        cls.customer = cls.env["res.partner"].create({"name": "Paying Customer Co", "is_company": True,
                                                      "email": "ap@paying.example"})

    def test_full_payment(self):
        """One invoice paid in full: a posted payment found by memo and QBO Payment Id, the invoice paid."""
        invoice = self.exported(self.customer, 150.0)
        doc = self.qbo_pay([(invoice, 150.0)], PaymentRefNum="CHK 1001")
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.env["account.payment"].search([("memo", "=", f"QBO Payment {doc['Id']} CHK 1001")])
        self.assertEqual(payment, self.odoo_payment(doc["Id"]))
        self.assertRecordValues(payment, [{
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": 150.0, "currency_id": self.company.currency_id.id, "state": "paid",
            "journal_id": self.bank_journal.id, "qbo_origin": "qbo", "qbo_state": "synced",
            "qbo_sync_token": doc["SyncToken"], "qbo_remote_change": False,
        }])
        self.assertEqual(str(payment.date), "2019-01-10")
        self.assertEqual(payment.move_id.state, "posted")
        self.assertRecordValues(invoice, [{"payment_state": "paid", "amount_residual": 0.0}])
        self.assertEqual(payment.invoice_ids, invoice)
        self.assertIn("Imported from QuickBooks", payment.message_ids[0].body)
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.payment"), ("res_id", "=", payment.id)])
        self.assertRecordValues(log, [{"direction": "import", "operation": "create", "status": "success",
                                       "qbo_entity": "Payment", "qbo_id": doc["Id"]}])

    def test_journal_from_deposit_account(self):
        """A payment deposited to a QuickBooks account linked to a journal's account lands in that journal."""
        cash = self.company_data["default_journal_cash"]
        checking = self.qbo_account("Checking")
        self.env["qbo.mapping"]._link(self.company, cash.default_account_id, "Account", checking)
        invoice = self.exported(self.customer, 42.0)
        doc = self.qbo_pay([(invoice, 42.0)], DepositToAccountRef={"value": checking})
        self.sync()
        self.assertEqual(self.odoo_payment(doc["Id"]).journal_id, cash)

    def test_partial_payment(self):
        """A partial payment leaves the invoice partly paid, to the cent."""
        invoice = self.exported(self.customer, 200.0)
        doc = self.qbo_pay([(invoice, 75.25)])
        self.assertEqual(self.sync(), "1 payment imported")
        self.assertEqual(self.odoo_payment(doc["Id"]).amount, 75.25)
        self.assertRecordValues(invoice, [{"payment_state": "partial", "amount_residual": 124.75}])
        self.assertEqual(self.qbo_doc(invoice)["Balance"], invoice.amount_residual)

    def test_one_payment_for_three_invoices(self):
        """One payment applied as QuickBooks applied it: one in full, two partly (not oldest first)."""
        invoices = [self.exported(self.customer, amount) for amount in (100.0, 200.0, 300.5)]
        doc = self.qbo_pay([(invoices[0], 100.0), (invoices[1], 150.0), (invoices[2], 120.25)])
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.odoo_payment(doc["Id"])
        self.assertEqual(payment.amount, 370.25)
        self.assertEqual(payment.invoice_ids, invoices[0] | invoices[1] | invoices[2])
        self.assertRecordValues(invoices[0] | invoices[1] | invoices[2], [
            {"payment_state": "paid", "amount_residual": 0.0},
            {"payment_state": "partial", "amount_residual": 50.0},
            {"payment_state": "partial", "amount_residual": 180.25},
        ])
        self.assertTrue(all(line.reconciled for line in self.receivable_lines(payment)))
        for invoice in invoices:
            self.assertEqual(self.qbo_doc(invoice)["Balance"], invoice.amount_residual)

    def test_overpayment_leaves_credit(self):
        """A payment larger than the invoice pays it; the rest is the customer's outstanding credit."""
        invoice = self.exported(self.customer, 80.0)
        doc = self.qbo_pay([(invoice, 80.0)], total=100.0)
        self.assertEqual(self.qbo_sandbox_company.get("Payment", doc["Id"])["UnappliedAmt"], 20)
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.odoo_payment(doc["Id"])
        self.assertEqual(payment.amount, 100.0)
        self.assertRecordValues(invoice, [{"payment_state": "paid", "amount_residual": 0.0}])
        open_line = self.receivable_lines(payment).filtered(lambda line: not line.reconciled)
        self.assertEqual(open_line.amount_residual, -20.0)
        # The next invoice of the customer offers that credit.
        other = self.make_move(partner=self.customer, lines=[{"price_unit": 30.0}])
        credits = other.invoice_outstanding_credits_debits_widget["content"]
        self.assertEqual([credit["amount"] for credit in credits], [20.0])

    def test_foreign_currency(self):
        """A EUR payment of a EUR invoice: amount in EUR, company amount at QuickBooks' rate, invoice paid."""
        partner = self.env["res.partner"].create({"name": "Euro Customer GmbH", "is_company": True})
        invoice = self.exported(partner, 100.0, currency_id=self.eur.id)
        doc = self.qbo_pay([(invoice, 100.0)], CurrencyRef={"value": "EUR"}, ExchangeRate=1.25)
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.odoo_payment(doc["Id"])
        self.assertRecordValues(payment, [{"amount": 100.0, "currency_id": self.eur.id}])
        liquidity = payment._seek_for_lines()[0]
        self.assertEqual((liquidity.amount_currency, liquidity.balance), (100.0, 125.0))
        self.assertEqual(liquidity.balance, float(self.qbo_sandbox_company.get("Payment", doc["Id"])["HomeTotalAmt"]))
        self.assertRecordValues(invoice, [{"payment_state": "paid", "amount_residual": 0.0}])

    def test_payment_of_invoice_not_exported_is_skipped(self):
        """Three payments of exported invoices are imported; one of an invoice made in QuickBooks is counted."""
        invoices = [self.exported(self.customer, amount) for amount in (10.0, 20.0, 30.0)]
        customer_ref = self.qbo_doc(invoices[0])["CustomerRef"]
        item = self.qbo_doc(invoices[0])["Line"][0]["SalesItemLineDetail"]["ItemRef"]
        foreign = self.client.create("Invoice", {"CustomerRef": customer_ref, "Line": [{
            "DetailType": "SalesItemLineDetail", "Amount": 55,
            "SalesItemLineDetail": {"ItemRef": item, "Qty": 1, "UnitPrice": 55, "TaxCodeRef": {"value": "NON"}}}]})
        for invoice, amount in zip(invoices, (10.0, 20.0, 30.0)):
            self.qbo_pay([(invoice, amount)])
        skipped = self.client.create("Payment", {"CustomerRef": customer_ref, "TotalAmt": 55, "Line": [
            {"Amount": 55, "LinkedTxn": [{"TxnId": foreign["Id"], "TxnType": "Invoice"}]}]})
        self.assertEqual(self.sync(), "3 payments imported, 1 skipped: invoice not exported")
        self.assertFalse(self.odoo_payment(skipped["Id"]))
        self.assertEqual(set((invoices[0] | invoices[1] | invoices[2]).mapped("payment_state")), {"paid"})
        log = self.env["qbo.sync.log"].search([("qbo_id", "=", skipped["Id"]), ("qbo_entity", "=", "Payment")])
        self.assertEqual(log.message, "Skipped: invoice not exported")
        # Counted once: the next run reads it again (overlap) but does not report it again.
        self.assertEqual(self.sync(), "0 payments imported")

    def test_rerun_imports_once_and_reads_only_changes(self):
        """Running the sync again imports nothing twice, and each run asks only for what changed."""
        invoice = self.exported(self.customer, 60.0)
        doc = self.qbo_pay([(invoice, 60.0)])
        statements = []
        real_query = QboClient.query_answer

        def spy(client, statement):
            statements.append(statement)
            return real_query(client, statement)

        with patch.object(QboClient, "query_answer", spy):
            self.assertEqual(self.sync(), "1 payment imported")
            cursor = self.qbo_cursor("payment").read_until
            self.assertTrue(cursor)
            self.assertNotIn("WHERE", statements[0])
            statements.clear()
            self.assertEqual(self.sync(), "0 payments imported")
            self.assertEqual(self.sync(), "0 payments imported")
        self.assertEqual(len(self.odoo_payment(doc["Id"])), 1)
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", f"QBO Payment {doc['Id']}")])), 1)
        self.assertIn("SELECT * FROM Payment WHERE MetaData.LastUpdatedTime > '", statements[0])
        self.assertGreaterEqual(self.qbo_cursor("payment").read_until, cursor)
        # The cron does the same for every connected company.
        self.env["qbo.payment.pull"]._cron_qbo_sync_payments()
        self.assertEqual(len(self.odoo_payment(doc["Id"])), 1)
        self.assertRecordValues(invoice, [{"payment_state": "paid"}])

    def test_crash_mid_run_imports_once(self):
        """A run that dies half-way keeps nothing; the next run imports each payment exactly once."""
        invoices = [self.exported(self.customer, amount) for amount in (11.0, 22.0)]
        docs = [self.qbo_pay([(invoice, invoice.amount_total)]) for invoice in invoices]
        sync_model = type(self.env["qbo.payment.pull"])
        real_import = sync_model._qbo_import
        calls = []

        def dying_import(model, parsed, documents):
            calls.append(parsed["id"])
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return real_import(model, parsed, documents)

        with patch.object(sync_model, "_qbo_import", dying_import), self.assertRaises(RuntimeError), \
                self.env.cr.savepoint():
            self.sync()
        self.env.invalidate_all()
        self.assertFalse(self.odoo_payment(docs[0]["Id"]))
        self.assertFalse(self.qbo_cursor("payment").read_until)
        self.assertEqual(self.sync(), "2 payments imported")
        self.assertEqual(self.sync(), "0 payments imported")
        for doc in docs:
            self.assertEqual(len(self.odoo_payment(doc["Id"])), 1)

    def test_vendor_bill_payment(self):
        """A bill paid in QuickBooks (BillPayment) comes back as a vendor payment reconciled with the bill."""
        vendor = self.env["res.partner"].create({"name": "Supplier Paid There", "is_company": True})
        bill = self.exported(vendor, 90.0, move_type="in_invoice")
        doc = self.qbo_pay([(bill, 60.0)], entity="BillPayment", DocNumber="CHK 77")
        self.assertEqual(self.sync(), "1 payment imported")
        payment = self.odoo_payment(doc["Id"], "BillPayment")
        self.assertRecordValues(payment, [{
            "payment_type": "outbound", "partner_type": "supplier", "partner_id": vendor.id, "amount": 60.0,
            "memo": f"QBO BillPayment {doc['Id']} CHK 77", "qbo_origin": "qbo",
        }])
        self.assertRecordValues(bill, [{"payment_state": "partial", "amount_residual": 30.0}])

    def test_bill_payment_of_bill_not_exported_is_skipped(self):
        """A bill payment of a bill entered in QuickBooks only is skipped and counted."""
        vendor = self.env["res.partner"].create({"name": "QuickBooks Only Vendor", "is_company": True})
        bill = self.exported(vendor, 25.0, move_type="in_invoice")
        vendor_ref = self.qbo_doc(bill)["VendorRef"]
        other = self.client.create("Bill", {"VendorRef": vendor_ref, "Line": [{
            "DetailType": "AccountBasedExpenseLineDetail", "Amount": 12,
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": self.qbo_account("Office Expenses")}}}]})
        self.client.create("BillPayment", {
            "VendorRef": vendor_ref, "TotalAmt": 12, "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": self.qbo_account("Checking")}},
            "Line": [{"Amount": 12, "LinkedTxn": [{"TxnId": other["Id"], "TxnType": "Bill"}]}]})
        self.assertEqual(self.sync(), "0 payments imported, 1 skipped: bill not exported")

    def test_sync_button_access(self):
        """Only QuickBooks managers see and may press Sync Customer Payment."""
        with self.assertRaises(AccessError):
            self.company.with_user(self.invoice_user).action_qbo_sync_payments()
        self.assertFalse(self.qbo_cursor("payment").read_until)
        self.assertNotIn("action_qbo_sync_payments", self.company_form(self.invoice_user))
        arch = self.company_form(self.qbo_manager)
        self.assertIn('name="action_qbo_sync_payments"', arch)
        self.assertIn("Sync Customer Payment", arch)

    def test_failed_import_is_reported_and_retried(self):
        """A payment Odoo cannot book (inactive currency) does not stop the others and is imported once
        it can be, even after the cursor moved past it."""
        partner = self.env["res.partner"].create({"name": "Euro Later GmbH", "is_company": True})
        euro_invoice = self.exported(partner, 10.0, currency_id=self.eur.id)
        invoice = self.exported(self.customer, 20.0)
        refused = self.qbo_pay([(euro_invoice, 10.0)], CurrencyRef={"value": "EUR"}, ExchangeRate=1.1)
        self.qbo_pay([(invoice, 20.0)])
        self.eur.active = False
        message = self.sync()
        self.assertEqual(message, f"1 payment imported, 1 failed (QuickBooks payment {refused['Id']}: QuickBooks: the "
                                  "currency EUR is not active in Odoo; activate it.)")
        self.assertFalse(self.odoo_payment(refused["Id"]))
        self.assertEqual(self.qbo_cursor("payment").retry_ids, [refused["Id"]])
        self.assertEqual(euro_invoice.payment_state, "not_paid")
        log = self.env["qbo.sync.log"].search([("qbo_id", "=", refused["Id"]), ("status", "=", "error")])
        self.assertEqual(len(log), 1)
        # Once the currency is active again, the next run reads it again by id, although the cursor has
        # moved past it, and imports it.
        self.eur.active = True
        self.advance_sandbox_clock(600)  # past the overlap of the cursor, within the access token's life
        self.assertEqual(self.sync(), "1 payment imported")
        self.assertEqual(euro_invoice.payment_state, "paid")
        self.assertFalse(self.qbo_cursor("payment").retry_ids)

    def test_cron_bounded_batches_with_progress(self):
        """The cron imports a bounded batch, reports what is left, and the next call goes on from there."""
        invoices = [self.exported(self.customer, amount) for amount in (1.0, 2.0, 3.0)]
        docs = [self.qbo_pay([(invoice, invoice.amount_total)]) for invoice in invoices]
        cron = self.env.ref("quickbooks_connector.ir_cron_qbo_pull_payments")
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "done": 0, "remaining": 0})
        pull = self.env["qbo.payment.pull"].with_context(ir_cron_progress_id=progress.id)
        with patch.object(qbo_payment_pull, "CRON_BATCH_SIZE", 2):
            pull._cron_qbo_sync_payments()
            self.assertEqual(progress.done, 2)
            self.assertGreaterEqual(progress.remaining, 1)
            self.assertEqual([bool(self.odoo_payment(doc["Id"])) for doc in docs], [True, True, False])
            pull._cron_qbo_sync_payments()
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertTrue(all(len(self.odoo_payment(doc["Id"])) == 1 for doc in docs))
        self.assertEqual(set((invoices[0] | invoices[1] | invoices[2]).mapped("payment_state")), {"paid"})

    def company_form(self, user):
        return self.env["res.company"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
