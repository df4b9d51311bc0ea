"""Master data translation between Odoo values and QuickBooks Online JSON, and name matching.

Pure functions, no ORM: the models extract plain dicts from records, call these, and write back.
"""
import bisect
import difflib
import re
import unicodedata
from collections import Counter, namedtuple

MappingKind = namedtuple("MappingKind", "entity model importable exportable")

# One mapping screen per kind. The tax kind is stored in qbo.tax.map (several Odoo taxes may share
# one QuickBooks tax code), every other kind in qbo.mapping.
KINDS = {
    "customer": MappingKind("Customer", "res.partner", True, True),
    "vendor": MappingKind("Vendor", "res.partner", True, True),
    "employee": MappingKind("Employee", "hr.employee", True, True),
    "product": MappingKind("Item", "product.product", True, True),
    "account": MappingKind("Account", "account.account", True, True),
    "term": MappingKind("Term", "account.payment.term", True, True),
    "payment_method": MappingKind("PaymentMethod", "account.journal", False, True),
    "tax": MappingKind("TaxCode", "account.tax", False, False),
}

# Suffix letters used when a DisplayName is already held by another kind of name (Fault 6240).
NAME_SUFFIX_LETTERS = {"Customer": "C", "Vendor": "V", "Employee": "E"}

# Item types a connector may put on sales and purchase lines.
USABLE_ITEM_TYPES = ("Service", "NonInventory", "Inventory")

ODOO_TO_QBO_ACCOUNT_TYPE = {
    "asset_receivable": "Accounts Receivable",
    "asset_cash": "Bank",
    "asset_current": "Other Current Asset",
    "asset_prepayments": "Other Current Asset",
    "asset_non_current": "Other Asset",
    "asset_fixed": "Fixed Asset",
    "liability_payable": "Accounts Payable",
    "liability_credit_card": "Credit Card",
    "liability_current": "Other Current Liability",
    "liability_non_current": "Long Term Liability",
    "equity": "Equity",
    "equity_unaffected": "Equity",
    "income": "Income",
    "income_other": "Other Income",
    "expense": "Expense",
    "expense_other": "Other Expense",
    "expense_depreciation": "Expense",
    "expense_direct_cost": "Cost of Goods Sold",
    "off_balance": "Non-Posting",
}
QBO_TO_ODOO_ACCOUNT_TYPE = {
    "Bank": "asset_cash",
    "Accounts Receivable": "asset_receivable",
    "Other Current Asset": "asset_current",
    "Fixed Asset": "asset_fixed",
    "Other Asset": "asset_non_current",
    "Accounts Payable": "liability_payable",
    "Credit Card": "liability_credit_card",
    "Other Current Liability": "liability_current",
    "Long Term Liability": "liability_non_current",
    "Equity": "equity",
    "Income": "income",
    "Other Income": "income_other",
    "Expense": "expense",
    "Other Expense": "expense_other",
    "Cost of Goods Sold": "expense_direct_cost",
    "Non-Posting": "off_balance",
}

# Country spellings QuickBooks users type in addresses that are not an Odoo code or name.
COUNTRY_ALIASES = {"USA": "US", "U.S.A.": "US", "U.S.": "US", "UK": "GB", "GBR": "GB", "CAN": "CA", "AUS": "AU"}

# Legal-form words that do not tell two companies apart ("Acme Inc." is "ACME").
LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co",
    "company", "plc", "pty", "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab",
})
DEFAULT_THRESHOLD = 90
TOKEN_SIMILARITY = 0.75


class MasterDataError(ValueError):
    """A record cannot be translated; the message is shown to the user."""


# === SMALL HELPERS === #

def ref(qbo_id, name=None):
    """Return a QuickBooks reference object ``{"value": id}``."""
    result = {"value": str(qbo_id)}
    if name:
        result["name"] = name
    return result


def clean_name(text, max_length, forbidden=""):
    """Return ``text`` stripped, single-spaced, without forbidden characters, cut to ``max_length``."""
    text = " ".join((text or "").split())
    for char in forbidden:
        text = text.replace(char, " " if char == ":" else "")
    return " ".join(text.split())[:max_length].strip()


def suffixed_name(name, entity, extra=None, max_length=500):
    """Return ``name`` with the suffix that tells its kind apart, e.g. ``"Acme (C)"``.

    :param str name: the DisplayName already taken
    :param str entity: Customer, Vendor or Employee
    :param extra: an optional discriminator appended to the letter (e.g. the Odoo id)
    """
    suffix = " (%s%s)" % (NAME_SUFFIX_LETTERS.get(entity, entity[:1]), extra or "")
    return name[: max_length - len(suffix)].rstrip() + suffix


def _split_person_name(name):
    parts = (name or "").split()
    if len(parts) < 2:
        return {"GivenName": (name or "")[:100]}
    return {"GivenName": parts[0][:100], "FamilyName": " ".join(parts[1:])[:100]}


def _without_empty(values):
    return {key: value for key, value in values.items()
            if value is not None and value is not False and value not in ("", {}, [])}


# === QBO RECORD -> CARD (what the mapping screen and the matcher show) === #

def qbo_card(entity, doc):
    """Return the short description of a QuickBooks record used on the mapping screen.

    :param str entity: the QuickBooks entity name
    :param dict doc: the record as QuickBooks returns it
    :return: ``{"id", "name", "email", "ref", "sync_token", "active"}``
    :rtype: dict
    """
    email = ref_value = None
    if entity in ("Customer", "Vendor", "Employee"):
        name = doc.get("DisplayName")
        email = (doc.get("PrimaryEmailAddr") or {}).get("Address")
        ref_value = doc.get("AcctNum") if entity == "Vendor" else doc.get("EmployeeNumber")
    elif entity == "Item":
        name = doc.get("FullyQualifiedName") or doc.get("Name")
        ref_value = doc.get("Sku")
    elif entity == "Account":
        name = doc.get("FullyQualifiedName") or doc.get("Name")
        ref_value = doc.get("AcctNum")
    else:
        name = doc.get("Name")
    return {
        "id": str(doc["Id"]),
        "name": name or "",
        "email": email or None,
        "ref": ref_value or None,
        "sync_token": str(doc.get("SyncToken", "")) or None,
        "active": doc.get("Active", True) is not False,
    }


def is_listed(entity, doc):
    """Return whether a QuickBooks record belongs on the mapping screen (no projects, no categories)."""
    if entity == "Customer" and doc.get("IsProject"):
        return False
    if entity == "Item" and doc.get("Type") not in USABLE_ITEM_TYPES:
        return False
    return True


# === PARTNERS (Customer, Vendor) === #

def _address_payload(values):
    return _without_empty({
        "Line1": values.get("street"),
        "Line2": values.get("street2"),
        "City": values.get("city"),
        "CountrySubDivisionCode": values.get("state_code"),
        "PostalCode": values.get("zip"),
        "Country": values.get("country_code"),
    })


def partner_payload(values, entity, display_name=None):
    """Return the QuickBooks Customer or Vendor JSON for an Odoo partner.

    :param dict values: name, is_company, email, phone, mobile, street, street2, city, zip,
        state_code, country_code, website, ref
    :param str entity: ``"Customer"`` or ``"Vendor"``
    :param str display_name: the DisplayName to use instead of the partner name (suffixed names)
    :raise MasterDataError: when the partner has no name
    """
    name = clean_name(display_name or values.get("name"), 500)
    if not name:
        raise MasterDataError("a contact without a name cannot be sent to QuickBooks")
    payload = {"DisplayName": name}
    if values.get("is_company"):
        payload["CompanyName"] = clean_name(values.get("name"), 100)
    else:
        payload.update(_split_person_name(values.get("name")))
    payload.update(_without_empty({
        "PrimaryEmailAddr": {"Address": values["email"]} if values.get("email") else None,
        "PrimaryPhone": {"FreeFormNumber": values["phone"]} if values.get("phone") else None,
        "Mobile": {"FreeFormNumber": values["mobile"]} if values.get("mobile") else None,
        "WebAddr": {"URI": values["website"]} if values.get("website") else None,
        "BillAddr": _address_payload(values),
    }))
    if entity == "Vendor" and values.get("ref"):
        payload["AcctNum"] = values["ref"][:100]
    return payload


def partner_values(doc):
    """Return Odoo partner values (country and state as codes) from a QuickBooks Customer or Vendor."""
    address = doc.get("BillAddr") or {}
    values = _without_empty({
        "name": doc.get("DisplayName") or doc.get("CompanyName"),
        "email": (doc.get("PrimaryEmailAddr") or {}).get("Address"),
        "phone": (doc.get("PrimaryPhone") or {}).get("FreeFormNumber"),
        "mobile": (doc.get("Mobile") or {}).get("FreeFormNumber"),
        "website": (doc.get("WebAddr") or {}).get("URI"),
        "street": address.get("Line1"),
        "street2": address.get("Line2"),
        "city": address.get("City"),
        "zip": address.get("PostalCode"),
        "state_code": address.get("CountrySubDivisionCode"),
        "country_code": address.get("Country"),
        "ref": doc.get("AcctNum"),
    })
    values["is_company"] = bool(doc.get("CompanyName")) or not (doc.get("GivenName") or doc.get("FamilyName"))
    return values


# Odoo partner fields whose change is pushed to QuickBooks, and the keys of ``values`` they feed.
CONTACT_FIELDS = {
    "name": ("name",),
    "email": ("email",),
    "phone": ("phone",),
    "mobile": ("mobile",),
    "street": ("street",),
    "street2": ("street2",),
    "city": ("city",),
    "zip": ("zip",),
    "state_id": ("state_code",),
    "country_id": ("country_code",),
}


def contact_sparse_payload(values, changed, qbo_id, sync_token, display_name):
    """Return a sparse update that pushes a partner's changed contact fields.

    Fields emptied in Odoo are sent empty so that QuickBooks clears them too.

    :param dict values: the partner values after the change (see :func:`partner_payload`)
    :param set changed: the Odoo field names that changed (keys of :data:`CONTACT_FIELDS`)
    :param str display_name: the DisplayName to send when the name changed
    """
    payload = {"Id": str(qbo_id), "SyncToken": str(sync_token), "sparse": True}
    if "name" in changed:
        payload["DisplayName"] = clean_name(display_name, 500)
    if "email" in changed:
        payload["PrimaryEmailAddr"] = {"Address": values.get("email") or ""}
    if "phone" in changed:
        payload["PrimaryPhone"] = {"FreeFormNumber": values.get("phone") or ""}
    if "mobile" in changed:
        payload["Mobile"] = {"FreeFormNumber": values.get("mobile") or ""}
    if changed & {"street", "street2", "city", "zip", "state_id", "country_id"}:
        payload["BillAddr"] = {
            "Line1": values.get("street") or "",
            "Line2": values.get("street2") or "",
            "City": values.get("city") or "",
            "CountrySubDivisionCode": values.get("state_code") or "",
            "PostalCode": values.get("zip") or "",
            "Country": values.get("country_code") or "",
        }
    return payload


# === EMPLOYEES === #

def employee_payload(values, display_name=None):
    """Return the QuickBooks Employee JSON for an Odoo employee (name, email, phone, mobile)."""
    name = clean_name(display_name or values.get("name"), 500)
    if not name:
        raise MasterDataError("an employee without a name cannot be sent to QuickBooks")
    payload = {"DisplayName": name}
    payload.update(_split_person_name(values.get("name")))
    payload.update(_without_empty({
        "PrimaryEmailAddr": {"Address": values["email"]} if values.get("email") else None,
        "PrimaryPhone": {"FreeFormNumber": values["phone"]} if values.get("phone") else None,
        "Mobile": {"FreeFormNumber": values["mobile"]} if values.get("mobile") else None,
    }))
    return payload


def employee_values(doc):
    """Return Odoo employee values from a QuickBooks Employee."""
    name = doc.get("DisplayName") or " ".join(
        filter(None, (doc.get("GivenName"), doc.get("FamilyName"))))
    return _without_empty({
        "name": name,
        "work_email": (doc.get("PrimaryEmailAddr") or {}).get("Address"),
        "work_phone": (doc.get("PrimaryPhone") or {}).get("FreeFormNumber"),
        "mobile_phone": (doc.get("Mobile") or {}).get("FreeFormNumber"),
    })


# === PRODUCTS (Item) === #

def product_payload(values, income_account_id, expense_account_id=None):
    """Return the QuickBooks Item JSON (Service or NonInventory) for an Odoo product.

    :param dict values: name, default_code, type (service/consu), list_price, standard_price,
        description, purchase_ok
    :param str income_account_id: the QuickBooks income account (required by QuickBooks)
    :param str expense_account_id: the QuickBooks expense account for purchased products
    """
    name = clean_name(values.get("name"), 100, forbidden=":")
    if not name:
        raise MasterDataError("a product without a name cannot be sent to QuickBooks")
    if not income_account_id:
        raise MasterDataError("no QuickBooks income account: map the product's income account or "
                              "set a default income account in the QuickBooks settings")
    payload = {
        "Name": name,
        "Type": "Service" if values.get("type") == "service" else "NonInventory",
        "IncomeAccountRef": ref(income_account_id),
        "UnitPrice": values.get("list_price") or 0,
    }
    if values.get("default_code"):
        payload["Sku"] = values["default_code"][:100]
    if values.get("description"):
        payload["Description"] = values["description"][:4000]
    if expense_account_id and values.get("purchase_ok", True):
        payload["ExpenseAccountRef"] = ref(expense_account_id)
        payload["PurchaseCost"] = values.get("standard_price") or 0
    return payload


def product_values(doc):
    """Return Odoo product values from a QuickBooks Item (income/expense account ids kept as QBO ids)."""
    return _without_empty({
        "name": doc.get("Name"),
        "default_code": doc.get("Sku"),
        "type": "service" if doc.get("Type") == "Service" else "consu",
        "list_price": doc.get("UnitPrice"),
        "standard_price": doc.get("PurchaseCost"),
        "description_sale": doc.get("Description"),
        "qbo_income_account_id": (doc.get("IncomeAccountRef") or {}).get("value"),
        "qbo_expense_account_id": (doc.get("ExpenseAccountRef") or {}).get("value"),
    })


# === ACCOUNTS === #

def account_payload(values):
    """Return the QuickBooks Account JSON for an Odoo account (name, code, account_type)."""
    name = clean_name(values.get("name"), 100, forbidden='":')
    if not name:
        raise MasterDataError("an account without a name cannot be sent to QuickBooks")
    account_type = ODOO_TO_QBO_ACCOUNT_TYPE.get(values.get("account_type"))
    if not account_type:
        raise MasterDataError("the account type %s has no QuickBooks equivalent" % values.get("account_type"))
    payload = {"Name": name, "AccountType": account_type}
    if values.get("code"):
        payload["AcctNum"] = values["code"][:20]
    return payload


def account_values(doc):
    """Return Odoo account values from a QuickBooks Account (``code`` may be missing)."""
    account_type = QBO_TO_ODOO_ACCOUNT_TYPE.get(doc.get("AccountType"))
    if not account_type:
        raise MasterDataError("the QuickBooks account type %s has no Odoo equivalent" % doc.get("AccountType"))
    return _without_empty({
        "name": doc.get("Name"),
        "code": doc.get("AcctNum"),
        "account_type": account_type,
    })


# === PAYMENT TERMS === #

def term_payload(values):
    """Return the QuickBooks Term JSON for an Odoo payment term.

    :param dict values: name, lines (list of dicts value, value_amount, delay_type, nb_days),
        early_discount, discount_percentage, discount_days
    :raise MasterDataError: for terms QuickBooks cannot express (installments, end-of-month rules)
    """
    lines = values.get("lines") or []
    if len(lines) != 1 or lines[0].get("value") != "percent" or lines[0].get("value_amount") != 100:
        raise MasterDataError("QuickBooks terms have a single due date: payment terms with "
                              "installments cannot be sent")
    if lines[0].get("delay_type", "days_after") != "days_after":
        raise MasterDataError("QuickBooks terms count days after the invoice date only")
    payload = {"Name": clean_name(values.get("name"), 31), "DueDays": int(lines[0].get("nb_days") or 0)}
    if values.get("early_discount"):
        payload["DiscountPercent"] = values.get("discount_percentage") or 0
        payload["DiscountDays"] = int(values.get("discount_days") or 0)
    return payload


def term_values(doc):
    """Return Odoo payment term values (``line_days`` = due days) from a STANDARD QuickBooks Term."""
    if doc.get("DueDays") is None:
        raise MasterDataError("only QuickBooks terms with a number of due days can be imported")
    values = {"name": doc.get("Name"), "line_days": int(doc["DueDays"])}
    if doc.get("DiscountPercent"):
        values.update(early_discount=True, discount_percentage=doc["DiscountPercent"],
                      discount_days=int(doc.get("DiscountDays") or 0))
    return values


# === PAYMENT METHODS === #

def payment_method_payload(values):
    """Return the QuickBooks PaymentMethod JSON for an Odoo journal (name, type)."""
    name = clean_name(values.get("name"), 31)
    if not name:
        raise MasterDataError("a journal without a name cannot be sent to QuickBooks")
    return {"Name": name, "Type": "CREDIT_CARD" if values.get("type") == "credit" else "NON_CREDIT_CARD"}


# === NAME MATCHING (automatch and duplicate prevention) === #

def normalize_name(name):
    """Return a comparable form of a name: no accents, case, punctuation or legal suffix.

    ``"Café  Dupont, Inc."`` and ``"CAFE DUPONT INC"`` both give ``"cafe dupont"``.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = text.replace("&", " and ")
    tokens = re.sub(r"[^\w]+", " ", text).split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def _normalize_key(value):
    return " ".join((value or "").split()).casefold() or None


def _digits(text):
    return re.findall(r"\d+", text)


def _tokens_compatible(left, right):
    """Return whether every word of the shorter name has a look-alike in the other name.

    Keeps typos ("Smith"/"Smyth") and rejects different words ("North"/"South").
    """
    short, long_ = sorted((left.split(), right.split()), key=len)
    for token in short:
        best = max((difflib.SequenceMatcher(None, token, other).ratio() for other in long_), default=0)
        if best < TOKEN_SIMILARITY:
            return False
    return True


def similarity(left, right):
    """Return the similarity (0-100) of two normalized names, word order ignored."""
    if not left or not right:
        return 0
    if _digits(left) != _digits(right) or not _tokens_compatible(left, right):
        return 0
    direct = difflib.SequenceMatcher(None, left, right).ratio()
    sorted_ = difflib.SequenceMatcher(None, " ".join(sorted(left.split())), " ".join(sorted(right.split()))).ratio()
    return int(max(direct, sorted_) * 100 + 1e-9)


def _unique_keys(cards, getter):
    counts = Counter(key for key in map(getter, cards) if key)
    return {getter(card): card for card in cards if getter(card) and counts[getter(card)] == 1}


EXACT_RULES = (
    ("reference", lambda card: _normalize_key(card.get("ref"))),
    ("email", lambda card: _normalize_key(card.get("email"))),
    ("name", lambda card: normalize_name(card.get("name")) or None),
)

Proposal = namedtuple("Proposal", "odoo_id qbo_id score reason")


def exact_matches(odoo_cards, qbo_cards):
    """Return the pairs found by an exact rule: same reference, then same email, then same name.

    A key shared by several records on one side is ambiguous and proposes nothing.

    :param list odoo_cards: dicts with id, name, email, ref
    :param list qbo_cards: dicts with id, name, email, ref
    :rtype: list of :class:`Proposal`
    """
    proposals = []
    odoo_left, qbo_left = list(odoo_cards), list(qbo_cards)
    for reason, getter in EXACT_RULES:
        odoo_keys, qbo_keys = _unique_keys(odoo_left, getter), _unique_keys(qbo_left, getter)
        paired_odoo, paired_qbo = set(), set()
        for key, odoo_card in odoo_keys.items():
            qbo_card_ = qbo_keys.get(key)
            if qbo_card_:
                proposals.append(Proposal(odoo_card["id"], qbo_card_["id"], 100, reason))
                paired_odoo.add(odoo_card["id"])
                paired_qbo.add(qbo_card_["id"])
        odoo_left = [card for card in odoo_left if card["id"] not in paired_odoo]
        qbo_left = [card for card in qbo_left if card["id"] not in paired_qbo]
    return proposals


def fuzzy_matches(odoo_cards, qbo_cards, threshold=DEFAULT_THRESHOLD):
    """Return one-to-one pairs of similar names scoring at least ``threshold``, best first.

    Only names with the same numbers and a compatible length are compared, and cheap upper
    bounds of the similarity skip most pairs before the full comparison.

    :rtype: list of :class:`Proposal`
    """
    cutoff = threshold / 100.0
    buckets = {}
    for card in qbo_cards:
        name = normalize_name(card.get("name"))
        if name:
            buckets.setdefault(tuple(_digits(name)), []).append((len(name), name, card["id"]))
    for bucket in buckets.values():
        bucket.sort(key=lambda item: item[0])
    scored = []
    for card in odoo_cards:
        name = normalize_name(card.get("name"))
        bucket = buckets.get(tuple(_digits(name))) if name else None
        if not bucket:
            continue
        lengths = [length for length, _name, _id in bucket]
        # ratio() <= 2*min/(la+lb): only names of a compatible length can reach the cutoff
        low = bisect.bisect_left(lengths, int(len(name) * cutoff / (2 - cutoff)))
        high = bisect.bisect_right(lengths, int(len(name) * (2 - cutoff) / cutoff) + 1)
        matcher = difflib.SequenceMatcher(None, b=name)
        for _length, qbo_name, qbo_id in bucket[low:high]:
            matcher.set_seq1(qbo_name)
            # both bounds hold for any word order, so they also bound similarity()
            if matcher.quick_ratio() < cutoff:
                continue
            score = similarity(name, qbo_name)
            if score >= threshold:
                scored.append((score, card["id"], qbo_id))
    scored.sort(key=lambda item: (-item[0], str(item[1]), str(item[2])))
    used_odoo, used_qbo, proposals = set(), set(), []
    for score, odoo_id, qbo_id in scored:
        if odoo_id in used_odoo or qbo_id in used_qbo:
            continue
        used_odoo.add(odoo_id)
        used_qbo.add(qbo_id)
        proposals.append(Proposal(odoo_id, qbo_id, score, "similar"))
    return proposals


def propose_pairs(odoo_cards, qbo_cards, threshold=DEFAULT_THRESHOLD):
    """Return automatch proposals: exact rules first, then similar names above ``threshold``.

    :param list odoo_cards: unlinked Odoo records (dicts id, name, email, ref)
    :param list qbo_cards: unlinked QuickBooks records (dicts id, name, email, ref)
    :param int threshold: the minimum similarity (0-100) for a fuzzy pair
    :rtype: list of :class:`Proposal`
    """
    if not 0 < threshold <= 100:
        raise MasterDataError("the automatch threshold must be between 1 and 100")
    exact = exact_matches(odoo_cards, qbo_cards)
    paired_odoo = {proposal.odoo_id for proposal in exact}
    paired_qbo = {proposal.qbo_id for proposal in exact}
    fuzzy = fuzzy_matches(
        [card for card in odoo_cards if card["id"] not in paired_odoo],
        [card for card in qbo_cards if card["id"] not in paired_qbo],
        threshold,
    )
    return exact + fuzzy


def query_literal(value):
    """Return ``value`` quoted for a QuickBooks query (``'`` escaped with a backslash)."""
    return "'%s'" % str(value).replace("\\", "\\\\").replace("'", "\\'")


class SyncSummary:
    """What a master-data action did, counted for the message the user gets."""

    def __init__(self):
        self.linked = 0
        self.created = 0
        self.imported = 0
        self.unlinked = 0
        self.errors = []  # (record label, message)
        self.notes = []  # messages the user must read (renamed records, inactive links)

    def add_error(self, label, message):
        self.errors.append((label, str(message)))
