"""Name-list entities as QuickBooks Online keeps them: Customer, Vendor, Employee, Item, Account,
Term, PaymentMethod, Class, Department, TaxAgency, CompanyCurrency (TaxCode and TaxRate are read
and query only, created through ``taxservice/taxcode``).

``prepare`` validates a create or update and fills the computed fields; ``after_write`` carries a
rename or a deactivation over to sub-records. Sources: shared/qbo_api.md sections 2.2, 4.2 and 6.1.
Where public sources leave a rule open, the strict reading is taken and marked "Strict".
"""
import copy
from decimal import Decimal

from . import seed
from .seed import ACCOUNT_CLASSIFICATIONS
from .faults import QboFault
from .tax import business, invalid_enum, lookup, missing, ref_value, to_decimal

DEFAULT_SUB_TYPES = {
    "Bank": "Checking", "Accounts Receivable": "AccountsReceivable", "Other Current Asset": "OtherCurrentAssets",
    "Fixed Asset": "OtherFixedAssets", "Other Asset": "OtherLongTermAssets", "Accounts Payable": "AccountsPayable",
    "Credit Card": "CreditCard", "Other Current Liability": "OtherCurrentLiabilities",
    "Long Term Liability": "OtherLongTermLiabilities", "Equity": "OwnersEquity", "Income": "ServiceFeeIncome",
    "Other Income": "OtherMiscellaneousIncome", "Cost of Goods Sold": "SuppliesMaterialsCogs",
    "Expense": "OtherMiscellaneousServiceCost", "Other Expense": "OtherMiscellaneousExpense",
    "Non-Posting": "OtherMiscellaneousExpense",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category")
PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
PEOPLE = ("Customer", "Vendor", "Employee")
ENVELOPE = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")

DUPLICATE_PERSON = ("The name supplied already exists. : Another customer, vendor or employee is already "
                    "using this name. Please use a different name.")
# Strict: Item and Account names are documented as unique; the same 6240 answers a duplicate.
DUPLICATE_DETAILS = {
    "Item": "The name supplied already exists. : Another product or service is already using this name. "
            "Please use a different name.",
    "Account": "The name supplied already exists. : Another account is already using this name. "
               "Please use a different name.",
}
DUPLICATE_OTHER = ("The name supplied already exists. : Another {label} is already using this name. "
                   "Please use a different name.")
STALE_DETAIL = ("Stale Object Error : You and Sandbox User were working on this at the same time. Sandbox User "
                "finished before you did, so your work was not saved.")

_PHONE = ("PrimaryPhone", "AlternatePhone", "Mobile", "Fax")
_NAME_BASE = NAME_PARTS + _PHONE + (
    "DisplayName", "CompanyName", "PrintOnCheckName", "PrimaryEmailAddr", "WebAddr", "Active", "Source",
    "GSTIN", "GSTRegistrationType", "BusinessNumber", "CurrencyRef", "BillAddr", "Balance",
)


class Spec:
    """What the sandbox knows about one name-list entity.

    :param fields: the properties accepted on input (anything else is refused with 2010)
    :param read_only: properties ignored on input (computed or kept from the stored record)
    :param filterable: the properties a query may filter and sort on
    :param lengths: maximum string lengths (2050 above)
    :param refs: reference field -> referenced entity, checked on every write
    :param unique: "person" (DisplayName across Customer/Vendor/Employee), a field name unique within
        the entity, or None
    :param writable: False for entities read and queried only
    """

    def __init__(self, fields, read_only=(), filterable=(), lengths=None, refs=None, unique=None, writable=True,
                 label=None):
        self.read_only = set(read_only)
        self.fields = set(fields) | self.read_only
        self.filterable = {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"} | set(filterable)
        self.lengths = lengths or {}
        self.refs = refs or {}
        self.unique = unique
        self.writable = writable
        self.label = label


NAME_LISTS = {
    "Customer": Spec(
        _NAME_BASE + ("Notes", "Taxable", "SalesTermRef", "PaymentMethodRef", "DefaultTaxCodeRef", "ARAccountRef",
                      "CustomerTypeRef", "ShipAddr", "PreferredDeliveryMethod", "ResaleNum", "Job", "ParentRef",
                      "BillWithParent", "OpenBalanceDate", "PrimaryTaxIdentifier", "SecondaryTaxIdentifier",
                      "TaxExemptionReasonId", "IsProject"),  # IsProject: read on create only
        read_only=("Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "V4IDPseudonym"),
        filterable=("DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName", "FullyQualifiedName",
                    "PrintOnCheckName", "PrimaryEmailAddr", "Active", "Balance", "BalanceWithJobs", "Job",
                    "ParentRef", "IsProject"),
        lengths={"DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
                 "Suffix": 16, "CompanyName": 100, "PrintOnCheckName": 110, "Notes": 2000, "ResaleNum": 16},
        refs={"SalesTermRef": "Term", "PaymentMethodRef": "PaymentMethod", "DefaultTaxCodeRef": "TaxCode",
              "ARAccountRef": "Account"},
        unique="person"),
    "Vendor": Spec(
        _NAME_BASE + ("OtherContactInfo", "APAccountRef", "TermRef", "T4AEligible", "T5018Eligible", "HasTPAR",
                      "TaxReportingBasis", "Vendor1099", "CostRate", "BillRate", "VendorPaymentBankDetail",
                      "TaxIdentifier", "AcctNum"),
        read_only=("Balance", "V4IDPseudonym"),
        filterable=("DisplayName", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName",
                    "PrintOnCheckName", "Active"),
        lengths={"DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
                 "Suffix": 16, "CompanyName": 100, "PrintOnCheckName": 110, "AcctNum": 100},
        refs={"APAccountRef": "Account", "TermRef": "Term"},
        unique="person"),
    "Employee": Spec(
        NAME_PARTS + _PHONE + (
            "DisplayName", "PrintOnCheckName", "PrimaryEmailAddr", "PrimaryAddr", "Active", "EmployeeNumber",
            "SSN", "BillableTime", "BillRate", "CostRate", "HiredDate", "ReleasedDate", "BirthDate", "Gender",
            "Organization"),
        read_only=("V4IDPseudonym",),
        filterable=("DisplayName", "GivenName", "MiddleName", "FamilyName", "PrintOnCheckName", "Active",
                    "EmployeeNumber"),
        lengths={"DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
                 "Suffix": 16, "PrintOnCheckName": 110},
        unique="person"),
    "Item": Spec(
        ("Name", "Sku", "Description", "Type", "Active", "UnitPrice", "Taxable", "SalesTaxIncluded",
         "IncomeAccountRef", "PurchaseDesc", "PurchaseCost", "PurchaseTaxIncluded", "ExpenseAccountRef",
         "AssetAccountRef", "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "ReorderPoint", "SalesTaxCodeRef",
         "PurchaseTaxCodeRef", "ParentRef", "SubItem", "ClassRef", "PrefVendorRef", "ItemCategoryType", "Source",
         "AbatementRate", "ReverseChargeRate", "ServiceType", "TaxClassificationRef", "UQCDisplayText", "UQCId"),
        read_only=("FullyQualifiedName", "Level"),
        filterable=("Name", "Sku", "Type", "Active", "FullyQualifiedName", "UnitPrice", "Taxable", "QtyOnHand",
                    "ParentRef"),
        lengths={"Name": 100, "Sku": 100, "Description": 4000, "PurchaseDesc": 4000},
        refs={"IncomeAccountRef": "Account", "ExpenseAccountRef": "Account", "AssetAccountRef": "Account",
              "SalesTaxCodeRef": "TaxCode", "PurchaseTaxCodeRef": "TaxCode", "ClassRef": "Class",
              "PrefVendorRef": "Vendor"},
        unique="Name"),
    "Account": Spec(
        ("Name", "AcctNum", "Description", "AccountType", "AccountSubType", "Active", "SubAccount", "ParentRef",
         "CurrencyRef", "TxnLocationType", "AccountAlias", "TaxCodeRef"),
        read_only=("Classification", "FullyQualifiedName", "CurrentBalance", "CurrentBalanceWithSubAccounts"),
        filterable=("Name", "AccountType", "AccountSubType", "Classification", "Active", "AcctNum",
                    "FullyQualifiedName", "CurrentBalance", "CurrentBalanceWithSubAccounts", "SubAccount"),
        lengths={"Name": 100, "AcctNum": 20, "Description": 100},
        refs={"TaxCodeRef": "TaxCode"},
        unique="Name"),
    "Term": Spec(
        ("Name", "Active", "Type", "DueDays", "DiscountPercent", "DiscountDays", "DayOfMonthDue",
         "DueNextMonthDays", "DiscountDayOfMonth"),
        filterable=("Name", "Active", "Type"), lengths={"Name": 31}, unique="Name", label="term"),
    "PaymentMethod": Spec(
        ("Name", "Active", "Type"), filterable=("Name", "Active", "Type"), lengths={"Name": 31}, unique="Name",
        label="payment method"),
    "Class": Spec(
        ("Name", "Active", "SubClass", "ParentRef"), read_only=("FullyQualifiedName",),
        filterable=("Name", "Active", "FullyQualifiedName", "SubClass"), lengths={"Name": 100}, unique="Name",
        label="class"),
    "Department": Spec(
        ("Name", "Active", "SubDepartment", "ParentRef", "Address"), read_only=("FullyQualifiedName",),
        filterable=("Name", "Active", "FullyQualifiedName", "SubDepartment"), lengths={"Name": 100},
        unique="Name", label="location"),
    "TaxAgency": Spec(
        ("DisplayName", "TaxTrackedOnSales", "TaxTrackedOnPurchases", "TaxRegistrationNumber", "LastFileDate",
         "TaxAgencyConfig"),
        filterable=("DisplayName",), lengths={"DisplayName": 100}, unique="DisplayName", label="tax agency"),
    "CompanyCurrency": Spec(
        ("Code", "Name", "Active", "CentralBankRate"), read_only=("Name",), filterable=("Code", "Name", "Active"),
        unique="Code", label="currency"),
    "TaxCode": Spec((), filterable=("Name", "Active", "Taxable", "TaxGroup", "Hidden"), writable=False),
    "TaxRate": Spec((), filterable=("Name", "Active", "RateValue", "AgencyRef"), writable=False),
}
SPECIAL_FILTERABLE = {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
# Filterable transaction properties (Strict: Line contents, AccountRef and DepartmentRef are not).
_TXN = ("DocNumber", "TxnDate", "TotalAmt")
TRANSACTION_FILTERABLE = {
    "Invoice": _TXN + ("CustomerRef", "DueDate", "Balance"),
    "CreditMemo": _TXN + ("CustomerRef", "Balance"),
    "SalesReceipt": _TXN + ("CustomerRef",),
    "RefundReceipt": _TXN + ("CustomerRef",),
    "Payment": _TXN + ("CustomerRef",),
    "Bill": _TXN + ("VendorRef", "DueDate", "Balance"),
    "VendorCredit": _TXN + ("VendorRef",),
    "BillPayment": _TXN + ("VendorRef",),
    "Purchase": _TXN + ("PaymentType",),
    "Estimate": _TXN + ("CustomerRef", "TxnStatus"),
    "TimeActivity": ("TxnDate", "BillableStatus", "EmployeeRef", "CustomerRef"),
}

# ---- Input shaping ----


def clean(value):
    """Drop what QBO treats as absent: None, empty strings, and objects or lists left empty."""
    if isinstance(value, dict):
        cleaned = {key: clean(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if not _empty(item)}
    if isinstance(value, list):
        cleaned = [clean(item) for item in value]
        return [item for item in cleaned if not _empty(item)]
    return value


def _empty(value):
    return value is None or value == "" or value == {} or value == []


def strip_envelope(doc):
    """Return a copy of a request body without the properties the server owns."""
    return {key: value for key, value in doc.items() if key not in ENVELOPE}


def filterable(entity, transaction_entities=()):
    """Return the filterable properties of an entity, or None for an entity the sandbox does not know."""
    if entity in NAME_LISTS:
        return NAME_LISTS[entity].filterable
    if entity in ("CompanyInfo", "Preferences"):
        return SPECIAL_FILTERABLE
    if entity in transaction_entities:
        return SPECIAL_FILTERABLE | set(TRANSACTION_FILTERABLE.get(entity, _TXN))
    return None


# ---- Entry points ----

def prepare(company, entity, doc, previous=None):
    """Validate a name-list record about to be created (``previous`` None) or updated and fill the
    fields QBO computes. ``doc`` holds no envelope (Id, SyncToken, MetaData); for a sparse update it is
    the stored record with the request merged on top. Nothing is stored here.

    :return: the record to store (without envelope)
    :raise QboFault: on anything QBO would refuse
    """
    spec = NAME_LISTS[entity]
    _check_properties(spec, doc)
    doc = {key: value for key, value in doc.items() if key not in spec.read_only}
    _normalize_refs(doc)
    if "Active" in spec.fields:
        doc["Active"] = doc.get("Active", True) is not False
    PREPARERS.get(entity, _prepare_plain)(company, entity, doc, previous)
    _check_lengths(spec, doc)
    for field, target in spec.refs.items():
        if field in doc:
            lookup(company, target, doc[field], field)
    _check_unique(company, entity, spec, doc, previous)
    return doc


def after_write(company, entity, doc, previous=None):
    """Carry a stored change over: a foreign currency joins the company's list, and sub-records get
    their new FullyQualifiedName and Level after a rename or move ((Customer) sub-customers and
    projects are made inactive with their parent)."""
    code = ref_value(doc.get("CurrencyRef"))
    if code and code != company.home_currency and not any(
            currency.get("Code") == code for currency in company.all("CompanyCurrency")):
        seed.add_currency(company, code)
    if previous is None:
        return
    name_field = "DisplayName" if entity == "Customer" else "Name"
    renamed = (previous.get("FullyQualifiedName") != doc.get("FullyQualifiedName")
               or previous.get(name_field) != doc.get(name_field))
    deactivated = entity == "Customer" and previous.get("Active") is not False and doc.get("Active") is False
    if not (renamed or deactivated):
        return
    for child in company.all(entity):
        if ref_value(child.get("ParentRef")) != doc["Id"]:
            continue
        before = copy.deepcopy(child)
        _place_under_parent(company, entity, child, name_field)
        if deactivated:
            child["Active"] = False
        if child != before:
            company.touch(entity, child)
            after_write(company, entity, child, before)


def check_currency(company, entity, doc, previous):
    """Default a CurrencyRef to the home currency and refuse a foreign one without multicurrency.

    Strict: a customer's or vendor's currency never changes once set (qbTypes Customer.CurrencyRef).
    ``after_write`` adds a currency new to the company to its list, as QBO does.
    """
    code = ref_value(doc.get("CurrencyRef"))
    before = ref_value((previous or {}).get("CurrencyRef"))
    if code is None:
        code = before or company.home_currency
    if before and code != before:
        raise business(f"You can't change the currency of this {entity.lower()}: it is {before}.", "CurrencyRef")
    if code not in seed.CURRENCIES:
        raise QboFault("2500", f"Invalid Reference Id : Currency {code} not found", "CurrencyRef")
    if code != company.home_currency and not company.multicurrency:
        raise business(f"Multicurrency is not turned on: use the home currency {company.home_currency}.",
                       "CurrencyRef")
    doc["CurrencyRef"] = seed.currency_ref(code)


# ---- Checks shared by all name lists ----

def _check_properties(spec, doc):
    for key, value in doc.items():
        if key not in spec.fields:
            raise QboFault("2010", f'Property Name:Unrecognized field "{key}" specified is unsupported or invalid',
                           key)
        if (key.endswith("Ref") or key.endswith("Addr") or key in _PHONE) and not isinstance(value, dict):
            raise QboFault("2010", f"Property Name:{key} must be an object, specified is unsupported or invalid",
                           key)
        if key in ("Active", "Taxable", "Job", "BillWithParent", "SubAccount", "SubItem", "SubClass",
                   "SubDepartment", "TrackQtyOnHand", "Vendor1099", "BillableTime") and not isinstance(value, bool):
            raise QboFault("2010", f"Property Name:{key} must be true or false, specified is unsupported or invalid",
                           key)


def _normalize_refs(doc):
    """Keep a reference's ``value`` (a string) only; QBO ignores ``name`` on input."""
    for key in list(doc):
        if key.endswith("Ref"):
            value = ref_value(doc[key])
            if value is None:
                del doc[key]
            else:
                doc[key] = {"value": value}


def _check_lengths(spec, doc):
    for field, maximum in spec.lengths.items():
        value = doc.get(field)
        if isinstance(value, str) and len(value) > maximum:
            raise QboFault("2050", "String length specified does not match the supported length. "
                                   f"Min:0 Max:{maximum} supported. Supplied length:{len(value)}", field)


def _unique_key(value):
    """Strict: names clash regardless of case and surrounding spaces."""
    return value.strip().casefold() if isinstance(value, str) else value


def _check_unique(company, entity, spec, doc, previous):
    """6240 for a duplicate name. Strict: inactive records keep their names."""
    own_id = (previous or {}).get("Id")
    if spec.unique == "person":
        key = _unique_key(doc["DisplayName"])
        for other_entity in PEOPLE:
            for other in company.all(other_entity):
                if _unique_key(other.get("DisplayName")) == key and (other_entity, other["Id"]) != (entity, own_id):
                    raise QboFault("6240", DUPLICATE_PERSON)
    elif spec.unique:
        key = _unique_key(doc.get(spec.unique))
        for other in company.all(entity):
            if _unique_key(other.get(spec.unique)) == key and other["Id"] != own_id:
                detail = DUPLICATE_DETAILS.get(entity) or DUPLICATE_OTHER.format(label=spec.label)
                raise QboFault("6240", detail)


def _require(doc, *fields):
    for field in fields:
        if _empty(doc.get(field)):
            raise missing(field)


def _place_under_parent(company, entity, doc, name_field, own_id=None):
    """Fill FullyQualifiedName (``Parent:Child``) and Level from the ParentRef; 5 levels at most."""
    parent = company.get(entity, ref_value(doc.get("ParentRef")))
    name = doc[name_field]
    if parent is None:
        doc["FullyQualifiedName"] = name
        if entity in ("Customer", "Item"):
            doc["Level"] = 0
        return
    parent_name = parent.get("FullyQualifiedName") or parent[name_field]
    level = parent_name.count(":") + 1
    if level + _subtree_depth(company, entity, own_id or doc.get("Id")) > 4:
        raise business("Sub-levels are limited to 5 levels.", "ParentRef")
    doc["FullyQualifiedName"] = f"{parent_name}:{name}"
    if entity in ("Customer", "Item"):
        doc["Level"] = level
    doc["ParentRef"] = {"value": parent["Id"], "name": parent_name}


def _subtree_depth(company, entity, entity_id):
    """How many levels of sub-records sit under a stored record (0 for none or a new record)."""
    if entity_id is None:
        return 0
    children = [child["Id"] for child in company.all(entity) if ref_value(child.get("ParentRef")) == entity_id]
    return max((1 + _subtree_depth(company, entity, child_id) for child_id in children), default=0)


def _check_parent(company, entity, doc, previous, element="ParentRef"):
    """The parent exists, is active, and is neither the record itself nor one of its descendants."""
    parent = lookup(company, entity, doc.get("ParentRef"), element)
    own_id = (previous or {}).get("Id")
    ancestor = parent
    while ancestor is not None and own_id is not None:
        if ancestor["Id"] == own_id:
            raise business(f"A {entity.lower()} can't be its own parent or sit under one of its sub-levels.",
                           element)
        ancestor = company.get(entity, ref_value(ancestor.get("ParentRef")))
    return parent


# ---- Per entity ----

def _prepare_plain(company, entity, doc, previous):
    """Term, PaymentMethod, TaxAgency: required name and enumerations."""
    name_field = NAME_LISTS[entity].unique
    _require(doc, name_field)
    if entity == "Term":
        if doc.get("DueDays") is not None:
            doc["Type"] = "STANDARD"
        elif doc.get("DayOfMonthDue") is not None:
            doc["Type"] = "DATE_DRIVEN"
        else:
            raise missing("DueDays")
        for field in ("DueDays", "DayOfMonthDue", "DueNextMonthDays", "DiscountDays", "DiscountDayOfMonth"):
            if field in doc and (not isinstance(doc[field], int) or isinstance(doc[field], bool) or doc[field] < 0):
                raise QboFault("2010", f"Request has invalid or unsupported property : {field}={doc[field]}", field)
    elif entity == "PaymentMethod":
        doc.setdefault("Type", "NON_CREDIT_CARD")
        if doc["Type"] not in PAYMENT_METHOD_TYPES:
            raise invalid_enum("Type", doc["Type"], PAYMENT_METHOD_TYPES)
    elif entity == "TaxAgency":
        doc.setdefault("TaxTrackedOnSales", True)
        doc.setdefault("TaxTrackedOnPurchases", False)


def _prepare_person(company, entity, doc, previous):
    """Customer, Vendor, Employee: DisplayName (built from the name parts when absent)."""
    if _empty(doc.get("DisplayName")):
        parts = [doc[part].strip() for part in NAME_PARTS if isinstance(doc.get(part), str) and doc[part].strip()]
        if not parts:
            raise QboFault("2020", "Required parameter : Either DisplayName or one of the name elements (Title, "
                                   "GivenName, MiddleName, FamilyName, Suffix) is required", "DisplayName")
        doc["DisplayName"] = " ".join(parts)
    doc.setdefault("PrintOnCheckName", doc["DisplayName"])
    if entity == "Customer":
        _prepare_customer(company, doc, previous)
    if entity in ("Customer", "Vendor"):
        check_currency(company, entity, doc, previous)
        doc["Balance"] = (previous or {}).get("Balance", 0)
        if entity == "Customer":
            doc["BalanceWithJobs"] = (previous or {}).get("BalanceWithJobs", 0)


def _prepare_customer(company, doc, previous):
    """Sub-customers (Job + ParentRef, else 6150) and projects.

    Projects are Customers with ``IsProject: true``. Intuit creates them through its GraphQL Project
    API and ignores IsProject in v3; the sandbox, having no GraphQL, accepts ``IsProject: true`` on a
    v3 create (or seeds them with ``Company.add``) when the company has projects turned on. A project
    sits under a customer that is not itself a project; IsProject never changes after the create.
    """
    if previous is not None:
        is_project = previous.get("IsProject", False)
    else:
        is_project = doc.get("IsProject") is True
    doc.pop("IsProject", None)
    if is_project:
        if previous is None and not company.projects_enabled:
            raise business("Projects are not turned on for this company.", "IsProject")
        if doc.get("ParentRef") is None:
            raise QboFault("6150", "ParentRef is either required or not if Job is true or false.", "ParentRef")
        doc["Job"] = True
        doc["IsProject"] = True
    has_parent = doc.get("ParentRef") is not None
    if (doc.get("Job") is True) != has_parent:
        raise QboFault("6150", "ParentRef is either required or not if Job is true or false.", "Job")
    if has_parent:
        parent = _check_parent(company, "Customer", doc, previous)
        if is_project and parent.get("IsProject"):
            raise business("A project can't be created under another project.", "ParentRef")
        doc.setdefault("BillWithParent", False)
    else:
        doc["Job"] = False
        doc["BillWithParent"] = False
    _place_under_parent(company, "Customer", doc, "DisplayName", (previous or {}).get("Id"))


def _prepare_item(company, entity, doc, previous):
    """Item: Name, Type and the accounts each type needs (qbTypes Item)."""
    _require(doc, "Name", "Type")
    item_type = doc["Type"]
    if item_type not in ITEM_TYPES:
        raise invalid_enum("Type", item_type, ITEM_TYPES)
    if ":" in doc["Name"]:
        raise business("An item name can't contain a colon (:).", "Name")
    for field in ("UnitPrice", "PurchaseCost", "QtyOnHand", "ReorderPoint"):
        if field in doc:
            doc[field] = to_decimal(doc[field], field)
    if item_type == "Inventory":
        _require(doc, "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "QtyOnHand", "InvStartDate")
        if doc.get("TrackQtyOnHand") is not True:
            raise missing("TrackQtyOnHand")
    elif item_type == "Service":
        _require(doc, "IncomeAccountRef")
    elif item_type == "NonInventory" and "IncomeAccountRef" not in doc and "ExpenseAccountRef" not in doc:
        raise missing("IncomeAccountRef")
    if item_type != "Inventory":
        doc["TrackQtyOnHand"] = False
    _check_account_type(company, doc, "IncomeAccountRef", ("Income", "Other Income"))
    _check_account_type(company, doc, "ExpenseAccountRef", ("Cost of Goods Sold", "Expense", "Other Expense"))
    _check_account_type(company, doc, "AssetAccountRef", ("Other Current Asset",))
    if doc.get("SubItem") is True or "ParentRef" in doc:
        _require(doc, "ParentRef")
        _check_parent(company, "Item", doc, previous)
        doc["SubItem"] = True
    else:
        doc["SubItem"] = False
    _place_under_parent(company, "Item", doc, "Name", (previous or {}).get("Id"))


def _check_account_type(company, doc, field, types):
    account = lookup(company, "Account", doc.get(field), field)
    if account is not None and account.get("AccountType") not in types:
        raise business(f"{field} must point to an account of type {' or '.join(types)}.", field)


def _prepare_account(company, entity, doc, previous):
    """Account: Name (no ``"`` or ``:``), AccountType; Classification and sub-type follow the type."""
    _require(doc, "Name", "AccountType")
    if '"' in doc["Name"] or ":" in doc["Name"]:
        raise business('An account name can\'t contain double quotes (") or colons (:).', "Name")
    account_type = doc["AccountType"]
    if account_type not in ACCOUNT_CLASSIFICATIONS:
        raise invalid_enum("AccountType", account_type, tuple(ACCOUNT_CLASSIFICATIONS))
    doc["Classification"] = ACCOUNT_CLASSIFICATIONS[account_type]
    doc.setdefault("AccountSubType", DEFAULT_SUB_TYPES[account_type])
    if doc.get("SubAccount") is True or "ParentRef" in doc:
        _require(doc, "ParentRef")
        parent = _check_parent(company, "Account", doc, previous)
        if parent.get("AccountType") != account_type:
            raise business("A sub-account must have the same account type as its parent.", "ParentRef")
        doc["SubAccount"] = True
    else:
        doc["SubAccount"] = False
    _place_under_parent(company, "Account", doc, "Name", (previous or {}).get("Id"))
    check_currency(company, entity, doc, previous)
    for field in ("CurrentBalance", "CurrentBalanceWithSubAccounts"):
        doc[field] = (previous or {}).get(field, 0)


def _prepare_class(company, entity, doc, previous):
    """Class and Department: Name, and SubClass/SubDepartment under a ParentRef."""
    _require(doc, "Name")
    flag = "SubClass" if entity == "Class" else "SubDepartment"
    if doc.get(flag) is True or "ParentRef" in doc:
        _require(doc, "ParentRef")
        _check_parent(company, entity, doc, previous)
        doc[flag] = True
    else:
        doc[flag] = False
    _place_under_parent(company, entity, doc, "Name", (previous or {}).get("Id"))


def _prepare_currency(company, entity, doc, previous):
    """CompanyCurrency: a known ISO code other than the home currency, multicurrency on."""
    _require(doc, "Code")
    if not company.multicurrency:
        raise business("Multicurrency is not turned on for this company.", "Code")
    code = doc["Code"]
    if code not in seed.CURRENCIES:
        raise QboFault("2500", f"Invalid Reference Id : Currency {code} not found", "Code")
    if code == company.home_currency or previous is not None and previous.get("Code") != code:
        raise business(f"The currency {code} can't be added or changed here.", "Code")
    doc["Name"] = seed.CURRENCIES[code]
    if "CentralBankRate" in doc:
        doc["CentralBankRate"] = to_decimal(doc["CentralBankRate"], "CentralBankRate")


PREPARERS = {
    "Customer": _prepare_person, "Vendor": _prepare_person, "Employee": _prepare_person,
    "Item": _prepare_item, "Account": _prepare_account, "Class": _prepare_class, "Department": _prepare_class,
    "CompanyCurrency": _prepare_currency,
}


# ---- TaxService ----

def create_tax_code(company, body):
    """``POST taxservice/taxcode``: create a TaxCode and its new TaxRates (or reuse existing rates).

    Body: ``{"TaxCode": name, "TaxRateDetails": [{"TaxRateName", "RateValue", "TaxAgencyId",
    "TaxApplicableOn": "Sales" | "Purchase"} | {"TaxRateId"}]}``. Returns the body with the new
    ``TaxCodeId`` and each ``TaxRateId``.
    """
    _require(body, "TaxCode", "TaxRateDetails")
    name = body["TaxCode"]
    if not isinstance(name, str) or not isinstance(body["TaxRateDetails"], list):
        raise QboFault("2010", "Property Name:TaxService specified is unsupported or invalid")
    if any(_unique_key(code.get("Name")) == _unique_key(name) for code in company.all("TaxCode")):
        raise QboFault("6240", DUPLICATE_OTHER.format(label="tax code"))
    planned = []
    for index, detail in enumerate(body["TaxRateDetails"]):
        element = f"TaxRateDetails[{index}]"
        if detail.get("TaxRateId"):
            rate = lookup(company, "TaxRate", {"value": detail["TaxRateId"]}, f"{element}.TaxRateId")
            planned.append((rate, detail.get("TaxApplicableOn") or rate.get("TaxApplicableOn") or "Sales", detail))
            continue
        _require(detail, "TaxRateName", "RateValue", "TaxAgencyId")
        lookup(company, "TaxAgency", {"value": detail["TaxAgencyId"]}, f"{element}.TaxAgencyId")
        percent = to_decimal(detail["RateValue"], f"{element}.RateValue")
        if percent < 0 or percent > 100:
            raise business("A tax rate must be between 0 and 100 percent.", f"{element}.RateValue")
        applicable = detail.get("TaxApplicableOn") or "Sales"
        if applicable not in ("Sales", "Purchase"):
            raise invalid_enum(f"{element}.TaxApplicableOn", applicable, ("Sales", "Purchase"))
        planned.append((None, applicable, detail))
    code = {"Name": name, "Description": name, "Active": True, "Taxable": True,
            "TaxGroup": len(planned) > 1, "Hidden": False}
    answer = {"TaxCode": name, "TaxRateDetails": []}
    for rate, applicable, detail in planned:
        if rate is None:
            rate = company.add("TaxRate", {
                "Name": detail["TaxRateName"], "Description": detail["TaxRateName"], "Active": True,
                "RateValue": Decimal(str(detail["RateValue"])), "AgencyRef": {"value": str(detail["TaxAgencyId"])},
                "SpecialTaxType": "NONE", "DisplayType": "ReadOnly", "TaxApplicableOn": applicable,
            })
        key = "SalesTaxRateList" if applicable == "Sales" else "PurchaseTaxRateList"
        code.setdefault(key, {"TaxRateDetail": []})["TaxRateDetail"].append(
            {"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]}, "TaxTypeApplicable": "TaxOnAmount",
             "TaxOrder": 0})
        answer["TaxRateDetails"].append({
            "TaxRateName": rate["Name"], "TaxRateId": rate["Id"], "RateValue": rate["RateValue"],
            "TaxAgencyId": ref_value(rate.get("AgencyRef")), "TaxApplicableOn": applicable,
        })
    answer["TaxCodeId"] = company.add("TaxCode", code)["Id"]
    return answer
