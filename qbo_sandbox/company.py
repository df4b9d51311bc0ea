"""One QuickBooks Online company: preferences, the entity store, Ids and SyncTokens, the requestid
replay cache and the change history (for CDC and webhooks).

The store keeps each record as the JSON-ready dict QBO would return, without ``domain`` and
``sparse`` (added on the way out). Numbers with a fraction are ``Decimal``. Ids are strings of
integers, except the US line pseudo tax codes ``TAX`` and ``NON``.
"""
import bisect
import copy
import threading
from collections import OrderedDict, deque
from datetime import date, datetime, timedelta, timezone

from . import jsonutil, seed

PREFERENCE_DEFAULTS = {
    "custom_txn_numbers": True,   # Preferences.SalesFormsPrefs.CustomTxnNumbers
    "multicurrency": False,       # Preferences.CurrencyPrefs.MultiCurrencyEnabled
    "sales_tax": True,            # Preferences.TaxPrefs.UsingSalesTax
    "projects_enabled": True,     # Preferences.OtherPrefs "ProjectsEnabled"
    "closed_before": None,        # a transaction dated before it is refused (6210); BookCloseDate = the day before
}
# Transactions share one Id sequence, as QBO's TxnIds do; each name list has its own.
TRANSACTION_SEQUENCE = frozenset({
    "Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt", "Estimate", "Bill", "VendorCredit", "Payment",
    "BillPayment", "Purchase", "PurchaseOrder", "Deposit", "JournalEntry", "Transfer", "TimeActivity",
})
REPLAY_LIMIT = 10000  # requestids remembered per company (oldest forgotten first)
REQUEST_LOG_LIMIT = 1000  # API requests kept in ``Company.requests`` (oldest forgotten first)
# The fields ``find`` looks records up by (transactions.py: balances, links, DocNumber rules). A
# value is the string of a reference's ``value`` or of the field itself; ``Line.LinkedTxn`` gives
# ``(TxnType, TxnId)`` for each link of the lines, ``LinkedTxn`` for each link of the document.
INDEXED_FIELDS = {
    "Customer": ("ParentRef",),
    "Invoice": ("CustomerRef", "DocNumber", "LinkedTxn"),
    "Estimate": ("DocNumber",),
    "CreditMemo": ("CustomerRef", "DocNumber"),
    "SalesReceipt": ("DocNumber",),
    "RefundReceipt": ("DocNumber",),
    "Payment": ("CustomerRef", "Line.LinkedTxn"),
    "Bill": ("VendorRef", "DocNumber"),
    "VendorCredit": ("VendorRef", "DocNumber"),
    "BillPayment": ("VendorRef", "DocNumber", "Line.LinkedTxn"),
    "Purchase": ("DocNumber",),
    "JournalEntry": ("DocNumber",),
    "Deposit": ("Line.LinkedTxn",),
}


def parse_offset(text):
    """Return the ``timezone`` of a fixed UTC offset such as ``-08:00`` or ``+05:30``."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _index_values(doc, field):
    """Return the set of values ``doc`` is found by under an indexed ``field``."""
    if field == "Line.LinkedTxn":
        return {(str(link.get("TxnType")), str(link.get("TxnId")))
                for line in doc.get("Line") or [] for link in line.get("LinkedTxn") or []}
    if field == "LinkedTxn":
        return {(str(link.get("TxnType")), str(link.get("TxnId"))) for link in doc.get("LinkedTxn") or []}
    value = doc.get(field)
    if isinstance(value, dict):
        value = value.get("value")
    return set() if value is None or value == "" else {str(value)}


def as_date(value):
    """Return a ``date`` from a date, an ISO date string or None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class Company:
    """A QBO company (realm) with its records.

    :param str realm_id: the realm id
    :param str name: CompanyInfo.CompanyName
    :param clock: the ``SandboxClock``
    :param str country: ISO 2-letter country (``US`` uses the US sales tax model)
    :param str home_currency: ISO code; by default the country's currency
    :param str utc_offset: the company's fixed UTC offset for MetaData times (default by country)
    :param bool explicit_tax: honour a ``TxnTaxDetail.TotalTax`` a request imposes (Intuit's documented
        behaviour); False makes the sandbox ignore it and compute the tax itself, as developers report
        QuickBooks doing (https://stackoverflow.com/questions/19300885): a sandbox switch, not a
        QuickBooks preference, kept in ``explicit_tax`` (tests may change it at any time)
    :param preferences: ``PREFERENCE_DEFAULTS`` keys
    """

    def __init__(self, realm_id, name, clock, country="US", home_currency=None, utc_offset=None,
                 explicit_tax=True, **preferences):
        unknown = set(preferences) - set(PREFERENCE_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown company preferences: {', '.join(sorted(unknown))}")
        settings = dict(PREFERENCE_DEFAULTS, **preferences)
        settings["closed_before"] = as_date(settings["closed_before"])
        country = country.upper()
        currency, _country3, offset, _address = seed.country_defaults(country)
        self._setup(realm_id, name, clock, country, home_currency or currency, utc_offset or offset)
        self.explicit_tax = bool(explicit_tax)
        seed.seed(self, settings)

    def _setup(self, realm_id, name, clock, country, home_currency, utc_offset):
        self.realm_id = str(realm_id)
        self._initial_name = name
        self.clock = clock
        self.country = country
        self.home_currency = home_currency
        self.utc_offset = utc_offset
        self.tz = parse_offset(utc_offset)
        self.lock = threading.RLock()
        self._records = {}     # entity -> {Id: doc}
        self._counters = {}    # sequence -> last Id
        self._deleted = {}     # entity -> {Id: tombstone}
        self._replies = OrderedDict()  # requestid -> (status, headers, body bytes)
        self.history = []      # (aware datetime, entity, Id, operation)
        self._index = {}       # (entity, field) -> {value: {Id: None}} (INDEXED_FIELDS)
        self._indexed = {}     # (entity, Id) -> {(field, value)} the record is indexed under
        self._numbers = {}     # (entity, field) -> sorted ints of its digit-only values
        # The API requests received, for tests to check what a client asked (not saved):
        # {"method", "path" (below /v3/company/{realm}/), "args" (query string), "body" (text)}.
        self.requests = deque(maxlen=REQUEST_LOG_LIMIT)

    # ---- Company settings read from CompanyInfo and Preferences ----

    @property
    def name(self):
        info = self.get("CompanyInfo", "1")
        return info["CompanyName"] if info else self._initial_name

    def _prefs(self):
        return self.get("Preferences", "1") or {}

    @property
    def custom_txn_numbers(self):
        return bool(self._prefs().get("SalesFormsPrefs", {}).get("CustomTxnNumbers"))

    @property
    def multicurrency(self):
        return bool(self._prefs().get("CurrencyPrefs", {}).get("MultiCurrencyEnabled"))

    @property
    def sales_tax(self):
        return bool(self._prefs().get("TaxPrefs", {}).get("UsingSalesTax"))

    @property
    def projects_enabled(self):
        values = self._prefs().get("OtherPrefs", {}).get("NameValue", [])
        return any(item.get("Name") == "ProjectsEnabled" and item.get("Value") == "true" for item in values)

    @property
    def closed_before(self):
        close_date = self._prefs().get("AccountingInfoPrefs", {}).get("BookCloseDate")
        return as_date(close_date) + timedelta(days=1) if close_date else None

    @property
    def preferences(self):
        """The switches as a dict (``PREFERENCE_DEFAULTS`` keys)."""
        return {key: getattr(self, key) for key in PREFERENCE_DEFAULTS}

    def configure(self, **preferences):
        """Switch preferences (``PREFERENCE_DEFAULTS`` keys) as a QBO admin would in the UI.

        The Preferences record gets a new version (SyncToken, LastUpdatedTime, an Update change).
        """
        unknown = set(preferences) - set(PREFERENCE_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown company preferences: {', '.join(sorted(unknown))}")
        with self.lock:
            settings = dict(self.preferences, **preferences)
            settings["closed_before"] = as_date(settings["closed_before"])
            prefs = copy.deepcopy(self.get("Preferences", "1"))
            seed.apply_switches(prefs, settings)
            self.touch("Preferences", prefs)

    def record_request(self, method, path, args, body):
        """Add an API request to ``requests`` (``body``: bytes, kept as text)."""
        with self.lock:
            self.requests.append({"method": method, "path": path, "args": dict(args),
                                  "body": body.decode("utf-8", "replace")})

    def queries(self, entity=None):
        """Return the query statements received (those reading ``entity`` only, when given), oldest first."""
        with self.lock:
            statements = [request["args"].get("query") or request["body"] for request in self.requests
                          if request["path"] == "query"]
        if entity is None:
            return statements
        return [statement for statement in statements if f" from {entity.lower()} " in f"{statement.lower()} "]

    # ---- Time ----

    def now(self):
        """The sandbox time in the company's time zone."""
        return self.clock.now().astimezone(self.tz)

    def stamp(self, moment=None):
        """A MetaData time as QBO writes it: ``2015-07-24T10:35:08-07:00``."""
        return (moment or self.clock.now()).astimezone(self.tz).replace(microsecond=0).isoformat()

    def response_time(self):
        """The ``time`` of a response: milliseconds and the company's offset."""
        return self.now().isoformat(timespec="milliseconds")

    # ---- Store API (shared with transactions.py, seeding and tests) ----

    def get(self, entity, entity_id):
        """Return the stored record (the live dict), or None when unknown or deleted."""
        if entity_id is None:
            return None
        return self._records.get(entity, {}).get(str(entity_id))

    def all(self, entity):
        """Return the stored records of an entity (live dicts, in Id order of creation)."""
        return list(self._records.get(entity, {}).values())

    def find(self, entity, field, value):
        """Return the stored records of ``entity`` whose ``field`` (``INDEXED_FIELDS``) has ``value``.

        The index follows ``store`` and ``remove``: a field changed in place counts from the
        record's next ``store`` or ``touch``.
        """
        if field not in INDEXED_FIELDS.get(entity, ()):
            raise KeyError(f"{entity}.{field} is not indexed")
        records = self._records.get(entity, {})
        return [records[record_id] for record_id in self._index.get((entity, field), {}).get(value, ())]

    def largest_number(self, entity, field):
        """Return the largest integer among the digit-only values of an indexed field, or None."""
        numbers = self._numbers.get((entity, field))
        return numbers[-1] if numbers else None

    def add(self, entity, doc):
        """Store a new record as given (seeding, demo and test data; no validation).

        Gives it an Id when it has none, SyncToken ``0`` and MetaData; records a Create change.
        :return: the stored record
        """
        with self.lock:
            doc = copy.deepcopy(doc)
            if doc.get("Id") is None:
                doc["Id"] = self.next_id(entity)
            else:
                doc["Id"] = str(doc["Id"])
                self._claim_id(entity, doc["Id"])
            if self.get(entity, doc["Id"]) is not None:
                raise ValueError(f"{entity} {doc['Id']} already exists")
            stamp = self.stamp()
            doc["SyncToken"] = "0"
            doc["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            self.store(entity, doc, "Create")
            return doc

    def touch(self, entity, doc, operation="Update"):
        """Store ``doc`` as the new version of an existing record: SyncToken + 1, LastUpdatedTime
        now, and a change recorded. ``doc`` may be the live dict itself.

        :return: the stored record
        """
        with self.lock:
            current = self.get(entity, doc["Id"])
            if current is None:
                raise KeyError(f"{entity} {doc['Id']} does not exist")
            doc["SyncToken"] = str(int(current["SyncToken"]) + 1)
            doc["MetaData"] = dict(current.get("MetaData") or {}, LastUpdatedTime=self.stamp())
            self.store(entity, doc, operation)
            return doc

    # ---- Used by accounting.py ----

    def next_id(self, entity):
        """Return the next free Id (a string) for a new record of ``entity``."""
        sequence = "Transaction" if entity in TRANSACTION_SEQUENCE else entity
        self._counters[sequence] = self._counters.get(sequence, 0) + 1
        return str(self._counters[sequence])

    def _claim_id(self, entity, entity_id):
        if entity_id.isdigit():
            sequence = "Transaction" if entity in TRANSACTION_SEQUENCE else entity
            self._counters[sequence] = max(self._counters.get(sequence, 0), int(entity_id))

    def store(self, entity, doc, operation):
        """Put a complete record (Id, SyncToken, MetaData set) in the store and record the change."""
        self._records.setdefault(entity, {})[doc["Id"]] = doc
        self._reindex(entity, doc["Id"])
        self.record_change(entity, doc["Id"], operation)

    def remove(self, entity, entity_id):
        """Delete a record for good, keeping a tombstone (``status: Deleted``) for CDC."""
        self._records[entity].pop(entity_id)
        self._reindex(entity, entity_id)
        self._deleted.setdefault(entity, {})[entity_id] = {
            "Id": entity_id, "status": "Deleted", "domain": "QBO",
            "MetaData": {"LastUpdatedTime": self.stamp()},
        }
        self.record_change(entity, entity_id, "Delete")

    def deleted(self, entity, entity_id):
        """Return the tombstone of a deleted record, or None."""
        return self._deleted.get(entity, {}).get(str(entity_id))

    def record_change(self, entity, entity_id, operation):
        """Append ``(time, entity, Id, operation)`` to the change history."""
        self.history.append((self.clock.now(), entity, entity_id, operation))

    def _reindex(self, entity, entity_id):
        """Bring the indexes in line with the stored record of that Id, or with its absence."""
        fields = INDEXED_FIELDS.get(entity)
        if not fields:
            return
        record = self.get(entity, entity_id)
        new = {(field, value) for field in fields for value in _index_values(record, field)} if record else set()
        old = self._indexed.pop((entity, entity_id), set())
        for field, value in old - new:
            index = self._index[(entity, field)]
            del index[value][entity_id]
            if not index[value]:
                del index[value]
                if isinstance(value, str) and value.isdecimal():
                    numbers = self._numbers[(entity, field)]
                    del numbers[bisect.bisect_left(numbers, int(value))]
        for field, value in new - old:
            ids = self._index.setdefault((entity, field), {}).setdefault(value, {})
            if not ids and isinstance(value, str) and value.isdecimal():
                bisect.insort(self._numbers.setdefault((entity, field), []), int(value))
            ids[entity_id] = None
        if new:
            self._indexed[(entity, entity_id)] = new

    def snapshot(self, entities, reachable):
        """Return a copy of what a write may change, for ``restore`` if it fails half-way.

        Each entity's Id -> record map is copied, which is cheap: a write replaces the records it
        changes (``store``, ``touch``, ``remove``) but for the customer and vendor balances it sets
        in place, so only the records in ``reachable`` (``(entity, Id)`` pairs, those balances
        included) are deep-copied. Tombstones are never changed in place.
        """
        records = {entity: dict(self._records.get(entity, {})) for entity in entities}
        for entity, record_id in reachable:
            if record_id in records.get(entity, ()):
                records[entity][record_id] = copy.deepcopy(records[entity][record_id])
        deleted = {entity: dict(tombstones) for entity, tombstones in self._deleted.items()}
        return records, dict(self._counters), deleted, len(self.history)

    def restore(self, snapshot):
        """Put back the state saved by ``snapshot``; the records changed since (the history after
        it) are indexed again."""
        records, counters, deleted, history_length = snapshot
        changed = {(entity, entity_id) for _moment, entity, entity_id, _operation in self.history[history_length:]}
        self._records.update(records)
        self._counters = counters
        self._deleted = deleted
        del self.history[history_length:]
        for entity, entity_id in changed:
            self._reindex(entity, entity_id)

    def reply_for(self, request_id):
        """Return the response stored for a requestid, or None."""
        return self._replies.get(request_id)

    def remember_reply(self, request_id, response):
        """Keep ``(status, headers, body)`` to replay for this requestid."""
        self._replies[request_id] = response
        while len(self._replies) > REPLAY_LIMIT:
            self._replies.popitem(last=False)

    # ---- Persistence ----

    def to_dict(self):
        """Return the company as a JSON-ready dict (amounts as JSON numbers)."""
        with self.lock:
            return {
                "realm_id": self.realm_id,
                "name": self._initial_name,
                "country": self.country,
                "home_currency": self.home_currency,
                "utc_offset": self.utc_offset,
                "explicit_tax": self.explicit_tax,
                "records": jsonutil.plain(self._records),
                "counters": dict(self._counters),
                "deleted": copy.deepcopy(self._deleted),
                "replies": [[request_id, status, headers, body.decode("utf-8")]
                            for request_id, (status, headers, body) in self._replies.items()],
                "history": [[moment.isoformat(), entity, entity_id, operation]
                            for moment, entity, entity_id, operation in self.history],
            }

    @classmethod
    def from_dict(cls, data, clock):
        """Rebuild a company saved by ``to_dict``."""
        company = cls.__new__(cls)
        company._setup(data["realm_id"], data["name"], clock, data["country"], data["home_currency"],
                       data["utc_offset"])
        company.explicit_tax = data.get("explicit_tax", True)
        company._records = jsonutil.revive(data["records"])
        for entity, records in company._records.items():
            for record_id in records:
                company._reindex(entity, record_id)
        company._counters = dict(data["counters"])
        company._deleted = data["deleted"]
        for request_id, status, headers, body in data["replies"]:
            company._replies[request_id] = (status, headers, body.encode("utf-8"))
        company.history = [(datetime.fromisoformat(moment), entity, entity_id, operation)
                           for moment, entity, entity_id, operation in data["history"]]
        return company
