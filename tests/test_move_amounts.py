from decimal import Decimal

from odoo import Command
from odoo.tests import BaseCase, tagged

from ..models.qbo_export_engine import ExportReport, ExportRun
from ..qbo_payload.account_move import amounts_differ, unit_price
from .common_move import AmountCasesMixin, QboMoveExportCommon, money

@tagged("post_install", "-at_install")
class TestMoveAmountsUS(AmountCasesMixin, QboMoveExportCommon):
    """US sales-tax model: TAX/NON lines, one transaction tax code, the tax sent as Odoo computed it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.tax_ca_incl = cls.make_tax("CA 8% incl.", 8.0, price_include_override="tax_included")
        cls.tax_state = cls.make_tax("LA state 7.25%", 7.25)
        cls.tax_county = cls.make_tax("LA county 2.25%", 2.25)
        cls.tax_purchase = cls.make_tax("Purchase 10%", 10.0, type_tax_use="purchase")
        for tax in cls.tax_ca | cls.tax_ca_incl:
            cls.map_tax(tax, "California")
        for tax in cls.tax_state | cls.tax_county:
            cls.map_tax(tax, "Los Angeles")
        cls.eur = cls.setup_other_currency("EUR")

    def line(self, quantity, price, taxes=None, **values):
        return {"quantity": quantity, "price_unit": price, "tax_ids": [Command.set((taxes or self.tax_ca).ids)],
                **values}

    def test_tax_excluded(self):
        """3 x 33.33 at 8 %: tax 8.00 on 99.99."""
        move = self.make_move(partner=self.make_partner("US Excluded"), lines=[self.line(3, 33.33)])
        doc = self.check_case(move, "99.99", "8.00", "107.99")
        self.assertEqual(doc["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"], "TAX")
        california = next(code for code in self.qbo_sandbox_company.all("TaxCode") if code["Name"] == "California")
        self.assertEqual(doc["TxnTaxDetail"]["TxnTaxCodeRef"]["value"], california["Id"])

    def test_tax_included(self):
        """A price of 100.00 with 8 % included: 92.59 + 7.41."""
        move = self.make_move(partner=self.make_partner("US Included"),
                              lines=[self.line(1, 100.0, self.tax_ca_incl)])
        self.check_case(move, "92.59", "7.41", "100.00")

    def test_two_taxes_on_one_line(self):
        """7 x 19.99 with 7.25 % and 2.25 %: each tax rounded by Odoo, 10.14 + 3.15."""
        move = self.make_move(partner=self.make_partner("US Two Taxes"),
                              lines=[self.line(7, 19.99, self.tax_state | self.tax_county)])
        doc = self.check_case(move, "139.93", "13.29", "153.22")
        self.assertEqual(len(doc["TxnTaxDetail"]["TaxLine"]), 2)

    def test_discount_rounding(self):
        """3 x 10.99 less 12.5 %: 28.85 (from 28.84875), the unit price sent so that Qty x UnitPrice = Amount."""
        move = self.make_move(partner=self.make_partner("US Discount"), lines=[self.line(3, 10.99, discount=12.5)])
        self.check_case(move, "28.85", "2.31", "31.16")

    def test_tax_rounding_per_line(self):
        """Three lines of 0.05 at 8 %: Odoo rounds each line's tax to 0.00; QuickBooks must not make it 0.01."""
        move = self.make_move(partner=self.make_partner("US Tiny Lines"),
                              lines=[self.line(1, 0.05), self.line(1, 0.05), self.line(1, 0.05)])
        self.check_case(move, "0.15", "0.00", "0.15")

    def test_negative_line_becomes_discount(self):
        """A negative invoice line (refused by QuickBooks on invoices) goes as the transaction discount."""
        move = self.make_move(partner=self.make_partner("US Negative"),
                              lines=[self.line(1, 100.0), self.line(1, -15.0, name="Loyalty rebate")])
        doc = self.check_case(move, "85.00", "6.80", "91.80")
        discount = [line for line in doc["Line"] if line["DetailType"] == "DiscountLineDetail"]
        self.assertEqual(money(discount[0]["Amount"]), Decimal("15.00"))

    def test_eur_invoice_in_usd_company(self):
        """A EUR invoice: a EUR customer, CurrencyRef EUR and ExchangeRate 0.5 (2 EUR per USD in Odoo)."""
        partner = self.make_partner("Euro Kunde GmbH")
        move = self.make_move(partner=partner, currency_id=self.eur.id, lines=[self.line(3, 19.99)])
        doc = self.check_case(move, "59.97", "4.80", "64.77")
        self.assertEqual((doc["CurrencyRef"]["value"], doc["ExchangeRate"]), ("EUR", Decimal("0.5")))
        self.assertEqual(money(doc["HomeTotalAmt"]), money(move.amount_total_signed))
        customer = self.qbo_sandbox_company.get("Customer", doc["CustomerRef"]["value"])
        self.assertEqual(customer["CurrencyRef"]["value"], "EUR")

    def test_credit_note(self):
        """A credit note with a taxed and an untaxed line becomes a CreditMemo of the same total."""
        move = self.make_move("out_refund", self.make_partner("US Credit"),
                              lines=[self.line(2, 12.5), {"quantity": 1, "price_unit": 7.77}])
        doc = self.check_case(move, "32.77", "2.00", "34.77")
        self.assertEqual(doc["Line"][1]["SalesItemLineDetail"]["TaxCodeRef"]["value"], "NON")

    def test_vendor_bill_with_tax(self):
        """US companies have no purchase tax in QuickBooks: the tax becomes an expense line, total exact."""
        move = self.make_move("in_invoice", self.make_partner("US Supplier"),
                              lines=[self.line(4, 24.99, self.tax_purchase),
                                     {"product_id": False, "name": "Freight", "price_unit": 12.34,
                                      "account_id": self.company_data["default_account_expense"].id}])
        doc = self.check_case(move, "112.30", "10.00", "122.30", qbo_tax="0.00")
        kinds = [line["DetailType"] for line in doc["Line"]]
        self.assertEqual(kinds, ["ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail",
                                 "AccountBasedExpenseLineDetail"])
        self.assertEqual(money(doc["Line"][2]["Amount"]), Decimal("10.00"))

    def test_difference_of_one_cent_is_an_error(self):
        """Were QuickBooks to report one cent more, the document is in error with both figures."""
        move = self.make_move(partner=self.make_partner("US Cent Check"), lines=[self.line(1, 10.0)])
        self.export(move)
        doc = dict(self.qbo_doc(move), TotalAmt=Decimal("10.81"))
        engine = self.env["qbo.move.export"]
        run = ExportRun(move.company_id, ExportReport(self.env))
        engine._qbo_apply_success(run, move, "update", "Invoice", doc, {"total": 10.80, "tax": 0.80}, "rid", 0.1)
        engine._qbo_flush(run)
        self.assertEqual(move.qbo_state, "error")
        self.assertEqual(move.qbo_error, "Amounts differ: QuickBooks total 10.81 (tax 0.80), Odoo total 10.80 "
                                         "(tax 0.80).")
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move.id)],
                                              order="id desc", limit=1)
        self.assertEqual((log.status, log.operation, log.requestid), ("error", "update", "rid"))
        self.assertIn("Amounts differ", move.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestMoveAmountsNonUS(AmountCasesMixin, QboMoveExportCommon):
    """Non-US model (a UK company keeping its books in USD): a tax code on each line, tax excluded or included."""

    sandbox_company = {"name": "Sandbox Company_GB_1", "country": "GB", "home_currency": "USD"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat20 = cls.make_tax("VAT 20%", 20.0)
        cls.vat20_incl = cls.make_tax("VAT 20% incl.", 20.0, price_include_override="tax_included")
        cls.vat5 = cls.make_tax("VAT 5%", 5.0)
        cls.vat_split = cls.make_tax("VAT 20% (15 + 5)", 20.0, amount_type="group", children_tax_ids=[
            Command.set((cls.make_tax("VAT part 15%", 15.0, type_tax_use="none")
                         | cls.make_tax("VAT part 5%", 5.0, type_tax_use="none")).ids)])
        cls.vat20_purchase = cls.make_tax("VAT 20% purchase", 20.0, type_tax_use="purchase")
        for tax in cls.vat20 | cls.vat20_incl | cls.vat_split | cls.vat20_purchase:
            cls.map_tax(tax, "20.0% S")
        cls.map_tax(cls.vat5, "5.0% R")

    def line(self, quantity, price, taxes=None, **values):
        return {"quantity": quantity, "price_unit": price, "tax_ids": [Command.set((taxes or self.vat20).ids)],
                **values}

    def test_tax_excluded(self):
        """3 x 33.33 at 20 %, tax excluded: 99.99 + 20.00, the line's code 20.0% S."""
        move = self.make_move(partner=self.make_partner("UK Excluded"), lines=[self.line(3, 33.33)])
        doc = self.check_case(move, "99.99", "20.00", "119.99")
        self.assertEqual(doc["GlobalTaxCalculation"], "TaxExcluded")
        code = self.qbo_sandbox_company.get("TaxCode", doc["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"])
        self.assertEqual(code["Name"], "20.0% S")

    def test_tax_included(self):
        """119.99 with 20 % included: QuickBooks gets TaxInclusive, the net 99.99 and the gross 119.99."""
        move = self.make_move(partner=self.make_partner("UK Included"), lines=[self.line(1, 119.99, self.vat20_incl)])
        doc = self.check_case(move, "99.99", "20.00", "119.99")
        self.assertEqual(doc["GlobalTaxCalculation"], "TaxInclusive")
        self.assertEqual(money(doc["Line"][0]["SalesItemLineDetail"]["TaxInclusiveAmt"]), Decimal("119.99"))

    def test_two_taxes_on_one_line(self):
        """A group of 15 % and 5 % on 99.98: 15.00 + 5.00 in Odoo, one 20 % code in QuickBooks."""
        move = self.make_move(partner=self.make_partner("UK Two Taxes"), lines=[self.line(2, 49.99, self.vat_split)])
        self.check_case(move, "99.98", "20.00", "119.98")

    def test_mixed_rates_and_untaxed_line(self):
        """Lines at 20 %, 5 % and untaxed: each its code, the untaxed one QuickBooks' code without rate."""
        move = self.make_move(partner=self.make_partner("UK Mixed"), lines=[
            self.line(1, 10.01), self.line(1, 10.01, self.vat5), {"quantity": 1, "price_unit": 3.33}])
        doc = self.check_case(move, "23.35", "2.50", "25.85")
        codes = [self.qbo_sandbox_company.get("TaxCode", line["SalesItemLineDetail"]["TaxCodeRef"]["value"])["Name"]
                 for line in doc["Line"] if line["DetailType"] == "SalesItemLineDetail"]
        self.assertEqual(codes, ["20.0% S", "5.0% R", "No VAT"])

    def test_discount_and_credit_note(self):
        """A credit note, 3 x 10.99 less 12.5 % at 5 %: 28.85 + 1.44."""
        move = self.make_move("out_refund", self.make_partner("UK Credit"),
                              lines=[self.line(3, 10.99, self.vat5, discount=12.5)])
        self.check_case(move, "28.85", "1.44", "30.29")

    def test_vendor_bill(self):
        """A bill with 20 % purchase VAT carries the code and the tax, total exact."""
        move = self.make_move("in_invoice", self.make_partner("UK Supplier"),
                              lines=[self.line(4, 24.99, self.vat20_purchase)])
        self.check_case(move, "99.96", "19.99", "119.95")


@tagged("post_install", "-at_install")
class TestMovePayloadFunctions(BaseCase):
    """The pure helpers of the amount check."""

    def test_unit_price_gives_the_amount(self):
        """The unit price sent always gives back Odoo's subtotal, with as few decimals as needed."""
        self.assertEqual(unit_price(Decimal("28.85"), Decimal(3), Decimal("10.99")), Decimal("9.617"))
        self.assertEqual(unit_price(Decimal("99.99"), Decimal(3), Decimal("33.33")), Decimal("33.33"))
        self.assertEqual(unit_price(Decimal("0.01"), Decimal("0.001")), Decimal(10))
        self.assertIsNone(unit_price(Decimal("5"), Decimal(0)))

    def test_amounts_differ_by_one_cent(self):
        """One cent on the total or on the tax is a difference; equal figures are not."""
        doc = {"TotalAmt": 107.99, "TxnTaxDetail": {"TotalTax": 8}}
        self.assertIsNone(amounts_differ(doc, {"total": Decimal("107.99"), "tax": Decimal("8.00")}))
        self.assertEqual(amounts_differ(doc, {"total": Decimal("107.98"), "tax": Decimal("8.00")})["qbo_total"],
                         Decimal("107.99"))
        self.assertTrue(amounts_differ(doc, {"total": Decimal("107.99"), "tax": Decimal("7.99")}))
