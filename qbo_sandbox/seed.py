"""What a fresh QuickBooks Online company holds: company info, preferences, a chart of accounts,
terms, payment methods, taxes per country and, with multicurrency, a few currencies.

Nothing random: two companies created with the same options hold the same records.
"""
from datetime import timedelta
from decimal import Decimal

# AccountType -> Classification (XSD AccountTypeEnum).
ACCOUNT_CLASSIFICATIONS = {
    "Bank": "Asset", "Accounts Receivable": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset",
    "Other Asset": "Asset", "Accounts Payable": "Liability", "Credit Card": "Liability",
    "Other Current Liability": "Liability", "Long Term Liability": "Liability", "Equity": "Equity",
    "Income": "Revenue", "Other Income": "Revenue", "Cost of Goods Sold": "Expense", "Expense": "Expense",
    "Other Expense": "Expense", "Non-Posting": "Expense",
}
# ISO code -> name as QBO spells it in CurrencyRef.name.
CURRENCIES = {
    "USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling", "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar", "NZD": "New Zealand Dollar", "CHF": "Swiss Franc", "JPY": "Japanese Yen",
    "INR": "Indian Rupee", "MXN": "Mexican Peso", "SEK": "Swedish Krona", "NOK": "Norwegian Krone",
    "DKK": "Danish Krone", "CNY": "Chinese Yuan Renminbi", "HKD": "Hong Kong Dollar", "SGD": "Singapore Dollar",
    "ZAR": "South African Rand", "BRL": "Brazilian Real", "PLN": "Polish Zloty",
}
# country -> (home currency, ISO 3-letter country for addresses, fixed UTC offset, address)
COUNTRIES = {
    "US": ("USD", "USA", "-08:00", ("123 Sierra Way", "San Pablo", "CA", "87999")),
    "GB": ("GBP", "GBR", "+00:00", ("1 Chapel Street", "London", "", "EC1A 1AA")),
    "CA": ("CAD", "CAN", "-05:00", ("100 King Street West", "Toronto", "ON", "M5X 1A9")),
    "AU": ("AUD", "AUS", "+10:00", ("1 Martin Place", "Sydney", "NSW", "2000")),
    "FR": ("EUR", "FRA", "+01:00", ("10 rue de la Paix", "Paris", "", "75002")),
    "IN": ("INR", "IND", "+05:30", ("1 MG Road", "Bengaluru", "KA", "560001")),
}
DEFAULT_COUNTRY = ("USD", "", "+00:00", ("1 Main Street", "Capital City", "", "10000"))
# Foreign currencies a multicurrency company starts with (its home currency left out).
STARTING_CURRENCIES = ("USD", "EUR", "GBP", "CAD")

# (Name, AccountType, AccountSubType) in the order QBO lists a new company's chart.
CHART = (
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Prepaid Expenses", "Other Current Asset", "PrepaidExpenses"),
    ("Furniture and Equipment", "Fixed Asset", "FurnitureAndFixtures"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Mastercard", "Credit Card", "CreditCard"),
    ("Loan Payable", "Long Term Liability", "NotesPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Insurance", "Expense", "Insurance"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees"),
    ("Meals and Entertainment", "Expense", "EntertainmentMeals"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings"),
    ("Travel", "Expense", "Travel"),
    ("Utilities", "Expense", "Utilities"),
    ("Interest Earned", "Other Income", "InterestEarned"),
    ("Miscellaneous", "Other Expense", "OtherMiscellaneousExpense"),
)
TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))
PAYMENT_METHODS = (
    ("Cash", "NON_CREDIT_CARD"), ("Check", "NON_CREDIT_CARD"), ("Credit Card", "CREDIT_CARD"),
    ("Direct Debit", "NON_CREDIT_CARD"), ("American Express", "CREDIT_CARD"), ("MasterCard", "CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
)
# US: the line pseudo-codes TAX and NON, and sales tax codes made of rates (percent).
US_AGENCY = "California Department of Tax and Fee Administration"
US_TAX_CODES = (
    ("California", (("California", "8"),)),
    ("Los Angeles", (("California State", "7.25"), ("Los Angeles County", "2.25"))),
)
# Non-US: agency, then (TaxCode name, percent or None for a code without rates[, agency of this code]).
# Each code gets one sales and one purchase rate, as QBO sets them up for VAT/GST companies.
VAT_TABLES = {
    "GB": ("HM Revenue & Customs", (
        ("20.0% S", "20"), ("5.0% R", "5"), ("0.0% Z", "0"), ("Exempt", "0"), ("No VAT", None))),
    "CA": ("Canada Revenue Agency", (
        ("GST", "5"), ("HST ON", "13"), ("PST BC", "7", "Ministry of Finance (BC)"), ("Zero-rated", "0"),
        ("Exempt", "0"))),
    "AU": ("Australian Taxation Office", (
        ("GST", "10"), ("GST free", "0"), ("Input taxed", "0"))),
    "FR": ("Direction générale des Finances publiques", (
        ("TVA 20 %", "20"), ("TVA 10 %", "10"), ("TVA 5,5 %", "5.5"), ("Exonéré", "0"))),
    "IN": ("Goods and Services Tax Network", (
        ("GST 18%", "18"), ("GST 12%", "12"), ("GST 5%", "5"), ("Exempt", "0"))),
}
DEFAULT_VAT_TABLE = ("Tax Authority", (("Standard", "20"), ("Reduced", "10"), ("Zero-rated", "0"), ("Exempt", "0")))
# Codes made of the rates of other codes, as QBO Canada has "GST/PST BC" (GST 5 % and PST 7 % on one
# line, each rate reported to its agency): (TaxCode name, names of the codes whose rates it applies).
COMBINED_CODES = {
    "CA": (("GST/PST BC", ("GST", "PST BC")),),
}


def country_defaults(country):
    """Return ``(home currency, ISO-3 country, UTC offset, address)`` for a country code."""
    return COUNTRIES.get(country, DEFAULT_COUNTRY)


def currency_ref(code):
    """Return a CurrencyRef as QBO writes it."""
    return {"value": code, "name": CURRENCIES.get(code, code)}


def seed(company, settings):
    """Fill a new ``company`` with what QBO gives a new company.

    :param company: the ``Company`` (empty store)
    :param dict settings: ``custom_txn_numbers``, ``multicurrency``, ``sales_tax``,
        ``projects_enabled``, ``closed_before`` (date or None)
    """
    company.add("CompanyInfo", company_info(company))
    company.add("Preferences", preferences(company, settings))
    for name, account_type, sub_type in CHART:
        company.add("Account", account(company, name, account_type, sub_type))
    for name, days in TERMS:
        company.add("Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
    for name, method_type in PAYMENT_METHODS:
        company.add("PaymentMethod", {"Name": name, "Active": True, "Type": method_type})
    if company.country == "US":
        _seed_us_taxes(company)
    else:
        _seed_vat(company)
    if settings["multicurrency"]:
        for code in STARTING_CURRENCIES:
            if code != company.home_currency:
                add_currency(company, code)


def company_info(company):
    """Return the CompanyInfo record of a new company."""
    _currency, country3, _offset, (line1, city, subdivision, postal) = country_defaults(company.country)
    address = {"Id": "1", "Line1": line1, "City": city, "PostalCode": postal, "Country": country3 or company.country}
    if subdivision:
        address["CountrySubDivisionCode"] = subdivision
    return {
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": dict(address),
        "CustomerCommunicationAddr": dict(address),
        "LegalAddr": dict(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 944-4444"},
        "CompanyStartDate": company.now().date().isoformat(),
        "FiscalYearStartMonth": "January",
        "Country": company.country,
        "Email": {"Address": "noreply@quickbooks.com"},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Other"},
            {"Name": "CompanyType", "Value": "Other"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "ItemCategoriesFeature", "Value": "true"},
        ],
    }


def preferences(company, settings):
    """Return the Preferences record of a new company with the given switches."""
    prefs = {
        "AccountingInfoPrefs": {
            "TrackDepartments": False, "DepartmentTerminology": "Location", "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": True, "CustomerTerminology": "Customers", "UseAccountNumbers": False,
            "FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January",
        },
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True,
                                    "QuantityOnHand": True},
        "SalesFormsPrefs": {
            "AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True, "AllowServiceDate": False,
            "AllowShipping": False, "DefaultTerms": {"value": "3"},
            "DefaultCustomerMessage": "Thank you for your business.",
            "ETransactionEnabledStatus": "NotApplicable", "UsingPriceLevels": False,
            "UsingProgressInvoicing": False,
        },
        "VendorAndPurchasesPrefs": {"TrackingByCustomer": True, "BillableExpenseTracking": True},
        "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True, "ShowBillRateToAll": False,
                              "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": True},
        "TaxPrefs": {"PartnerTaxEnabled": False},
        "CurrencyPrefs": {"HomeCurrency": {"value": company.home_currency}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": [
            {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business."},
        ]},
    }
    apply_switches(prefs, settings)
    return prefs


def apply_switches(prefs, settings):
    """Write the sandbox switches (``company.PREFERENCE_DEFAULTS`` keys) into a Preferences record."""
    prefs.setdefault("SalesFormsPrefs", {})["CustomTxnNumbers"] = bool(settings["custom_txn_numbers"])
    prefs.setdefault("CurrencyPrefs", {})["MultiCurrencyEnabled"] = bool(settings["multicurrency"])
    prefs.setdefault("TaxPrefs", {})["UsingSalesTax"] = bool(settings["sales_tax"])
    other_prefs = prefs.setdefault("OtherPrefs", {})
    others = [item for item in other_prefs.get("NameValue", []) if item.get("Name") != "ProjectsEnabled"]
    others.append({"Name": "ProjectsEnabled", "Value": "true" if settings["projects_enabled"] else "false"})
    other_prefs["NameValue"] = others
    if settings["closed_before"]:
        close_date = settings["closed_before"] - timedelta(days=1)
        prefs.setdefault("AccountingInfoPrefs", {})["BookCloseDate"] = close_date.isoformat()
    else:
        prefs.setdefault("AccountingInfoPrefs", {}).pop("BookCloseDate", None)


def account(company, name, account_type, sub_type):
    """Return a top-level Account record in the home currency."""
    return {
        "Name": name, "SubAccount": False, "FullyQualifiedName": name, "Active": True,
        "Classification": ACCOUNT_CLASSIFICATIONS[account_type], "AccountType": account_type,
        "AccountSubType": sub_type, "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0,
        "CurrencyRef": currency_ref(company.home_currency),
    }


def add_currency(company, code):
    """Add a CompanyCurrency (multicurrency companies) and return it."""
    return company.add("CompanyCurrency", {"Code": code, "Name": CURRENCIES.get(code, code), "Active": True})


def _tax_payable_account(company, name):
    return company.add("Account", account(company, name, "Other Current Liability", "GlobalTaxPayable"))


def _rate(company, name, percent, agency_id, applicable_on=None):
    rate = {
        "Name": name, "Description": name, "Active": True, "RateValue": Decimal(percent),
        "AgencyRef": {"value": agency_id}, "SpecialTaxType": "NONE", "DisplayType": "ReadOnly",
        "EffectiveTaxRate": [{"RateValue": Decimal(percent),
                              "EffectiveDate": f"2000-01-01T00:00:00{company.utc_offset}"}],
    }
    if applicable_on:
        rate["TaxApplicableOn"] = applicable_on
    return company.add("TaxRate", rate)


def _rate_list(rates):
    return {"TaxRateDetail": [
        {"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]}, "TaxTypeApplicable": "TaxOnAmount",
         "TaxOrder": 0} for rate in rates]}


def _seed_us_taxes(company):
    company.add("TaxCode", {"Id": "TAX", "Name": "TAX", "Description": "TAX", "Active": True, "Taxable": True,
                            "TaxGroup": False, "Hidden": False})
    company.add("TaxCode", {"Id": "NON", "Name": "NON", "Description": "NON", "Active": True, "Taxable": False,
                            "TaxGroup": False, "Hidden": False})
    _tax_payable_account(company, "Sales Tax Payable")
    agency = company.add("TaxAgency", {"DisplayName": US_AGENCY, "TaxTrackedOnSales": True,
                                       "TaxTrackedOnPurchases": False})
    for code_name, rate_specs in US_TAX_CODES:
        rates = [_rate(company, name, percent, agency["Id"]) for name, percent in rate_specs]
        company.add("TaxCode", {
            "Name": code_name, "Description": code_name, "Active": True, "Taxable": True,
            "TaxGroup": len(rates) > 1, "Hidden": False, "SalesTaxRateList": _rate_list(rates),
        })


def _seed_vat(company):
    default_agency, codes = VAT_TABLES.get(company.country, DEFAULT_VAT_TABLE)
    _tax_payable_account(company, "VAT Control" if company.country in ("GB", "FR") else "GST/HST Payable")
    agencies = {}
    rates = {}  # code name -> (sales rate, purchase rate)
    for code_name, percent, *agency_name in codes:
        agency_name = agency_name[0] if agency_name else default_agency
        if agency_name not in agencies:
            agencies[agency_name] = company.add("TaxAgency", {
                "DisplayName": agency_name, "TaxTrackedOnSales": True, "TaxTrackedOnPurchases": True})
        agency_id = agencies[agency_name]["Id"]
        code = {"Name": code_name, "Description": code_name, "Active": True, "Taxable": True,
                "TaxGroup": False, "Hidden": False}
        if percent is not None:
            rates[code_name] = (_rate(company, f"{code_name} (Sales)", percent, agency_id, "Sales"),
                                _rate(company, f"{code_name} (Purchases)", percent, agency_id, "Purchase"))
            code["SalesTaxRateList"] = _rate_list([rates[code_name][0]])
            code["PurchaseTaxRateList"] = _rate_list([rates[code_name][1]])
        company.add("TaxCode", code)
    for code_name, parts in COMBINED_CODES.get(company.country, ()):
        company.add("TaxCode", {
            "Name": code_name, "Description": code_name, "Active": True, "Taxable": True, "TaxGroup": True,
            "Hidden": False, "SalesTaxRateList": _rate_list([rates[part][0] for part in parts]),
            "PurchaseTaxRateList": _rate_list([rates[part][1] for part in parts]),
        })
