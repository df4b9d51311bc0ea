"""The demo seed: the app the offline demo connects with, one US company to connect to, and a few
customers, vendors and products in it so a first sync has something to match (some named as in
Odoo's own demo data, so that Automatch finds them), and a 15 % sales tax code like Odoo's default.

These are demo values for a sandbox on loopback, not secrets.
"""
from decimal import Decimal

from . import accounting, entities

DEMO_CLIENT_ID = "quickbooks-demo-client"
DEMO_CLIENT_SECRET = "quickbooks-demo-secret"
DEMO_ODOO_PORT = 8069
CALLBACK_PATH = "/quickbooks/oauth/callback"
DEMO_REALM_ID = "9341453000000001"
DEMO_COMPANY_NAME = "Sandbox Company_US_1"

DEMO_CUSTOMERS = (
    {"DisplayName": "Amy's Bird Sanctuary", "CompanyName": "Amy's Bird Sanctuary",
     "PrimaryEmailAddr": {"Address": "birds@intuit.example.com"},
     "BillAddr": {"Line1": "4581 Finch St.", "City": "Bayshore", "CountrySubDivisionCode": "CA",
                  "PostalCode": "94326", "Country": "USA"}},
    {"DisplayName": "Bill's Windsurf Shop", "CompanyName": "Bill's Windsurf Shop",
     "PrimaryEmailAddr": {"Address": "surf@intuit.example.com"},
     "BillAddr": {"Line1": "12 Ocean Dr.", "City": "Half Moon Bay", "CountrySubDivisionCode": "CA",
                  "PostalCode": "94213", "Country": "USA"}},
    {"DisplayName": "Cool Cars", "CompanyName": "Cool Cars",
     "PrimaryEmailAddr": {"Address": "cool_cars@intuit.example.com"},
     "BillAddr": {"Line1": "65 Ocean Dr.", "City": "Half Moon Bay", "CountrySubDivisionCode": "CA",
                  "PostalCode": "94213", "Country": "USA"}},
    {"DisplayName": "Deco Addict", "CompanyName": "Deco Addict"},
    {"DisplayName": "Gemini Furniture", "CompanyName": "Gemini Furniture"},
)
DEMO_VENDORS = (
    {"DisplayName": "Books by Bessie", "CompanyName": "Books by Bessie",
     "PrimaryEmailAddr": {"Address": "books@intuit.example.com"}},
    {"DisplayName": "Hicks Hardware", "CompanyName": "Hicks Hardware"},
    {"DisplayName": "Wood Corner", "CompanyName": "Wood Corner"},
)
# (Name, Type, UnitPrice, income account name)
DEMO_ITEMS = (
    ("Design", "Service", Decimal("75.00"), "Services"),
    ("Installation", "Service", Decimal("50.00"), "Services"),
    ("Rock Fountain", "NonInventory", Decimal("275.00"), "Sales of Product Income"),
    ("Virtual Interior Design", "Service", Decimal("30.75"), "Services"),
    ("Office Chair", "NonInventory", Decimal("70.00"), "Sales of Product Income"),
)
DEMO_TAX_CODE = ("Sales Tax 15", Decimal("15"))


def seed_demo(state, odoo_port=None):
    """Register the demo app and create the demo company unless it exists (e.g. loaded from a file).

    :param SandboxState state: the sandbox to seed
    :param int odoo_port: the port of the Odoo whose callback the app accepts (8069 by default)
    :return: the demo ``Company``
    """
    port = odoo_port or DEMO_ODOO_PORT
    state.register_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                       [f"http://{host}:{port}{CALLBACK_PATH}" for host in ("127.0.0.1", "localhost")])
    with state.lock:
        company = state.companies.get(DEMO_REALM_ID)
        if company is None:
            company = state.create_company(DEMO_REALM_ID, DEMO_COMPANY_NAME, country="US", home_currency="USD")
            _add_demo_records(company)
    return company


def _add_demo_records(company):
    """Create the demo name lists through the API's own validation."""
    for customer in DEMO_CUSTOMERS:
        accounting.create(company, "Customer", customer)
    for vendor in DEMO_VENDORS:
        accounting.create(company, "Vendor", vendor)
    accounts = {account["Name"]: account for account in company.all("Account")}
    for name, item_type, price, income_account in DEMO_ITEMS:
        account = accounts[income_account]
        accounting.create(company, "Item", {
            "Name": name, "Type": item_type, "UnitPrice": price,
            "IncomeAccountRef": {"value": account["Id"], "name": account["Name"]},
        })
    name, percent = DEMO_TAX_CODE
    entities.create_tax_code(company, {"TaxCode": name, "TaxRateDetails": [
        {"TaxRateName": name, "RateValue": percent, "TaxAgencyId": company.all("TaxAgency")[0]["Id"]}]})
