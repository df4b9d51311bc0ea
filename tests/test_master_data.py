from odoo.tests import BaseCase, tagged

from ..qbo_master_data import (
    MasterDataError,
    account_payload,
    account_values,
    contact_sparse_payload,
    employee_payload,
    partner_payload,
    partner_values,
    payment_method_payload,
    product_payload,
    product_values,
    qbo_card,
    query_literal,
    suffixed_name,
    term_payload,
    term_values,
)

PARTNER = {
    "name": "Café Dupont", "is_company": True, "email": "ap@dupont.example", "phone": "+1 555 0100",
    "mobile": False, "website": False, "ref": "D-7", "street": "1 Main St", "street2": False,
    "city": "Springfield", "zip": "62701", "state_code": "IL", "country_code": "US",
}


@tagged("post_install", "-at_install")
class TestMasterDataTranslation(BaseCase):

    def test_partner_round_trip(self):
        """A company contact becomes a Customer and comes back with the same values."""
        payload = partner_payload(PARTNER, "Customer")
        self.assertEqual(payload, {
            "DisplayName": "Café Dupont", "CompanyName": "Café Dupont",
            "PrimaryEmailAddr": {"Address": "ap@dupont.example"},
            "PrimaryPhone": {"FreeFormNumber": "+1 555 0100"},
            "BillAddr": {"Line1": "1 Main St", "City": "Springfield", "CountrySubDivisionCode": "IL",
                         "PostalCode": "62701", "Country": "US"},
        })
        values = partner_values({**payload, "Id": "7", "SyncToken": "0"})
        self.assertEqual(values, {
            "name": "Café Dupont", "is_company": True, "email": "ap@dupont.example", "phone": "+1 555 0100",
            "street": "1 Main St", "city": "Springfield", "zip": "62701", "state_code": "IL",
            "country_code": "US",
        })

    def test_person_and_vendor(self):
        """A person gets given/family names; a vendor carries the Odoo reference as account number."""
        payload = partner_payload({"name": "Jane  Q. Roe", "is_company": False, "ref": "V-1"}, "Vendor",
                                  display_name="Jane Q. Roe (V)")
        self.assertEqual(payload, {"DisplayName": "Jane Q. Roe (V)", "GivenName": "Jane", "FamilyName": "Q. Roe",
                                   "AcctNum": "V-1"})
        self.assertFalse(partner_values({"DisplayName": "Jane Roe", "GivenName": "Jane"})["is_company"])
        with self.assertRaises(MasterDataError):
            partner_payload({"name": "   "}, "Customer")

    def test_suffixed_name(self):
        """A DisplayName clash is settled with the kind's letter, then with the Odoo id."""
        self.assertEqual(suffixed_name("Acme", "Customer"), "Acme (C)")
        self.assertEqual(suffixed_name("Acme", "Vendor", 42), "Acme (V42)")
        self.assertEqual(len(suffixed_name("x" * 600, "Employee")), 500)

    def test_contact_sparse_payload(self):
        """Only the changed fields are sent, emptied ones as empty values, with Id and SyncToken."""
        payload = contact_sparse_payload({**PARTNER, "phone": False}, {"phone", "city"}, 12, 3, "ignored")
        self.assertEqual(payload, {
            "Id": "12", "SyncToken": "3", "sparse": True, "PrimaryPhone": {"FreeFormNumber": ""},
            "BillAddr": {"Line1": "1 Main St", "Line2": "", "City": "Springfield", "CountrySubDivisionCode": "IL",
                         "PostalCode": "62701", "Country": "US"},
        })
        self.assertEqual(contact_sparse_payload(PARTNER, {"name"}, 12, 3, "Dupont SA (C)")["DisplayName"],
                         "Dupont SA (C)")

    def test_employee(self):
        """An employee carries its display, given and family names and contact fields."""
        self.assertEqual(employee_payload({"name": "Ann Lee", "email": "ann@x.example", "phone": None}), {
            "DisplayName": "Ann Lee", "GivenName": "Ann", "FamilyName": "Lee",
            "PrimaryEmailAddr": {"Address": "ann@x.example"}})

    def test_product(self):
        """A service becomes a Service item with its income account; goods become NonInventory."""
        service = {"name": "Consulting: hourly", "default_code": "CONS", "type": "service", "list_price": 75.5,
                   "standard_price": 40.0, "description": "Hourly consulting", "purchase_ok": True}
        self.assertEqual(product_payload(service, "79", "80"), {
            "Name": "Consulting hourly", "Type": "Service", "IncomeAccountRef": {"value": "79"},
            "UnitPrice": 75.5, "Sku": "CONS", "Description": "Hourly consulting",
            "ExpenseAccountRef": {"value": "80"}, "PurchaseCost": 40.0,
        })
        goods = product_payload({"name": "Chair", "type": "consu", "list_price": 0}, "79")
        self.assertEqual(goods["Type"], "NonInventory")
        self.assertNotIn("ExpenseAccountRef", goods)
        with self.assertRaisesRegex(MasterDataError, "income account"):
            product_payload(service, None)
        values = product_values({"Name": "Chair", "Type": "NonInventory", "UnitPrice": 12.5, "Sku": "CH",
                                 "IncomeAccountRef": {"value": "79"}})
        self.assertEqual(values, {"name": "Chair", "default_code": "CH", "type": "consu", "list_price": 12.5,
                                  "qbo_income_account_id": "79"})

    def test_account(self):
        """Account types translate both ways; names lose the characters QuickBooks refuses."""
        self.assertEqual(account_payload({"name": 'Sales "EU": goods', "code": "400100", "account_type": "income"}),
                         {"Name": "Sales EU goods", "AccountType": "Income", "AcctNum": "400100"})
        self.assertEqual(account_values({"Name": "Checking", "AccountType": "Bank"}),
                         {"name": "Checking", "account_type": "asset_cash"})
        with self.assertRaises(MasterDataError):
            account_values({"Name": "Odd", "AccountType": "Unknown"})

    def test_term(self):
        """A single 100% line after N days is a STANDARD term; installments are refused clearly."""
        term = {"name": "30 Days", "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
                "lines": [{"value": "percent", "value_amount": 100, "delay_type": "days_after", "nb_days": 30}]}
        self.assertEqual(term_payload(term), {"Name": "30 Days", "DueDays": 30, "DiscountPercent": 2.0,
                                              "DiscountDays": 10})
        installments = {**term, "lines": [{"value": "percent", "value_amount": 50, "nb_days": 0},
                                          {"value": "percent", "value_amount": 50, "nb_days": 30}]}
        with self.assertRaisesRegex(MasterDataError, "installments"):
            term_payload(installments)
        self.assertEqual(term_values({"Name": "Net 15", "DueDays": 15}), {"name": "Net 15", "line_days": 15})
        with self.assertRaises(MasterDataError):
            term_values({"Name": "15th of month", "DayOfMonthDue": 15})

    def test_payment_method_and_cards(self):
        """Journals become payment methods; cards summarize QuickBooks records for the screen."""
        self.assertEqual(payment_method_payload({"name": "Visa", "type": "credit"}),
                         {"Name": "Visa", "Type": "CREDIT_CARD"})
        card = qbo_card("Item", {"Id": 5, "Name": "Chair", "Sku": "CH", "SyncToken": "2", "Active": False})
        self.assertEqual(card, {"id": "5", "name": "Chair", "email": None, "ref": "CH", "sync_token": "2",
                                "active": False})

    def test_query_literal(self):
        """Apostrophes are escaped with a backslash in query values."""
        self.assertEqual(query_literal("O'Brien"), "'O\\'Brien'")
