"""The Accounting API v3 under ``/v3/company/{realmId}/`` once the bearer token is checked.

Create, read, full and sparse update, delete and void of each entity, ``query``, ``batch``,
``companyinfo``, ``preferences`` and ``taxservice/taxcode``; the requestid replay; Id, SyncToken and
MetaData; ``cdc`` (``cdc.py``). Name-list rules live in ``entities.py``, transaction rules in ``transactions.py``.
Sources: shared/qbo_api.md sections 2, 4 and 9.
"""
import copy
import sys
import traceback

from . import cdc, entities, jsonutil, query, reports, send, transactions
from .faults import JSON, QboFault
from .tax import ref_value

MAX_REQUEST_ID = 50
MAX_BATCH_ITEMS = 30
# Void as Intuit documents it: invoice?operation=void; the others with operation=update&include=void.
VOID_BY_OPERATION = {"Invoice"}
VOID_BY_INCLUDE = {"Payment", "SalesReceipt", "BillPayment"}
NOT_FOUND_DETAIL = ("Object Not Found : Something you're trying to use has been made inactive. "
                    "Check the fields with accounts, customers, items, vendors or employees.")
DELETED_DETAIL = "Object Not Found : Another user has deleted this transaction."
COMPANY_INFO_WRITABLE = {"CompanyName", "LegalName", "CompanyAddr", "CustomerCommunicationAddr", "LegalAddr",
                         "PrimaryPhone", "Email", "WebAddr", "FiscalYearStartMonth"}
COMPANY_INFO_READ_ONLY = {"Country", "CompanyStartDate", "SupportedLanguages", "NameValue", "DefaultTimeZone"}
# What a transaction write may change: restored when it fails half-way (_guarded).
GUARDED_ENTITIES = frozenset(entities.PEOPLE) | transactions.TRANSACTION_ENTITIES
# Which of GUARDED_ENTITIES a reference may name (_references): none for the name lists a
# transaction write never changes (nor for any ...AccountRef); all for a reference not listed.
REF_ENTITIES = {
    "CustomerRef": ("Customer",), "ProjectRef": ("Customer",), "VendorRef": ("Vendor",), "EntityRef": entities.PEOPLE,
    "EmployeeRef": (), "ItemRef": (), "ClassRef": (), "DepartmentRef": (), "TaxCodeRef": (), "TxnTaxCodeRef": (),
    "TaxRateRef": (), "SalesTermRef": (), "PaymentMethodRef": (), "CurrencyRef": (),
}
LINK_ENTITIES = {"BillPaymentCheck": "BillPayment", "BillPaymentCreditCard": "BillPayment"}  # LinkedTxn.TxnType
PREFERENCE_GROUPS = {"AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs", "EmailMessagesPrefs",
                     "VendorAndPurchasesPrefs", "TimeTrackingPrefs", "TaxPrefs", "CurrencyPrefs", "ReportPrefs",
                     "OtherPrefs"}


def handle(company, method, subpath, args, body, content_type):
    """Answer one request to ``/v3/company/{realmId}/{subpath}``.

    :param company: the ``Company`` of the realm
    :param str method: the HTTP method
    :param str subpath: what follows the realm id, e.g. ``invoice/12`` or ``query``
    :param dict args: query-string values (single values)
    :param bytes body: the raw request body
    :param str content_type: the request's Content-Type
    :return: ``(status, headers, body_bytes)``; never raises
    """
    try:
        with company.lock:
            request_id = args.get("requestid")
            if request_id is not None:
                if len(request_id) > MAX_REQUEST_ID:
                    raise QboFault("6000", "Business Validation Error: You cannot enter more than 50 characters in "
                                           f"the request_id field. You tried entering {request_id[:10]}..., which "
                                           f"is {len(request_id)} characters.")
                replay = company.reply_for(request_id)
                if replay is not None:
                    return replay
            try:
                response = _route(company, method, subpath.strip("/"), args, body)
            except QboFault as fault:
                response = fault_response(company, fault)
            if request_id is not None:
                company.remember_reply(request_id, response)
            return response
    except QboFault as fault:
        return fault_response(company, fault)
    except Exception:  # a sandbox bug must still answer like Intuit: a 500 SystemFault
        traceback.print_exc(file=sys.stderr)
        return fault_response(company, system_fault())


def create(company, entity, doc):
    """Create a record through the API rules without HTTP (seeding tests and demos).

    :return: the stored record
    :raise QboFault: when QBO would refuse it
    """
    with company.lock:
        return save(company, entity, {key: value for key, value in doc.items() if key not in ("Id", "SyncToken")})


def render(doc):
    """A stored record as the API answers with it."""
    return dict(doc, domain="QBO", sparse=False)


def fault_response(company, fault):
    """``(status, headers, body)`` of an Intuit fault, timed by the company clock."""
    body = fault.body()
    body["time"] = company.response_time()
    return fault.status, {"Content-Type": JSON}, jsonutil.dumps(body)


def system_fault():
    return QboFault("10000", "System Failure Error: An unexpected error occurred while accessing or saving your "
                             "data. Please wait a few minutes and try again.", fault_type="SystemFault")


# ---- Routing ----

def _route(company, method, subpath, args, body):
    _check_minor_version(args)
    parts = subpath.split("/") if subpath else []
    if method not in ("GET", "POST"):
        raise QboFault("500", f"Method {method} is not supported.", status=405)
    head = parts[0] if parts else ""
    if head == "query" and len(parts) == 1:
        text = args.get("query") if method == "GET" else _text(body) or args.get("query")
        return _ok(company, {"QueryResponse": run_query(company, text or "")})
    if head == "cdc" and len(parts) == 1 and method == "GET":
        return _ok(company, {"CDCResponse": cdc.run(company, args, _known_entities(), render)})
    if head == "reports" and len(parts) == 2 and method == "GET":
        return reports.run(company, parts[1], args)
    if head == "batch" and len(parts) == 1 and method == "POST":
        return _ok(company, {"BatchItemResponse": _batch(company, _json_body(body))})
    if head == "companyinfo":
        return _company_info(company, method, parts, body)
    if head == "preferences" and len(parts) == 1:
        if method == "POST":
            return _entity_ok(company, "Preferences", _update_preferences(company, _json_body(body)))
        return _entity_ok(company, "Preferences", company.get("Preferences", "1"))
    if parts == ["taxservice", "taxcode"] and method == "POST":
        return _ok(company, entities.create_tax_code(company, entities.clean(_json_body(body))))
    entity = _entity_of(head)
    if entity and method == "POST" and len(parts) == 3 and parts[2] == "send":
        return _entity_ok(company, entity, send.send(company, entity, parts[1], args.get("sendTo")))
    if entity and method == "GET" and len(parts) == 2:
        return _entity_ok(company, entity, _read(company, entity, parts[1]))
    if entity and method == "POST" and len(parts) == 1:
        return _write(company, entity, args, _json_body(body))
    raise QboFault("500", f"Could not find resource for relative : /v3/company/{company.realm_id}/{subpath}")


def _check_minor_version(args):
    """``minorversion`` is optional; values below 75 are answered as 75 (Intuit's 2025 policy)."""
    value = args.get("minorversion")
    if value is not None and not value.isdigit():
        raise QboFault("2010", f"Request has invalid or unsupported property : minorversion={value}",
                       "minorversion")


def _entity_of(segment):
    """The entity an URL segment names (lower-case, as Intuit's paths), or None."""
    for entity in _known_entities():
        if entity.lower() == segment:
            return entity
    return None


def _known_entities():
    return set(entities.NAME_LISTS) | transactions.TRANSACTION_ENTITIES


def _ok(company, payload):
    payload["time"] = company.response_time()
    return 200, {"Content-Type": JSON}, jsonutil.dumps(payload)


def _entity_ok(company, entity, doc):
    return _ok(company, {entity: render(doc)})


def _text(body):
    try:
        return body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise QboFault("500", "Unsupported Operation: the request body is not valid UTF-8.") from None


def _json_body(body):
    text = _text(body)
    try:
        data = jsonutil.loads(text)
    except ValueError:
        raise QboFault("2010", "Property Name:Failed to parse json object; specified is unsupported or invalid") \
            from None
    if not isinstance(data, dict):
        raise QboFault("2010", "Property Name:Failed to parse json object; specified is unsupported or invalid")
    return data


# ---- Entities ----

def _read(company, entity, entity_id):
    doc = company.get(entity, entity_id)
    if doc is None:
        deleted = company.deleted(entity, entity_id)
        raise QboFault("610", DELETED_DETAIL if deleted else NOT_FOUND_DETAIL)
    return doc


def _include(args):
    return tuple(value.strip() for value in (args.get("include") or "").split(",") if value.strip())


def _write(company, entity, args, body):
    """POST /{entity}: create, update, delete or void, as the operation parameters say."""
    operation = args.get("operation")
    include = _include(args)
    if operation == "delete":
        return _ok(company, {entity: delete(company, entity, body)})
    if operation == "void":
        if entity not in VOID_BY_OPERATION:
            raise QboFault("500", f"Operation Void is not supported for {entity} with operation=void.")
        return _entity_ok(company, entity, void(company, entity, body))
    if operation == "update" and "void" in include:
        if entity not in VOID_BY_INCLUDE:
            raise QboFault("500", f"Operation Void is not supported for {entity} with include=void.")
        return _entity_ok(company, entity, void(company, entity, body))
    if operation not in (None, "update"):
        raise QboFault("500", f"Operation {operation} is not supported.")
    if operation == "update" and _empty_id(body):
        raise QboFault("2020", "Required parameter Id is missing in the request", "Id")
    return _entity_ok(company, entity, save(company, entity, body, include))


def save(company, entity, body, include=()):
    """Create (no Id) or update (Id, SyncToken; ``sparse: true`` for a sparse update) a record.

    :return: the stored record
    """
    if entity in body:
        raise QboFault("2010", f'Property Name:Unrecognized field "{entity}" specified is unsupported or invalid',
                       entity)
    spec = entities.NAME_LISTS.get(entity)
    if spec is not None and not spec.writable:
        raise QboFault("500", f"Operation Create/Update is not supported for {entity}: use taxservice/taxcode.")
    if _empty_id(body):
        return _create(company, entity, body, include)
    return _update(company, entity, body, include)


def _empty_id(body):
    return body.get("Id") in (None, "")


def _create(company, entity, body, include):
    doc = entities.clean(entities.strip_envelope(body))
    if entity in transactions.TRANSACTION_ENTITIES:
        return _guarded(company, entity, lambda: _store_transaction(company, entity, doc, None, include), doc)
    doc = _store_new(company, entity, entities.prepare(company, entity, doc, None))
    entities.after_write(company, entity, doc)
    return doc


def _store_new(company, entity, doc):
    stamp = company.stamp()
    doc.update(Id=company.next_id(entity), SyncToken="0", MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp})
    company.store(entity, doc, "Create")
    return doc


def _current(company, entity, body):
    """The stored record a write names, after the SyncToken check (5010 when stale)."""
    previous = _read(company, entity, str(body["Id"]))
    token = body.get("SyncToken")
    if token in (None, ""):
        raise QboFault("2020", "Required parameter SyncToken is missing in the request", "SyncToken")
    if str(token) != previous["SyncToken"]:
        raise QboFault("5010", f"{entities.STALE_DETAIL} Entity={entity}", "SyncToken")
    return previous


def _update(company, entity, body, include):
    previous = _current(company, entity, body)
    if body.get("sparse") in (True, "true"):
        doc = copy.deepcopy(entities.strip_envelope(previous))
        for key, value in entities.strip_envelope(body).items():
            value = entities.clean(value)
            if value in (None, "", {}, []):
                doc.pop(key, None)
            else:
                doc[key] = value
    else:
        doc = entities.clean(entities.strip_envelope(body))
    before = copy.deepcopy(previous)
    if entity in transactions.TRANSACTION_ENTITIES:
        return _guarded(company, entity, lambda: _store_transaction(company, entity, doc, before, include), doc,
                        before)
    doc = entities.prepare(company, entity, doc, before)
    _store_version(company, entity, doc, before, "Update")
    entities.after_write(company, entity, doc, before)
    return doc


def _store_version(company, entity, doc, previous, operation):
    doc.update(Id=previous["Id"], SyncToken=str(int(previous["SyncToken"]) + 1),
               MetaData={"CreateTime": previous["MetaData"]["CreateTime"], "LastUpdatedTime": company.stamp()})
    company.store(entity, doc, operation)


def _store_transaction(company, entity, doc, previous, include):
    doc = transactions.prepare(company, entity, doc, copy.deepcopy(previous), include)
    if previous is None:
        doc = _store_new(company, entity, doc)
    else:
        _store_version(company, entity, doc, previous, "Update")
    transactions.after_write(company, entity, doc, previous)
    return doc


def _guarded(company, entity, write, *docs):
    """Run a transaction write of ``docs`` (the request and the stored version, of ``entity``); if
    anything fails half-way, the store is put back as it was."""
    snapshot = company.snapshot(GUARDED_ENTITIES, _reachable(company, entity, docs))
    try:
        return write()
    except Exception:
        company.restore(snapshot)
        raise


def _reachable(company, entity, docs):
    """Return the ``(entity, Id)`` records a write of ``docs`` can reach (``snapshot``): the documents
    themselves, the records they reference or link, and the parents of those customers, whose
    balances roll up. An Id of unknown entity stands for all ``GUARDED_ENTITIES``."""
    found = {(target, record_id) for doc in docs for targets, record_id in _references(doc, (entity,))
             if record_id is not None for target in targets}
    for customer_id in [record_id for target, record_id in found if target == "Customer"]:
        while True:
            parent_id = ref_value((company.get("Customer", customer_id) or {}).get("ParentRef"))
            if parent_id is None or ("Customer", parent_id) in found:
                break
            found.add(("Customer", parent_id))
            customer_id = parent_id
    return found


def _references(value, id_entities):
    """Yield ``(entities, Id)`` for each reference and link in a document or a part of it;
    ``id_entities``: what its own ``Id`` names (the document's entity; nothing for a line)."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item, id_entities)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Id":
                yield id_entities, ref_value(item)
            elif key == "LinkedTxn" and isinstance(item, list):
                for link in item:
                    if isinstance(link, dict):
                        yield _link_entities(link.get("TxnType")), ref_value(link.get("TxnId"))
            elif key.endswith("Ref"):
                targets = REF_ENTITIES.get(key, () if key.endswith("AccountRef") else GUARDED_ENTITIES)
                if key == "EntityRef" and isinstance(item, dict) and item.get("type") in entities.PEOPLE:
                    targets = (item["type"],)
                yield targets, ref_value(item)
            elif key in ("value", "TxnId"):
                yield GUARDED_ENTITIES, ref_value(item)
            else:
                yield from _references(item, () if key == "Line" else GUARDED_ENTITIES)


def _link_entities(txn_type):
    """The entities a ``LinkedTxn.TxnType`` may name."""
    txn_type = LINK_ENTITIES.get(txn_type, txn_type) if isinstance(txn_type, str) else None
    return (txn_type,) if txn_type in GUARDED_ENTITIES else GUARDED_ENTITIES


def delete(company, entity, body):
    """``?operation=delete``: transactions only; name lists are made inactive instead.

    :return: ``{"status": "Deleted", "domain": "QBO", "Id": ...}``
    """
    if entity not in transactions.TRANSACTION_ENTITIES:
        raise QboFault("500", f"Operation Delete is not supported for {entity}: make it inactive instead.")
    if _empty_id(body):
        raise QboFault("2020", "Required parameter Id is missing in the request", "Id")
    previous = _current(company, entity, body)

    def remove():
        transactions.before_delete(company, entity, copy.deepcopy(previous))
        company.remove(entity, previous["Id"])
    _guarded(company, entity, remove, previous)
    return {"status": "Deleted", "domain": "QBO", "Id": previous["Id"]}


def void(company, entity, body):
    """Void a transaction (amounts to zero, ``Voided`` in PrivateNote) and return it."""
    if _empty_id(body):
        raise QboFault("2020", "Required parameter Id is missing in the request", "Id")
    previous = _current(company, entity, body)

    def write():
        doc = copy.deepcopy(entities.strip_envelope(previous))
        doc["Id"] = previous["Id"]
        doc = transactions.void(company, entity, doc)
        _store_version(company, entity, doc, previous, "Void")
        return doc
    return _guarded(company, entity, write, previous)


# ---- Query ----

def run_query(company, text):
    """Run a query statement and return the ``QueryResponse`` object."""
    filterable = {entity: entities.filterable(entity, transactions.TRANSACTION_ENTITIES)
                  for entity in _known_entities() | {"CompanyInfo", "Preferences"}}
    return query.run(company, text, filterable, render)


# ---- Batch ----

def _batch(company, body):
    """Run up to 30 independent operations; each answers with its entity, query result or Fault."""
    items = body.get("BatchItemRequest")
    if items is None:
        raise QboFault("2020", "Required parameter BatchItemRequest is missing in the request", "BatchItemRequest")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise QboFault("2010", "Property Name:BatchItemRequest specified is unsupported or invalid")
    if len(items) > MAX_BATCH_ITEMS:
        raise QboFault("2010", f"Batch request has {len(items)} items: a batch holds at most {MAX_BATCH_ITEMS} "
                               "BatchItemRequest elements.", "BatchItemRequest")
    ids = [item.get("bId") for item in items]
    if any(not isinstance(bid, str) or not bid for bid in ids):
        raise QboFault("2020", "Required parameter bId is missing in the request", "bId")
    if len(set(ids)) != len(ids):
        raise QboFault("2010", "Property Name:bId must be unique within a batch", "bId")
    return [_batch_item(company, item) for item in items]


def _batch_item(company, item):
    answer = {"bId": item["bId"]}
    try:
        answer.update(_batch_operation(company, item))
    except QboFault as fault:
        answer["Fault"] = {"Error": [fault.error()], "type": fault.fault_type}
    except Exception:  # one broken item must not take the others down
        traceback.print_exc(file=sys.stderr)
        fault = system_fault()
        answer["Fault"] = {"Error": [fault.error()], "type": fault.fault_type}
    return answer


def _batch_operation(company, item):
    if "Query" in item:
        return {"QueryResponse": run_query(company, item["Query"] or "")}
    names = [key for key in item if key not in ("bId", "operation", "optionsData")]
    known = _known_entities()
    if len(names) != 1 or names[0] not in known or not isinstance(item[names[0]], dict):
        raise QboFault("2010", f"Property Name:{', '.join(names) or 'entity'} specified is unsupported or invalid")
    entity, body = names[0], item[names[0]]
    operation = item.get("operation")
    if operation == "create":
        body = {key: value for key, value in body.items() if key not in ("Id", "SyncToken")}
        return {entity: render(save(company, entity, body))}
    if operation == "update":
        if _empty_id(body):
            raise QboFault("2020", "Required parameter Id is missing in the request", "Id")
        if item.get("optionsData") == "void":
            if entity not in VOID_BY_OPERATION | VOID_BY_INCLUDE:
                raise QboFault("500", f"Operation Void is not supported for {entity}.")
            return {entity: render(void(company, entity, body))}
        return {entity: render(save(company, entity, body))}
    if operation == "delete":
        return {entity: delete(company, entity, body)}
    if operation is None:
        raise QboFault("2020", "Required parameter operation is missing in the request", "operation")
    raise QboFault("500", f"Operation {operation} is not supported.")


# ---- CompanyInfo and Preferences ----

def _company_info(company, method, parts, body):
    if method == "GET" and len(parts) == 2:
        if parts[1] != company.realm_id:
            raise QboFault("610", NOT_FOUND_DETAIL)
        return _entity_ok(company, "CompanyInfo", company.get("CompanyInfo", "1"))
    if method == "POST" and len(parts) == 1:
        return _entity_ok(company, "CompanyInfo", _update_company_info(company, _json_body(body)))
    raise QboFault("500", f"Could not find resource for relative : /v3/company/{company.realm_id}/{'/'.join(parts)}")


def _update_company_info(company, body):
    """Full or sparse update of the writable CompanyInfo fields; Country and the rest are kept."""
    body = dict(body, Id=body.get("Id") or "1")
    previous = _current(company, "CompanyInfo", body)
    incoming = entities.strip_envelope(body)
    for key in incoming:
        if key not in COMPANY_INFO_WRITABLE | COMPANY_INFO_READ_ONLY:
            raise QboFault("2010", f'Property Name:Unrecognized field "{key}" specified is unsupported or invalid',
                           key)
    doc = {key: value for key, value in previous.items() if key in COMPANY_INFO_READ_ONLY}
    if body.get("sparse") in (True, "true"):
        doc.update({key: value for key, value in previous.items() if key in COMPANY_INFO_WRITABLE})
    for key, value in incoming.items():
        if key in COMPANY_INFO_WRITABLE:
            value = entities.clean(value)
            if value in (None, "", {}, []):
                doc.pop(key, None)
            else:
                doc[key] = value
    for required in ("CompanyName", "CompanyAddr"):
        if required not in doc:
            raise QboFault("2020", f"Required parameter {required} is missing in the request", required)
    before = copy.deepcopy(previous)
    _store_version(company, "CompanyInfo", doc, before, "Update")
    return doc


def _update_preferences(company, body):
    """Update Preferences group by group (a group left out keeps its values).

    Strict: the home currency never changes and multicurrency cannot be turned off once on.
    """
    body = dict(body, Id=body.get("Id") or "1")
    previous = _current(company, "Preferences", body)
    doc = copy.deepcopy(entities.strip_envelope(previous))
    for group, values in entities.strip_envelope(body).items():
        if group not in PREFERENCE_GROUPS or not isinstance(values, dict):
            raise QboFault("2010", f'Property Name:Unrecognized field "{group}" specified is unsupported or invalid',
                           group)
        values = entities.clean(values)
        target = doc.setdefault(group, {})
        for key, value in values.items():
            if key == "NameValue":
                merged = {item.get("Name"): item for item in target.get("NameValue", [])}
                merged.update({item.get("Name"): item for item in value if isinstance(item, dict)})
                target["NameValue"] = list(merged.values())
            else:
                target[key] = value
    home = (doc.get("CurrencyPrefs", {}).get("HomeCurrency") or {}).get("value")
    if home != company.home_currency:
        raise QboFault("6000", "Business Validation Error: The home currency can't be changed.",
                       "CurrencyPrefs.HomeCurrency")
    if company.multicurrency and not doc["CurrencyPrefs"].get("MultiCurrencyEnabled"):
        raise QboFault("6000", "Business Validation Error: Multicurrency can't be turned off once it is on.",
                       "CurrencyPrefs.MultiCurrencyEnabled")
    before = copy.deepcopy(previous)
    _store_version(company, "Preferences", doc, before, "Update")
    return doc
