from decimal import Decimal

from odoo import Command
from odoo.tests import tagged

from .common_move import AmountCasesMixin, BritishColumbiaMixin, QboMoveExportCommon, money


@tagged("post_install", "-at_install")
class TestMoveAmountsCanada(AmountCasesMixin, BritishColumbiaMixin, QboMoveExportCommon):
    """A British Columbia company in CAD: GST 5 % and PST 7 %, two separate Odoo taxes on one line (not a
    group), both mapped to QuickBooks' GST/PST BC code; QuickBooks' totals equal Odoo's to the cent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pst_unmapped = cls.make_tax("PST 7% (not mapped)", 7.0)

    def line(self, quantity, price, taxes):
        return {"quantity": quantity, "price_unit": price, "tax_ids": [Command.set(taxes.ids)]}

    def test_gst_and_pst_excluded(self):
        """3 x 33.33 and 10.01 with GST and PST on each line: 110.00 + 5.50 + 7.70, one GST/PST BC code a line."""
        move = self.make_move(partner=self.make_partner("BC Excluded"), lines=[
            self.line(3, 33.33, self.gst | self.pst), self.line(1, 10.01, self.gst | self.pst)])
        doc = self.check_case(move, "110.00", "13.20", "123.20")
        self.assertEqual(doc["GlobalTaxCalculation"], "TaxExcluded")
        codes = {self.qbo_sandbox_company.get("TaxCode", line["SalesItemLineDetail"]["TaxCodeRef"]["value"])["Name"]
                 for line in doc["Line"] if line["DetailType"] == "SalesItemLineDetail"}
        self.assertEqual(codes, {"GST/PST BC"})

    def test_gst_and_pst_included(self):
        """99.99 and 2 x 24.99, GST and PST included: QuickBooks gets TaxInclusive, the gross as Odoo shows it."""
        taxes = self.gst_incl | self.pst_incl
        move = self.make_move(partner=self.make_partner("BC Included"), lines=[
            self.line(1, 99.99, taxes), self.line(2, 24.99, taxes)])
        doc = self.check_case(move, "133.91", "16.06", "149.97")
        self.assertEqual(doc["GlobalTaxCalculation"], "TaxInclusive")
        self.assertEqual([money(line["SalesItemLineDetail"]["TaxInclusiveAmt"]) for line in doc["Line"]
                          if line["DetailType"] == "SalesItemLineDetail"], [Decimal("99.99"), Decimal("49.98")])

    def test_second_tax_not_mapped_is_refused(self):
        """GST mapped but PST not: the invoice is refused with the tax named, nothing is created in QuickBooks."""
        move = self.make_move(partner=self.make_partner("BC Unmapped"),
                              lines=[self.line(2, 50.0, self.gst | self.pst_unmapped)])
        action = self.export(move)
        self.assertIn("1 failed", action["params"]["message"])
        self.assertEqual(move.qbo_state, "error")
        self.assertIn("The tax PST 7% (not mapped) is not mapped to a QuickBooks tax code", move.qbo_error)
        self.assertFalse(move.qbo_id)
        self.assertEqual(self.qbo_docs("Invoice"), [])
