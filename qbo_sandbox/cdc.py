"""Change Data Capture: ``GET /v3/company/{realmId}/cdc?entities=...&changedSince=...``.

Answers from the company's change history: for each requested entity, the records changed after
``changedSince`` in their current version, and the deleted ones as tombstones (``status: Deleted``).
Sources: shared/qbo_api.md section 2.5.

Strict readings: ``changedSince`` more than 30 days back is refused (Intuit: "Operation cdc with
changedSince date ... which is older than fixed days is not supported", code unverified: 4001 here);
at most 1000 objects in one answer (the oldest changes first), no paging.
"""
from datetime import date, datetime, time, timedelta

from .faults import QboFault

LOOKBACK = timedelta(days=30)
MAX_OBJECTS = 1000
NOT_SUPPORTED = {"JournalCode", "TaxAgency", "TimeActivity", "TaxCode", "TaxRate"}


def run(company, args, known_entities, render):
    """Return the ``CDCResponse`` list.

    :param company: the ``Company``
    :param dict args: the query-string values (``entities``, ``changedSince``)
    :param known_entities: the entity names the sandbox serves
    :param render: the function turning a stored record into its API shape
    :raise QboFault: on a missing, unknown or unsupported entity, or a bad or too old ``changedSince``
    """
    names = [name.strip() for name in (args.get("entities") or "").split(",") if name.strip()]
    if not names:
        raise QboFault("2020", "Required parameter entities is missing in the request.", "entities")
    for name in names:
        if name not in known_entities or name in NOT_SUPPORTED:
            raise QboFault("2010", f"Request has invalid or unsupported property : entities={name}", "entities")
    since = _changed_since(company, args.get("changedSince"))
    latest = {}  # (entity, Id) -> time of its last change, in history order
    for moment, entity, entity_id, _operation in company.history:
        if entity in names and moment > since:
            latest.pop((entity, entity_id), None)
            latest[(entity, entity_id)] = moment
    found = {name: [] for name in names}
    for entity, entity_id in list(latest)[:MAX_OBJECTS]:
        doc = company.get(entity, entity_id)
        found[entity].append(render(doc) if doc is not None else company.deleted(entity, entity_id))
    responses = [{name: docs, "startPosition": 1, "maxResults": len(docs)} if docs else {} for name, docs in
                 found.items()]
    return [{"QueryResponse": responses}]


def _changed_since(company, value):
    if not value:
        raise QboFault("2020", "Required parameter changedSince is missing in the request.", "changedSince")
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(), company.tz)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=company.tz)
    except ValueError:
        raise QboFault("2010", f"Request has invalid or unsupported property : changedSince={value}",
                       "changedSince") from None
    if moment < company.clock.now() - LOOKBACK:
        raise QboFault("4001", f"Operation cdc with changedSince date {value} which is older than fixed days is "
                               "not supported.", "changedSince")
    return moment
