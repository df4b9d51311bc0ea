from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..qbo_payload.account_move import PayloadError
from ..qbo_payload.hr_expense import build_expense_payload, purchase_header, purchase_lines, share_cents

US = {"us": True, "sales_tax": True, "custom_txn_numbers": True, "multicurrency": False, "home_currency": "USD",
      "tax_codes": {}}
GB = {"us": False, "sales_tax": True, "custom_txn_numbers": True, "multicurrency": False, "home_currency": "USD",
      "tax_codes": {7: {"code": "3", "line_code": None}}}


def expense(**values):
    return {
        "entity": "Purchase", "date": "2026-03-02", "currency": "USD", "exchange_rate": 1.0,
        "description": "Taxi to the airport", "reference": "EXP/2026/0001", "note": "",
        "amount_untaxed": 100.0, "amount_tax": 0.0, "amount_total": 100.0, "account_qbo_id": "63",
        "payment_account_qbo_id": "9", "payment_type": "CreditCard", "payee": None, **values,
    }


@tagged("post_install", "-at_install")
class TestExpensePayload(BaseCase):
    """Pure translation of expenses to and from QuickBooks purchases and bills."""

    def test_company_paid_expense_is_a_purchase_with_its_project(self):
        """A company-paid expense is a Purchase from the payment account, its project on the line."""
        entity, payload, expected = build_expense_payload(
            expense(customer_qbo_id="58", payee={"value": "12", "type": "Vendor"}), US)
        self.assertEqual(entity, "Purchase")
        self.assertEqual(payload["PaymentType"], "CreditCard")
        self.assertEqual(payload["AccountRef"], {"value": "9"})
        self.assertEqual(payload["EntityRef"], {"value": "12", "type": "Vendor"})
        self.assertNotIn("VendorRef", payload)
        self.assertEqual(payload["Line"], [{
            "DetailType": "AccountBasedExpenseLineDetail", "Amount": 100, "Description": "Taxi to the airport",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "63"}, "CustomerRef": {"value": "58"}},
        }])
        self.assertEqual(payload["PrivateNote"], "EXP/2026/0001")
        self.assertEqual(expected, {"total": Decimal("100.00"), "tax": Decimal(0)})

    def test_employee_paid_expense_is_a_bill_to_the_employee(self):
        """An employee-paid expense is a Bill to the employee as a vendor; US tax goes on its own line."""
        entity, payload, expected = build_expense_payload(expense(
            entity="Bill", vendor_qbo_id="41", amount_untaxed=90.91, amount_tax=9.09, amount_total=100.0,
            tax_ids=[5], tax_percent=10, tax_lines=[{"amount": 9.09, "description": "Tax 10%", "account_qbo_id": "33"}],
        ), US)
        self.assertEqual(entity, "Bill")
        self.assertEqual(payload["VendorRef"], {"value": "41"})
        self.assertNotIn("PaymentType", payload)
        self.assertEqual([(line["Amount"], line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
                          for line in payload["Line"]], [(90.91, "63"), (9.09, "33")])
        self.assertEqual(expected, {"total": Decimal("100.00"), "tax": Decimal(0)})

    def test_non_us_tax_is_explicit(self):
        """Outside the US the line carries its tax code and the tax is sent as Odoo computed it."""
        _entity, payload, expected = build_expense_payload(expense(
            amount_untaxed=83.33, amount_tax=16.67, amount_total=100.0, tax_ids=[7], tax_names={7: "VAT 20%"},
            tax_percent=20), GB)
        self.assertEqual(payload["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"], {"value": "3"})
        self.assertEqual(payload["TxnTaxDetail"], {"TotalTax": 16.67})
        self.assertEqual(payload["GlobalTaxCalculation"], "TaxExcluded")
        self.assertEqual(expected, {"total": Decimal("100.00"), "tax": Decimal("16.67")})

    def test_what_cannot_be_sent_is_refused(self):
        """Missing payment account, vendor or category account: a clear error, nothing built."""
        with self.assertRaisesRegex(PayloadError, "settings"):
            build_expense_payload(expense(payment_account_qbo_id=None), US)
        with self.assertRaisesRegex(PayloadError, "bank, cash or credit card"):
            build_expense_payload(expense(payment_type=None), US)
        with self.assertRaisesRegex(PayloadError, "vendor"):
            build_expense_payload(expense(entity="Bill"), US)
        with self.assertRaisesRegex(PayloadError, "category"):
            build_expense_payload(expense(account_qbo_id=None), US)

    def test_purchase_lines_share_the_tax_to_the_cent(self):
        """The purchase's tax is shared by rate and amount; the lines add up to TotalAmt exactly."""
        doc = {
            "Id": "145", "SyncToken": "2", "PaymentType": "Cash", "TxnDate": "2026-03-01", "TotalAmt": 71.01,
            "EntityRef": {"value": "4", "type": "Employee", "name": "Dana"},
            "Line": [
                {"Id": "1", "Amount": 10.01, "Description": "Parking", "DetailType": "AccountBasedExpenseLineDetail",
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "63"}, "TaxCodeRef": {"value": "3"}}},
                {"Id": "2", "Amount": 20.02, "DetailType": "AccountBasedExpenseLineDetail",
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "60"}, "TaxCodeRef": {"value": "3"},
                                                   "CustomerRef": {"value": "58"}}},
                {"Id": "3", "Amount": 30.0, "DetailType": "ItemBasedExpenseLineDetail",
                 "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "8"}, "TaxCodeRef": {"value": "4"}}},
            ],
            "TxnTaxDetail": {"TotalTax": 10.98},
        }
        lines = purchase_lines(doc, {"3": Decimal(20), "4": Decimal(0)})
        self.assertEqual([(line["line_id"], line["net"], line["tax"], line["total"]) for line in lines], [
            ("1", Decimal("10.01"), Decimal("3.66"), Decimal("13.67")),
            ("2", Decimal("20.02"), Decimal("7.32"), Decimal("27.34")),
            ("3", Decimal("30.00"), Decimal("0.00"), Decimal("30.00")),
        ])
        self.assertEqual(sum(line["total"] for line in lines), Decimal("71.01"))
        self.assertEqual((lines[1]["customer_qbo_id"], lines[2]["item_qbo_id"]), ("58", "8"))
        header = purchase_header(doc)
        self.assertEqual((header["payment_type"], header["payee"]["type"], header["sync_token"]),
                         ("Cash", "Employee", "2"))
        with self.assertRaisesRegex(PayloadError, "not mapped"):
            purchase_lines(doc, {"3": Decimal(20)})

    def test_share_cents(self):
        """Shares are whole cents and add up to the amount, largest remainder first."""
        self.assertEqual(share_cents(Decimal("0.10"), [Decimal(1)] * 3),
                         [Decimal("0.04"), Decimal("0.03"), Decimal("0.03")])
        self.assertEqual(share_cents(Decimal(0), [Decimal(0)]), [Decimal(0)])
        with self.assertRaises(PayloadError):
            share_cents(Decimal("1.00"), [Decimal(0), Decimal(0)])
