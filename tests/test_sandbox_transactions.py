from decimal import Decimal as D
from unittest import mock

from odoo.tests import tagged

from ..qbo_sandbox import transactions
from .common_sandbox import SandboxApiCase

TIMEOUT = 10


@tagged("post_install", "-at_install")
class TestSandboxTransactions(SandboxApiCase):
    """Transactions in the sandbox: totals to the cent, payments and balances, void, delete, faults."""

    company_options = {"sales_tax": False}

    def setUp(self):
        super().setUp()
        self.customer_id = self.customer()
        self.item_id = self.item()

    def test_item_lines_total_subtotal_and_due_date(self):
        """TotalAmt, the SubTotal line and Balance are computed from the lines; DueDate follows the term."""
        net30 = self.seeded("Term", "Net 30")
        cases = [
            ([(D("150.00"), 2, D("75"))], D("150.00")),
            ([(D("10.01"), 3, D("3.3355")), (D("0.99"), None, None)], D("11.00")),
            ([(D("1861.08"), D("128.35"), D("14.50"))], D("1861.08")),  # 1861.075 rounds half up
            ([(D("1.13"), 3, D("0.375"))], D("1.13")),  # 1.125: half up, not half even
        ]
        for lines, total in cases:
            with self.subTest(total=total):
                doc = self.invoice(self.customer_id, *[self.sales_line(self.item_id, amount, qty, price)
                                                      for amount, qty, price in lines],
                                   TxnDate="2026-03-01", SalesTermRef={"value": net30})
                self.assertEqual(doc["TotalAmt"], total)
                self.assertEqual(doc["Balance"], total)
                subtotal = [line for line in doc["Line"] if line["DetailType"] == "SubTotalLineDetail"]
                self.assertEqual([line["Amount"] for line in subtotal], [total])
                self.assertEqual(doc["DueDate"], "2026-03-31")
                self.assertEqual(self.read("Invoice", doc["Id"])["TotalAmt"], total)

    def test_python_quickbooks_default_payload(self):
        """The defaults python-quickbooks sends (empty dates, zeros, read-only fields) are accepted."""
        line = {"Id": None, "LineNum": 0, "Description": "Consulting", "Amount": D("125.50"), "LinkedTxn": [],
                "CustomField": [], "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {
                    "UnitPrice": 0, "Qty": 0, "ServiceDate": "", "TaxInclusiveAmt": 0,
                    "ItemRef": {"name": "", "type": "", "value": self.item_id}}}
        doc = self.post("Invoice", {
            "SyncToken": 0, "sparse": False, "domain": "QBO", "TxnDate": "", "DueDate": "", "ShipDate": "",
            "TotalAmt": "", "EmailStatus": "NotSet", "PrintStatus": "NotSet", "GlobalTaxCalculation": "TaxExcluded",
            "ExchangeRate": 1, "Deposit": 0, "Balance": 0, "LinkedTxn": [], "Line": [line],
            "CustomerRef": {"name": "", "type": "", "value": self.customer_id}})
        self.assertEqual((doc["TotalAmt"], doc["Balance"]), (D("125.50"), D("125.50")))
        self.assertEqual(doc["TxnDate"], self.qbo.now().date().isoformat())

    def test_amount_not_qty_times_unit_price_is_refused(self):
        """Amount must be round(Qty * UnitPrice, 2): 6070 and nothing stored."""
        error = self.refused("Invoice", {"CustomerRef": {"value": self.customer_id},
                                         "Line": [self.sales_line(self.item_id, 1000, qty=7, price=225)]}, "6070")
        self.assertEqual(error["Detail"], "Amount is not equal to UnitPrice * Qty. Supplied value:1,000")
        self.assertEqual(self.qbo.all("Invoice"), [])

    def test_percent_and_fixed_discounts(self):
        """A discount line reduces the subtotal: a percentage (rounded half up) or a fixed amount."""
        cases = [
            ({"PercentBased": True, "DiscountPercent": 10}, None, D("17.00"), D("152.95")),  # 16.995
            ({"PercentBased": True, "DiscountPercent": D("8.5")}, None, D("14.45"), D("155.50")),  # 14.44575
            ({}, D("20.50"), D("20.50"), D("149.45")),
        ]
        for detail, amount, discount, total in cases:
            with self.subTest(discount=discount):
                line = {"DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}
                if amount is not None:
                    line["Amount"] = amount
                doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("150.00")),
                                   self.sales_line(self.item_id, D("19.95")), line)
                self.assertEqual([line["Amount"] for line in doc["Line"] if line["DetailType"] == "DiscountLineDetail"],
                                 [discount])
                self.assertEqual(doc["TotalAmt"], total)
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id},
                                 "Line": [self.sales_line(self.item_id, 10),
                                          {"DetailType": "DiscountLineDetail", "Amount": 11,
                                           "DiscountLineDetail": {}}]},
                     "6000")

    def test_negative_invoice_line_is_refused(self):
        """Strict: an invoice line cannot be negative (a credit memo is the way)."""
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id},
                                 "Line": [self.sales_line(self.item_id, 100), self.sales_line(self.item_id, -10)]},
                     "6000")

    def test_foreign_currency_invoice_home_amounts(self):
        """A EUR invoice in a USD multicurrency company: HomeTotalAmt and HomeBalance at its rate."""
        self.use_company(multicurrency=True, sales_tax=False)
        euro_customer = self.customer("Euro GmbH", CurrencyRef={"value": "EUR"})
        item_id = self.item()
        line = self.sales_line(item_id, D("1234.56"))
        self.refused("Invoice", {"CustomerRef": {"value": euro_customer}, "Line": [line]}, "6000")  # USD vs EUR
        self.refused("Invoice", {"CustomerRef": {"value": euro_customer}, "Line": [line],
                                 "CurrencyRef": {"value": "EUR"}}, "2020")  # no ExchangeRate
        doc = self.invoice(euro_customer, line, CurrencyRef={"value": "EUR"}, ExchangeRate=D("1.0837"))
        self.assertEqual((doc["TotalAmt"], doc["HomeTotalAmt"], doc["HomeBalance"]),
                         (D("1234.56"), D("1337.89"), D("1337.89")))
        self.payment(euro_customer, D("234.56"), self.applied(doc["Id"], D("234.56")),
                     CurrencyRef={"value": "EUR"}, ExchangeRate=D("1.09"))
        invoice = self.read("Invoice", doc["Id"])
        self.assertEqual((invoice["Balance"], invoice["HomeBalance"]), (D("1000.00"), D("1083.70")))

    def test_foreign_currency_refused_without_multicurrency(self):
        """Without multicurrency only the home currency is accepted."""
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id}, "CurrencyRef": {"value": "EUR"},
                                 "ExchangeRate": 1.1, "Line": [self.sales_line(self.item_id, 10)]}, "6000")

    def test_partial_payment_and_customer_balance(self):
        """A partial payment lowers the invoice Balance and links both ways."""
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("500.00")))
        payment = self.payment(self.customer_id, D("120.35"), self.applied(doc["Id"], D("120.35")))
        self.assertEqual(payment["UnappliedAmt"], D("0.00"))
        invoice = self.read("Invoice", doc["Id"])
        self.assertEqual(invoice["Balance"], D("379.65"))
        self.assertEqual(invoice["LinkedTxn"], [{"TxnId": payment["Id"], "TxnType": "Payment"}])
        self.assertEqual(int(invoice["SyncToken"]), int(doc["SyncToken"]) + 1)
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("379.65"))

    def test_one_payment_over_three_invoices_with_credit_memo_and_overpayment(self):
        """One payment closes three invoices, uses a credit memo; the rest is UnappliedAmt."""
        invoices = [self.invoice(self.customer_id, self.sales_line(self.item_id, amount))
                    for amount in (D("100.00"), D("200.50"), D("300.25"))]
        credit = self.post("CreditMemo", {"CustomerRef": {"value": self.customer_id},
                                          "Line": [self.sales_line(self.item_id, D("50.00"))]})
        self.assertEqual((credit["Balance"], credit["RemainingCredit"]), (D("50.00"), D("50.00")))
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("550.75"))
        payment = self.payment(self.customer_id, D("600.00"),
                               *[self.applied(doc["Id"], doc["TotalAmt"]) for doc in invoices],
                               self.applied(credit["Id"], D("50.00"), "CreditMemo"))
        self.assertEqual(payment["UnappliedAmt"], D("49.25"))
        self.assertEqual(self.balances("Invoice", invoices), [D("0.00")] * 3)
        credit = self.read("CreditMemo", credit["Id"])
        self.assertEqual((credit["Balance"], credit["RemainingCredit"]), (D("0.00"), D("0.00")))
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("-49.25"))

    def test_applying_more_than_the_open_balance_is_refused(self):
        """Strict: a payment line cannot exceed the invoice's open balance; nothing changes."""
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("80.00")))
        self.payment(self.customer_id, D("50.00"), self.applied(doc["Id"], D("50.00")))
        self.refused("Payment", {"CustomerRef": {"value": self.customer_id}, "TotalAmt": 40,
                                 "Line": [self.applied(doc["Id"], D("30.01"))]}, "6000")
        self.refused("Payment", {"CustomerRef": {"value": self.customer_id}, "TotalAmt": 10,
                                 "Line": [self.applied(doc["Id"], D("20.00"))]}, "6000")  # more than TotalAmt
        self.assertEqual(self.read("Invoice", doc["Id"])["Balance"], D("30.00"))
        self.assertEqual(len(self.qbo.all("Payment")), 1)

    def test_payment_update_and_delete_restore_balances(self):
        """Changing a payment's allocation re-computes the invoices; deleting it re-opens them."""
        first, second = [self.invoice(self.customer_id, self.sales_line(self.item_id, amount))
                         for amount in (D("100.00"), D("60.00"))]
        payment = self.payment(self.customer_id, D("160.00"), self.applied(first["Id"], D("100.00")),
                               self.applied(second["Id"], D("60.00")))
        payment = self.update("Payment", payment, Line=[self.applied(first["Id"], D("40.00"))])
        self.assertEqual(payment["UnappliedAmt"], D("120.00"))
        self.assertEqual(self.balances("Invoice", [first, second]), [D("60.00"), D("60.00")])
        self.assertNotIn("LinkedTxn", self.read("Invoice", second["Id"]))
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("0.00"))
        status, answer = self.delete("Payment", payment)
        self.assertEqual((status, answer["Payment"]["status"]), (200, "Deleted"), answer)
        self.assertEqual(self.balances("Invoice", [first, second]), [D("100.00"), D("60.00")])
        self.assertNotIn("LinkedTxn", self.read("Invoice", first["Id"]))
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("160.00"))

    def test_void_invoice_and_refusal_with_payments_applied(self):
        """Void zeroes an invoice; with a payment applied it is refused until the payment goes."""
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("90.00"), qty=3, price=30),
                           PrivateNote="Odoo INV/2026/0007")
        payment = self.payment(self.customer_id, D("90.00"), self.applied(doc["Id"], D("90.00")))
        status, answer = self.void("Invoice", self.read("Invoice", doc["Id"]))
        self.assertEqual(status, 400, answer)
        self.assertIn("payments applied", answer["Fault"]["Error"][0]["Detail"])
        self.assertEqual(self.read("Invoice", doc["Id"])["TotalAmt"], D("90.00"))
        status, answer = self.void("Payment", payment)
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.read("Invoice", doc["Id"])["Balance"], D("90.00"))
        status, answer = self.void("Invoice", self.read("Invoice", doc["Id"]))
        self.assertEqual(status, 200, answer)
        voided = self.read("Invoice", doc["Id"])
        self.assertEqual((voided["TotalAmt"], voided["Balance"], voided["Line"][0]["Amount"]),
                         (D("0.00"), D("0.00"), D("0.00")))
        self.assertEqual(voided["Line"][0]["SalesItemLineDetail"]["Qty"], 0)
        self.assertEqual(voided["PrivateNote"], "Voided - Odoo INV/2026/0007")
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("0.00"))

    def test_deposited_payment_cannot_change(self):
        """A payment on a deposit cannot be voided, changed or deleted (6540)."""
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("75.00")))
        payment = self.payment(self.customer_id, D("75.00"), self.applied(doc["Id"], D("75.00")))
        self.post("Deposit", {"DepositToAccountRef": {"value": self.seeded("Account", "Checking")},
                              "Line": [{"Amount": D("75.00"), "LinkedTxn": [{"TxnId": payment["Id"],
                                                                             "TxnType": "Payment"}]}]})
        payment = self.read("Payment", payment["Id"])
        for status, answer in (self.void("Payment", payment), self.delete("Payment", payment),
                               self.call("POST", "payment", dict(payment, PrivateNote="changed"))):
            self.assertEqual(status, 400, answer)
            self.assertEqual(answer["Fault"]["Error"][0]["code"], "6540")
        self.assertEqual(self.read("Invoice", doc["Id"])["Balance"], D("0.00"))

    def test_bill_and_bill_payments(self):
        """A bill's Balance drops with check and credit-card bill payments; the vendor follows."""
        vendor_id = self.vendor()
        supplies = self.seeded("Account", "Office Expenses")
        bill = self.post("Bill", {"VendorRef": {"value": vendor_id}, "TxnDate": "2026-03-02",
                                  "SalesTermRef": {"value": self.seeded("Term", "Net 15")},
                                  "Line": [self.expense_line(supplies, D("120.40")),
                                           self.expense_line(supplies, D("79.60"))]})
        self.assertEqual((bill["TotalAmt"], bill["Balance"], bill["DueDate"]), (D("200.00"), D("200.00"), "2026-03-17"))
        self.assertEqual(bill["APAccountRef"]["value"], self.seeded("Account", "Accounts Payable (A/P)"))
        check = self.post("BillPayment", {
            "VendorRef": {"value": vendor_id}, "PayType": "Check", "TotalAmt": D("150.00"),
            "CheckPayment": {"BankAccountRef": {"value": self.seeded("Account", "Checking")}},
            "Line": [self.applied(bill["Id"], D("150.00"), "Bill")]})
        card = self.post("BillPayment", {
            "VendorRef": {"value": vendor_id}, "PayType": "CreditCard", "TotalAmt": D("50.00"),
            "CreditCardPayment": {"CCAccountRef": {"value": self.seeded("Account", "Mastercard")}},
            "Line": [self.applied(bill["Id"], D("50.00"), "Bill")]})
        bill = self.read("Bill", bill["Id"])
        self.assertEqual(bill["Balance"], D("0.00"))
        self.assertEqual(bill["LinkedTxn"], [{"TxnId": check["Id"], "TxnType": "BillPaymentCheck"},
                                             {"TxnId": card["Id"], "TxnType": "BillPaymentCreditCard"}])
        self.assertEqual(self.read("Vendor", vendor_id)["Balance"], D("0.00"))
        checking = self.seeded("Account", "Checking")
        self.refused("BillPayment", {"VendorRef": {"value": vendor_id}, "PayType": "CreditCard", "TotalAmt": 5,
                                     "CreditCardPayment": {"CCAccountRef": {"value": checking}},
                                     "Line": [self.applied(bill["Id"], 5, "Bill")]}, "6000")
        status, _answer = self.delete("Bill", bill)
        self.assertEqual(status, 400)
        self.assertEqual(self.void("BillPayment", check)[0], 200)
        self.assertEqual(self.read("Bill", bill["Id"])["Balance"], D("150.00"))
        self.assertEqual(self.read("Vendor", vendor_id)["Balance"], D("150.00"))

    def test_purchases_cash_check_credit_card(self):
        """Purchases pay from a bank (Cash, Check) or a credit card account, lines may name a project customer."""
        vendor_id = self.vendor()
        with self.qbo.lock:  # projects come from Intuit's GraphQL API: seeded here
            project = self.qbo.add("Customer", {
                "DisplayName": "Website project", "IsProject": True, "Job": True, "Active": True,
                "ParentRef": {"value": self.customer_id}, "CurrencyRef": {"value": "USD"}})["Id"]
        meals = self.seeded("Account", "Meals and Entertainment")
        line = dict(self.expense_line(meals, D("42.50"), CustomerRef={"value": project}, BillableStatus="Billable"),
                    ProjectRef={"value": project})
        checking, card = self.seeded("Account", "Checking"), self.seeded("Account", "Mastercard")
        for payment_type, account, credit in (("Cash", checking, False), ("Check", checking, False),
                                              ("CreditCard", card, False), ("CreditCard", card, True)):
            with self.subTest(payment_type=payment_type, credit=credit):
                doc = self.post("Purchase", {"PaymentType": payment_type, "AccountRef": {"value": account},
                                             "Credit": credit, "EntityRef": {"value": vendor_id, "type": "Vendor"},
                                             "Line": [line, self.expense_line(meals, D("7.49"))]})
                self.assertEqual(doc["TotalAmt"], D("49.99"))
                self.assertEqual(doc["Line"][0]["AccountBasedExpenseLineDetail"]["CustomerRef"]["value"], project)
                self.assertEqual(doc["Line"][0]["ProjectRef"]["value"], project)
        for payment_type, account, extra in (("CreditCard", checking, {}), ("Cash", card, {}),
                                             ("Cash", checking, {"Credit": True})):
            with self.subTest(refused=payment_type):
                self.refused("Purchase", dict({"PaymentType": payment_type, "AccountRef": {"value": account},
                                               "Line": [line]}, **extra), "6000")
        self.refused("Purchase", {"PaymentType": "Wire", "AccountRef": {"value": checking}, "Line": [line]}, "2170")
        not_a_project = dict(line, ProjectRef={"value": self.customer_id})
        self.refused("Purchase", {"PaymentType": "Cash", "AccountRef": {"value": checking}, "Line": [not_a_project]},
                     "6000")

    def test_missing_required_fields(self):
        """Payments without TotalAmt get 6000 "You must set a transaction amount."; no Line gets 2020."""
        for entity, body in (("Payment", {"CustomerRef": {"value": self.customer_id}}),
                             ("BillPayment", {"VendorRef": {"value": self.vendor()}, "PayType": "Check",
                                              "CheckPayment": {"BankAccountRef": {
                                                  "value": self.seeded("Account", "Checking")}}})):
            with self.subTest(entity=entity):
                error = self.refused(entity, body, "6000")
                self.assertEqual(error["Detail"], "Business Validation Error: You must set a transaction amount.")
        error = self.refused("Invoice", {"CustomerRef": {"value": self.customer_id}}, "2020")
        self.assertEqual(error["Detail"], "Required parameter Line is missing in the request")

    def test_unknown_and_inactive_references(self):
        """An unknown reference gets 2500, an inactive one 610; nothing is stored."""
        line = self.sales_line(self.item_id, 10)
        cases = [
            ({"CustomerRef": {"value": "9999"}, "Line": [line]}, "Names element id 9999 not found"),
            ({"CustomerRef": {"value": self.customer_id}, "Line": [self.sales_line("9999", 10)]},
             "Items element id 9999 not found"),
            ({"CustomerRef": {"value": self.customer_id}, "Line": [line], "SalesTermRef": {"value": "9999"}},
             "Terms element id 9999 not found"),
        ]
        for body, detail in cases:
            with self.subTest(detail=detail):
                self.assertEqual(self.refused("Invoice", body, "2500")["Detail"], f"Invalid Reference Id : {detail}")
        customer = self.read("Customer", self.customer("Gone Ltd"))
        self.update("Customer", customer, Active=False)
        self.refused("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}, "610")
        self.refused("Payment", {"CustomerRef": {"value": self.customer_id}, "TotalAmt": 5,
                                 "Line": [self.applied("9999", 5)]}, "610")
        self.assertEqual(self.qbo.all("Invoice"), [])

    def test_refund_receipt(self):
        """A refund receipt needs the account the refund is paid from; its total is computed like a sales
        form's, it has no balance and it shares the sales forms' numbers."""
        line = self.sales_line(self.item_id, D("40.25"), 2, D("20.125"))
        self.refused("RefundReceipt", {"CustomerRef": {"value": self.customer_id}, "Line": [line]}, "2020")
        self.refused("RefundReceipt", {"Line": [line], "DepositToAccountRef": {
            "value": self.seeded("Account", "Office Expenses")}}, "6000")
        self.invoice(self.customer_id, line, DocNumber="R-1")
        checking = {"value": self.seeded("Account", "Checking")}
        self.refused("RefundReceipt", {"Line": [line], "DepositToAccountRef": checking, "DocNumber": "R-1"}, "6140")
        refund = self.post("RefundReceipt", {"CustomerRef": {"value": self.customer_id}, "Line": [line],
                                             "DepositToAccountRef": checking, "DocNumber": "R-2"})
        self.assertEqual((refund["TotalAmt"], refund["Balance"]), (D("40.25"), D("0.00")))
        self.assertEqual(self.read("RefundReceipt", refund["Id"])["DocNumber"], "R-2")
        self.assertEqual([doc["Id"] for doc in self.qbo.all("RefundReceipt")], [refund["Id"]])

    def test_doc_numbers(self):
        """DocNumber: at most 21 characters (2050), unique among sales forms (6140) unless allowed."""
        line = self.sales_line(self.item_id, 10)
        first = self.invoice(self.customer_id, line, DocNumber="INV/2026/0001")
        self.assertEqual(self.update("Invoice", first, PrivateNote="kept its number")["DocNumber"], "INV/2026/0001")
        error = self.refused("CreditMemo", {"CustomerRef": {"value": self.customer_id}, "Line": [line],
                                            "DocNumber": "INV/2026/0001"}, "6140")
        self.assertIn("DocNumber=INV/2026/0001 is assigned to TxnType=Invoice", error["Detail"])
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id}, "Line": [line],
                                 "DocNumber": "X" * 22}, "2050")
        self.post("Invoice", {"CustomerRef": {"value": self.customer_id}, "Line": [line],
                              "DocNumber": "INV/2026/0001"}, options="&include=allowduplicatedocnum")

    def test_doc_numbers_freed_by_delete_or_renumbering(self):
        """A DocNumber is free again once its document is deleted or renumbered; bills are numbered
        per vendor, and a bill moved to another vendor takes its number along."""
        line = self.sales_line(self.item_id, 10)
        first = self.invoice(self.customer_id, line, DocNumber="INV-1")
        second = self.invoice(self.customer_id, line, DocNumber="INV-2")
        self.refused("CreditMemo", {"CustomerRef": {"value": self.customer_id}, "Line": [line], "DocNumber": "INV-1"},
                     "6140")
        self.assertEqual(self.delete("Invoice", first)[0], 200)
        self.post("CreditMemo", {"CustomerRef": {"value": self.customer_id}, "Line": [line], "DocNumber": "INV-1"})
        self.update("Invoice", second, DocNumber="INV-3")
        self.invoice(self.customer_id, line, DocNumber="INV-2")
        error = self.refused("SalesReceipt", {"Line": [line], "DocNumber": "INV-3"}, "6140")
        self.assertIn(f"TxnType=Invoice with TxnId={second['Id']}", error["Detail"])

        lines = [self.expense_line(self.seeded("Account", "Office Expenses"), 10)]
        paper, ink = self.vendor("Paper Co"), self.vendor("Ink Co")
        bill = self.post("Bill", {"VendorRef": {"value": paper}, "DocNumber": "B-1", "Line": lines})
        self.post("Bill", {"VendorRef": {"value": ink}, "DocNumber": "B-1", "Line": lines})
        self.refused("Bill", {"VendorRef": {"value": paper}, "DocNumber": "B-1", "Line": lines}, "6140")
        self.refused("Bill", dict(bill, VendorRef={"value": ink}), "6140")
        self.update("Bill", bill, VendorRef={"value": self.vendor("Glue Co")})
        self.post("Bill", {"VendorRef": {"value": paper}, "DocNumber": "B-1", "Line": lines})

    def test_automatic_doc_numbers_without_custom_numbers(self):
        """With CustomTxnNumbers off, sales forms get the next number: one more than the highest one
        in use, whatever the form (AUTO_GENERATE does the same with custom numbers on)."""
        self.use_company(sales_tax=False, custom_txn_numbers=False)
        customer_id, item_id = self.customer(), self.item()
        numbers = [self.invoice(customer_id, self.sales_line(item_id, 10))["DocNumber"] for _dummy in range(2)]
        self.assertEqual(numbers, ["1001", "1002"])
        last = self.read("Invoice", self.qbo.all("Invoice")[-1]["Id"])
        self.assertEqual(self.delete("Invoice", last)[0], 200)
        credit = self.post("CreditMemo", {"CustomerRef": {"value": customer_id}, "Line": [self.sales_line(item_id, 5)]})
        self.assertEqual(credit["DocNumber"], "1002")
        self.qbo.configure(custom_txn_numbers=True)
        line = self.sales_line(item_id, 10)
        self.invoice(customer_id, line, DocNumber="1500")
        self.assertEqual(self.invoice(customer_id, line, DocNumber="AUTO_GENERATE")["DocNumber"], "1501")

    def test_moving_documents_between_customers_moves_the_balances(self):
        """An invoice or credit memo updated to another customer leaves the first balance and joins
        the other, up to the parent's BalanceWithJobs; deleted, it leaves both."""
        parent = self.customer("Harbour Group")
        job = self.customer("Dock", Job=True, ParentRef={"value": parent})
        invoice = self.invoice(self.customer_id, self.sales_line(self.item_id, D("300.00")))
        credit = self.post("CreditMemo", {"CustomerRef": {"value": self.customer_id},
                                          "Line": [self.sales_line(self.item_id, D("45.50"))]})
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("254.50"))

        self.update("Invoice", invoice, CustomerRef={"value": job})
        self.post("CreditMemo", {"Id": credit["Id"], "SyncToken": credit["SyncToken"], "sparse": True,
                                 "CustomerRef": {"value": job}})
        acme, dock, harbour = (self.read("Customer", customer_id) for customer_id in (self.customer_id, job, parent))
        self.assertEqual((acme["Balance"], acme["BalanceWithJobs"]), (D("0.00"), D("0.00")))
        self.assertEqual((dock["Balance"], dock["BalanceWithJobs"]), (D("254.50"), D("254.50")))
        self.assertEqual((harbour["Balance"], harbour["BalanceWithJobs"]), (D("0.00"), D("254.50")))

        self.update("Invoice", self.read("Invoice", invoice["Id"]), CustomerRef={"value": parent})
        self.assertEqual(self.read("Customer", job)["Balance"], D("-45.50"))
        self.assertEqual(self.read("Customer", parent)["BalanceWithJobs"], D("254.50"))
        self.assertEqual(self.delete("CreditMemo", self.read("CreditMemo", credit["Id"]))[0], 200)
        harbour = self.read("Customer", parent)
        self.assertEqual((harbour["Balance"], harbour["BalanceWithJobs"]), (D("300.00"), D("300.00")))
        self.assertEqual(self.read("Customer", job)["BalanceWithJobs"], D("0.00"))

    def test_write_failing_half_way_is_undone(self):
        """A write that fails after it stored its document, settled invoices and moved balances is
        undone whole (SystemFault 10000): documents, links, balances, DocNumbers and Ids are as before.
        In a batch only the failing item is undone."""
        other = self.customer("Other Ltd")
        self.invoice(other, self.sales_line(self.item_id, D("10.00")))  # Ids of customers and invoices differ
        invoice = self.invoice(self.customer_id, self.sales_line(self.item_id, D("100.00")), DocNumber="A-1")
        set_balance_with_jobs = transactions._set_balance_with_jobs

        def fail_for_acme(company, customer):
            set_balance_with_jobs(company, customer)
            if customer["Id"] == self.customer_id:
                raise RuntimeError("a failure half-way")

        with (mock.patch.object(transactions, "_set_balance_with_jobs", fail_for_acme),
              mock.patch("traceback.print_exc")):  # the sandbox logs a SystemFault's traceback
            status, answer = self.call("POST", "payment", {
                "CustomerRef": self.customer_id, "TotalAmt": 40, "Line": [self.applied(invoice["Id"], 40)]})
            self.assertEqual((status, answer["Fault"]["Error"][0]["code"]), (500, "10000"), answer)
            status, answer = self.call("POST", "batch", {"BatchItemRequest": [
                {"bId": "new", "operation": "create", "Invoice": {
                    "CustomerRef": {"value": other}, "DocNumber": "A-2", "Line": [self.sales_line(self.item_id, 20)]}},
                {"bId": "move", "operation": "update", "Invoice": dict(
                    invoice, CustomerRef={"value": other}, DocNumber="A-3")},
            ]})
        rows = {row["bId"]: row for row in answer["BatchItemResponse"]}
        self.assertEqual(rows["new"]["Invoice"]["DocNumber"], "A-2")
        self.assertEqual(rows["move"]["Fault"]["Error"][0]["code"], "10000")

        self.assertEqual(self.qbo.all("Payment"), [])
        stored = self.read("Invoice", invoice["Id"])
        self.assertEqual((stored["SyncToken"], stored["Balance"], stored["DocNumber"], stored["CustomerRef"]["value"]),
                         (invoice["SyncToken"], D("100.00"), "A-1", self.customer_id))
        self.assertNotIn("LinkedTxn", stored)
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("100.00"))
        self.assertEqual(self.read("Customer", other)["Balance"], D("30.00"))
        self.refused("CreditMemo", {"CustomerRef": {"value": other}, "Line": [self.sales_line(self.item_id, 5)],
                                    "DocNumber": "A-1"}, "6140")
        self.post("CreditMemo", {"CustomerRef": {"value": other}, "DocNumber": "A-3",
                                 "Line": [self.sales_line(self.item_id, 5)]})
        self.assertEqual(rows["new"]["Invoice"]["Id"], str(int(invoice["Id"]) + 1), "the payment's Id was given back")

    def test_closed_period(self):
        """A transaction dated before the books' close date is refused (6210)."""
        self.use_company(sales_tax=False, closed_before="2026-01-01")
        customer_id, item_id = self.customer(), self.item()
        self.refused("Invoice", {"CustomerRef": {"value": customer_id}, "TxnDate": "2025-12-31",
                                 "Line": [self.sales_line(item_id, 10)]}, "6210")
        self.assertEqual(self.invoice(customer_id, self.sales_line(item_id, 10), TxnDate="2026-01-01")["TotalAmt"],
                         D("10.00"))
