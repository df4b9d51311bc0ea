from decimal import Decimal as D

from odoo.tests import tagged

from .common_sandbox import SandboxApiCase


@tagged("post_install", "-at_install")
class TestSandboxTax(SandboxApiCase):
    """Sales tax in the sandbox, to the cent: the US model (TAX/NON and a transaction tax code) and
    the non-US model (a TaxCode per line; TaxExcluded, TaxInclusive, NotApplicable)."""

    def setUp(self):
        super().setUp()
        self.customer_id = self.customer()
        self.item_id = self.item(Taxable=True)

    def tax_code(self, name, *percents):
        """Create a sales tax code of one rate per percent through ``taxservice/taxcode``."""
        agency = self.qbo.all("TaxAgency")[0]["Id"]
        status, answer = self.call("POST", "taxservice/taxcode", {"TaxCode": name, "TaxRateDetails": [
            {"TaxRateName": f"{name} {index}", "RateValue": percent, "TaxAgencyId": agency}
            for index, percent in enumerate(percents)]})
        self.assertEqual(status, 200, answer)
        return answer["TaxCodeId"], [detail["TaxRateId"] for detail in answer["TaxRateDetails"]]

    def rate_of(self, code_name, rate_list="SalesTaxRateList"):
        code = next(code for code in self.qbo.all("TaxCode") if code["Name"] == code_name)
        return code["Id"], code[rate_list]["TaxRateDetail"][0]["TaxRateRef"]["value"]

    @staticmethod
    def tax_lines(doc):
        return [(line["TaxLineDetail"]["TaxRateRef"]["value"], line["TaxLineDetail"]["NetAmountTaxable"],
                 line["Amount"]) for line in doc["TxnTaxDetail"].get("TaxLine", [])]

    # ---- US ----

    def test_us_taxable_lines_at_8_25_percent(self):
        """TAX lines are taxed at the transaction code's rate on their sum, rounded half up once."""
        code, (rate,) = self.tax_code("City 8.25", D("8.25"))
        cases = [
            ([(D("99.99"), "TAX")], D("99.99"), D("8.25"), D("108.24")),            # 8.249175
            ([(D("10.00"), "TAX")], D("10.00"), D("0.83"), D("10.83")),             # 0.825 half up
            ([(D("1.30"), "TAX")] * 3, D("3.90"), D("0.32"), D("4.22")),            # not 3 x 0.11
            ([(D("100.00"), "TAX"), (D("50.00"), "NON")], D("100.00"), D("8.25"), D("158.25")),
            ([(D("19.99"), None)], D("19.99"), D("1.65"), D("21.64")),              # the item is taxable
        ]
        for lines, taxable, tax, total in cases:
            with self.subTest(total=total):
                doc = self.invoice(self.customer_id, *[self.sales_line(self.item_id, amount, tax_code=tax_code)
                                                      for amount, tax_code in lines],
                                   TxnTaxDetail={"TxnTaxCodeRef": {"value": code}})
                self.assertEqual(self.tax_lines(doc), [(rate, taxable, tax)])
                self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"], doc["Balance"]),
                                 (tax, total, total))
                self.assertEqual(doc["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"], lines[0][1] or "TAX")

    def test_us_code_with_two_rates_and_no_code(self):
        """Each rate of a combined code is rounded on its own; without a code there is no tax."""
        code, (state, county) = self.tax_code("Combined", D("7.25"), D("2.25"))
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("123.45"), tax_code="TAX"),
                           TxnTaxDetail={"TxnTaxCodeRef": {"value": code}})
        self.assertEqual(self.tax_lines(doc), [(state, D("123.45"), D("8.95")), (county, D("123.45"), D("2.78"))])
        self.assertEqual(doc["TotalAmt"], D("135.18"))
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("123.45"), tax_code="TAX"))
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("0.00"), D("123.45")))
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id},
                                 "Line": [self.sales_line(self.item_id, 10, tax_code=code)]}, "2500")

    def test_us_discount_before_or_after_tax(self):
        """ApplyTaxAfterDiscount true: the taxable share of the discount leaves the tax base."""
        code, _rates = self.tax_code("City 8.25", D("8.25"))
        lines = [self.sales_line(self.item_id, D("150.00"), tax_code="TAX"),
                 self.sales_line(self.item_id, D("19.99"), tax_code="NON"),
                 {"DetailType": "DiscountLineDetail",
                  "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}}]
        for after_discount, tax, total in ((True, D("11.14"), D("164.13")), (False, D("12.38"), D("165.37"))):
            with self.subTest(after_discount=after_discount):
                doc = self.invoice(self.customer_id, *lines, ApplyTaxAfterDiscount=after_discount,
                                   TxnTaxDetail={"TxnTaxCodeRef": {"value": code}})
                self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (tax, total))

    def test_us_explicit_total_tax(self):
        """An explicit TotalTax is honoured and prorated over the rates; sent back unchanged on an
        update it stays explicit only if it was explicit, otherwise tax follows the new lines."""
        code, (state, county) = self.tax_code("Combined", D("7.25"), D("2.25"))
        line = self.sales_line(self.item_id, D("123.45"), tax_code="TAX")
        imposed = self.invoice(self.customer_id, line, TxnTaxDetail={"TxnTaxCodeRef": {"value": code}, "TotalTax": 10})
        self.assertEqual(self.tax_lines(imposed), [(state, D("123.45"), D("7.63")), (county, D("123.45"), D("2.37"))])
        self.assertEqual((imposed["TxnTaxDetail"]["TotalTax"], imposed["TotalAmt"]), (D("10.00"), D("133.45")))
        computed = self.invoice(self.customer_id, line, TxnTaxDetail={"TxnTaxCodeRef": {"value": code}})
        bigger = [self.sales_line(self.item_id, D("200.00"), tax_code="TAX")]
        imposed = self.update("Invoice", imposed, Line=bigger)
        computed = self.update("Invoice", computed, Line=bigger)
        self.assertEqual((imposed["TxnTaxDetail"]["TotalTax"], imposed["TotalAmt"]), (D("10.00"), D("210.00")))
        self.assertEqual((computed["TxnTaxDetail"]["TotalTax"], computed["TotalAmt"]), (D("19.00"), D("219.00")))
        computed = self.post("Invoice", {"Id": computed["Id"], "SyncToken": computed["SyncToken"], "sparse": True,
                                         "Line": [self.sales_line(self.item_id, D("100.00"), tax_code="TAX")]})
        self.assertEqual((computed["TxnTaxDetail"]["TotalTax"], computed["TotalAmt"]), (D("9.50"), D("109.50")))

    def test_us_without_sales_tax_ignores_tax_detail(self):
        """With sales tax off, TxnTaxDetail is ignored and not stored."""
        self.use_company(sales_tax=False)
        item_id = self.item()
        doc = self.invoice(self.customer(), self.sales_line(item_id, D("100.00"), tax_code="TAX"),
                           TxnTaxDetail={"TxnTaxCodeRef": {"value": "1"}, "TotalTax": 8})
        self.assertNotIn("TxnTaxDetail", doc)
        self.assertEqual(doc["TotalAmt"], D("100.00"))

    # ---- Non-US ----

    def use_uk_company(self):
        self.use_company(country="GB")
        self.customer_id, self.item_id = self.customer(), self.item()

    def test_tax_excluded_two_rates_rounded_per_rate(self):
        """TaxExcluded: one TaxLine per rate, tax rounded on the rate's net sum (not line by line)."""
        self.use_uk_company()
        standard, standard_rate = self.rate_of("20.0% S")
        reduced, reduced_rate = self.rate_of("5.0% R")
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("10.33"), tax_code=standard),
                           self.sales_line(self.item_id, D("20.49"), tax_code=standard),
                           self.sales_line(self.item_id, D("7.77"), tax_code=reduced))
        self.assertEqual(doc["GlobalTaxCalculation"], "TaxExcluded")
        self.assertEqual(self.tax_lines(doc), [(standard_rate, D("30.82"), D("6.16")),   # 2.07 + 4.10 line by line
                                               (reduced_rate, D("7.77"), D("0.39"))])
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("6.55"), D("45.14")))

    def test_tax_excluded_discount_spread_over_codes(self):
        """A discount is spread over the tax codes in proportion to their net before tax."""
        self.use_uk_company()
        standard, standard_rate = self.rate_of("20.0% S")
        reduced, reduced_rate = self.rate_of("5.0% R")
        doc = self.invoice(self.customer_id, self.sales_line(self.item_id, D("100.00"), tax_code=standard),
                           self.sales_line(self.item_id, D("50.00"), tax_code=reduced),
                           {"DetailType": "DiscountLineDetail", "Amount": 15, "DiscountLineDetail": {}})
        self.assertEqual(self.tax_lines(doc), [(standard_rate, D("90.00"), D("18.00")),
                                               (reduced_rate, D("45.00"), D("2.25"))])
        self.assertEqual(doc["TotalAmt"], D("155.25"))

    def test_tax_inclusive(self):
        """TaxInclusive: Amount is the net, TaxInclusiveAmt the gross; TotalAmt is the gross sum."""
        self.use_uk_company()
        standard, standard_rate = self.rate_of("20.0% S")
        doc = self.invoice(self.customer_id,
                           self.sales_line(self.item_id, D("1000.00"), tax_code=standard, TaxInclusiveAmt=1200),
                           self.sales_line(self.item_id, D("83.33"), tax_code=standard, TaxInclusiveAmt=100),
                           GlobalTaxCalculation="TaxInclusive")
        self.assertEqual(self.tax_lines(doc), [(standard_rate, D("1083.33"), D("216.67"))])
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("216.67"), D("1300.00")))
        body = {"CustomerRef": {"value": self.customer_id}, "GlobalTaxCalculation": "TaxInclusive"}
        gross_as_net = self.sales_line(self.item_id, D("1200.00"), tax_code=standard, TaxInclusiveAmt=1200)
        self.assertIn("expected 1000.00", self.refused("Invoice", dict(body, Line=[gross_as_net]), "6000")["Detail"])
        self.refused("Invoice", dict(body, Line=[self.sales_line(self.item_id, 1000, tax_code=standard)]), "2020")

    def test_non_us_line_needs_a_tax_code_unless_not_applicable(self):
        """Every line needs a TaxCode, except with GlobalTaxCalculation NotApplicable (no tax)."""
        self.use_uk_company()
        line = self.sales_line(self.item_id, D("40.00"))
        error = self.refused("Invoice", {"CustomerRef": {"value": self.customer_id}, "Line": [line]}, "6000")
        self.assertEqual(error["Detail"],
                         "Business Validation Error: Make sure all your transactions have a VAT rate before you save.")
        doc = self.invoice(self.customer_id, line, GlobalTaxCalculation="NotApplicable")
        self.assertEqual(doc["TotalAmt"], D("40.00"))
        self.refused("Invoice", {"CustomerRef": {"value": self.customer_id}, "Line": [line],
                                 "GlobalTaxCalculation": "Sometimes"}, "2170")

    def test_bill_uses_the_purchase_rate(self):
        """Expenses are taxed with the code's purchase rate."""
        self.use_uk_company()
        standard, purchase_rate = self.rate_of("20.0% S", "PurchaseTaxRateList")
        bill = self.post("Bill", {"VendorRef": {"value": self.vendor()}, "Line": [
            self.expense_line(self.seeded("Account", "Office Expenses"), D("99.99"), TaxCodeRef={"value": standard})]})
        self.assertEqual(self.tax_lines(bill), [(purchase_rate, D("99.99"), D("20.00"))])
        self.assertEqual((bill["TotalAmt"], bill["Balance"]), (D("119.99"), D("119.99")))
