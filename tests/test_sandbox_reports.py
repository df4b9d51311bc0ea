from decimal import Decimal as D

from odoo.tests import tagged

from .common_sandbox import SandboxApiCase


@tagged("post_install", "-at_install")
class TestSandboxReports(SandboxApiCase):
    """CustomerBalance and VendorBalance in Intuit's report shape, in step with the documents held."""

    company_options = {"sales_tax": False}

    def report(self, name, **params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        status, answer = self.call("GET", f"reports/{name}?minorversion=75&{query}")
        self.assertEqual(status, 200, answer)
        return answer

    def rows(self, report):
        return {row["ColData"][0]["id"]: row["ColData"][1]["value"] for row in report["Rows"]["Row"] if "ColData" in row}

    def test_customer_and_vendor_balances(self):
        """Invoices less credit memos less payments (applied or not) per customer, on any day; bills less
        bill payments per vendor; a settled customer is left out; the grand total adds the rows."""
        item = self.item()
        acme, globex, settled = self.customer("Acme Corp"), self.customer("Globex"), self.customer("Settled Ltd")
        invoice = self.invoice(acme, self.sales_line(item, D("100.00")), TxnDate="2026-03-01")
        self.post("CreditMemo", {"CustomerRef": {"value": acme}, "TxnDate": "2026-03-02",
                                 "Line": [self.sales_line(item, D("10.00"))]})
        self.payment(acme, D("30.00"), self.applied(invoice["Id"], D("30.00")), TxnDate="2026-03-10")
        self.payment(acme, D("5.00"), TxnDate="2026-03-11")  # unapplied: a credit
        self.invoice(globex, self.sales_line(item, D("19.99")), TxnDate="2026-03-05")
        paid = self.invoice(settled, self.sales_line(item, D("8.00")), TxnDate="2026-03-05")
        self.payment(settled, D("8.00"), self.applied(paid["Id"], D("8.00")), TxnDate="2026-03-06")
        report = self.report("CustomerBalance")
        self.assertEqual(report["Header"]["ReportName"], "CustomerBalance")
        self.assertEqual(self.rows(report), {acme: "55.00", globex: "19.99"})
        self.assertEqual(report["Rows"]["Row"][-1]["Summary"]["ColData"][1]["value"], "74.99")
        self.assertEqual([self.read("Customer", party)["Balance"] for party in (acme, globex)], [D("55.00"), D("19.99")])
        self.assertEqual(self.rows(self.report("CustomerBalance", report_date="2026-03-09")),
                         {acme: "90.00", globex: "19.99"})
        self.assertEqual(self.rows(self.report("CustomerBalance", customer=globex)), {globex: "19.99"})

        vendor = self.vendor()
        supplies = self.seeded("Account", "Office Expenses")
        bill = self.post("Bill", {"VendorRef": {"value": vendor}, "TxnDate": "2026-03-02",
                                  "Line": [self.expense_line(supplies, D("40.00"))]})
        self.post("BillPayment", {"VendorRef": {"value": vendor}, "PayType": "Check", "TotalAmt": D("15.00"),
                                  "TxnDate": "2026-03-04",
                                  "CheckPayment": {"BankAccountRef": {"value": self.seeded("Account", "Checking")}},
                                  "Line": [self.applied(bill["Id"], D("15.00"), "Bill")]})
        self.assertEqual(self.rows(self.report("VendorBalance")), {vendor: "25.00"})
        self.assertEqual(self.read("Vendor", vendor)["Balance"], D("25.00"))
        status, _answer = self.call("GET", "reports/NoSuchReport?minorversion=75")
        self.assertNotEqual(status, 200)
