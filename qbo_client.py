"""The only code that talks HTTP to QuickBooks Online: the Accounting API client and the OAuth client.

Pure Python (no ORM). Logs carry the method, the path below the realm and the status only: never a
token, never a body (QuickBooks payloads are financial data).
"""
import json as jsonlib
import logging
import re
import threading
import time
from datetime import datetime, timedelta
import xml.etree.ElementTree as ElementTree
from email.utils import parsedate_to_datetime

import requests
from intuitlib.client import AuthClient

from .const import (
    API_TIMEOUT,
    BATCH_SIZE,
    DISCOVERY_CACHE_TTL,
    MAX_REQUESTID_LENGTH,
    MAX_RETRY_DELAY,
    MINOR_VERSION,
    OAUTH_TIMEOUT,
    QUERY_PAGE_SIZE,
    THROTTLED,
)

_logger = logging.getLogger(__name__)

# Entities voided by a sparse update with include=void; the others take operation=void.
VOID_BY_UPDATE = ("Payment", "SalesReceipt", "BillPayment")
QBO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


class QboApiError(Exception):
    """One exception for every way a QuickBooks call can fail.

    :param str message: Intuit's Message (or a description of the transport failure)
    :param int status: HTTP status, None when no answer came
    :param str code: Intuit's error code (e.g. ``"6240"``), None when the body had none
    :param str detail: Intuit's Detail
    :param str element: the element the fault is about
    :param str intuit_tid: Intuit's transaction id (ask Intuit support with it)
    :param str fault_type: ``ValidationFault``, ``AUTHENTICATION``, ...
    """

    def __init__(self, message, status=None, code=None, detail=None, element=None, intuit_tid=None,
                 fault_type=None):
        self.message = message or ""
        self.status = status
        self.code = str(code) if code not in (None, "") else None
        self.detail = detail or ""
        self.element = element or ""
        self.intuit_tid = intuit_tid
        self.fault_type = fault_type
        super().__init__(str(self))

    @property
    def retryable(self):
        """Whether the same call may succeed later: throttling, outages and lost answers."""
        return self.status is None or self.status == 429 or self.status >= 500 or self.code == THROTTLED

    def __str__(self):
        text = f"[{self.code}] {self.message}" if self.code else self.message
        if self.detail and self.detail != self.message:
            text = f"{text}: {self.detail}"
        if self.element:
            text = f"{text} (element {self.element})"
        return text

    @classmethod
    def from_fault(cls, fault, status=None, intuit_tid=None):
        """Build the error from a ``Fault`` object (a whole response's, or one batch item's).

        :param dict fault: ``{"Error": [...], "type": ...}`` or the lower-case gateway ``{"error": [...]}``
        """
        errors = fault.get("Error") or fault.get("error") or [{}]
        first = errors[0] if isinstance(errors, list) and errors else {}
        return cls(
            message=first.get("Message") or first.get("message") or "QuickBooks fault",
            status=status,
            code=first.get("code"),
            detail=first.get("Detail") or first.get("detail"),
            element=first.get("element"),
            intuit_tid=intuit_tid,
            fault_type=fault.get("type"),
        )

    @classmethod
    def from_response(cls, response):
        """Turn an error response (JSON, lower-case gateway JSON, XML or anything else) into the error."""
        status = response.status_code
        tid = response.headers.get("intuit_tid")
        text = response.text or ""
        try:
            body = jsonlib.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            fault = body.get("Fault") or body.get("fault")
            if isinstance(fault, dict):
                return cls.from_fault(fault, status=status, intuit_tid=tid)
            if body.get("error"):
                # OAuth-style body: {"error": "invalid_grant", "error_description": ...}
                return cls(body.get("error_description") or body["error"], status=status, code=body["error"],
                           intuit_tid=tid)
            if body.get("code"):
                # GraphQL gateway body: {"code": "AuthenticationFailed", "message": ..., "detail": ...}
                return cls(body.get("message") or body["code"], status=status, code=body["code"],
                           detail=body.get("detail"), intuit_tid=tid)
        if text.lstrip().startswith("<"):
            error = cls._from_xml(text, status, tid)
            if error:
                return error
        return cls(f"QuickBooks answered HTTP {status}", status=status, intuit_tid=tid)

    @classmethod
    def _from_xml(cls, text, status, tid):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            return None
        fault = next((node for node in root.iter() if _local_name(node.tag) == "Fault"), None)
        error = fault is not None and next((node for node in fault.iter() if _local_name(node.tag) == "Error"), None)
        if fault is None or error is None:
            return None
        children = {_local_name(child.tag): (child.text or "").strip() for child in error}
        return cls(
            children.get("Message") or "QuickBooks fault",
            status=status,
            code=error.get("code"),
            detail=children.get("Detail"),
            element=error.get("element"),
            intuit_tid=tid,
            fault_type=fault.get("type"),
        )


def _local_name(tag):
    return tag.rsplit("}", 1)[-1]


def parse_qbo_time(text):
    """Return a QuickBooks time (``2015-07-24T10:35:08-07:00``, ``Z``, any fraction) as a naive UTC datetime.

    :raise ValueError: if ``text`` is not such a time
    """
    match = QBO_TIME.match(str(text or "").strip())
    if not match:
        raise ValueError(f"not a QuickBooks time: {text!r}")
    moment = datetime.fromisoformat(match[1] + (f".{match[2][:6]}" if match[2] else ""))
    zone = (match[3] or "Z").replace(":", "")
    if zone == "Z":
        return moment
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    return moment - timedelta(minutes=minutes if zone[0] == "+" else -minutes)


def query_time(moment):
    """Return a naive UTC datetime as a query-language (and ``changedSince``) value: ``2024-05-01T08:00:00+00:00``."""
    return moment.replace(microsecond=0).isoformat() + "+00:00"


class QboClient:
    """A thin client of the QuickBooks Online Accounting API v3 for one realm.

    :param str base_url: API host, e.g. ``https://quickbooks.api.intuit.com``
    :param str realm_id: the QuickBooks company id
    :param get_access_token: callable returning a valid access token (refreshing it when needed)
    :param on_unauthorized: callable forcing a refresh after a 401; the call is retried once after it
    :param int minorversion: sent on every call
    :param timeout: seconds (or a ``(connect, read)`` pair) for each HTTP exchange
    :param int max_retries: retries of one call after 429, 5xx or a transport failure
    :param session: a ``requests.Session`` to reuse connections
    :param sleep: the pause function (tests pass a recorder)
    :param pacer: a ``qbo_pacer.RequestPacer`` every call waits on first and a 429 pauses (None: no pacing)
    """

    last_intuit_tid = None  # Intuit's transaction id of the last answer

    def __init__(self, base_url, realm_id, get_access_token, on_unauthorized=None, minorversion=MINOR_VERSION,
                 timeout=API_TIMEOUT, max_retries=3, session=None, sleep=time.sleep, pacer=None):
        self.base_url = base_url.rstrip("/")
        self.realm_id = str(realm_id)
        self.get_access_token = get_access_token
        self.on_unauthorized = on_unauthorized
        self.minorversion = minorversion
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = session or requests.Session()
        self.sleep = sleep
        self.pacer = pacer

    # ---- Transport ----

    def request(self, method, path, params=None, json=None, data=None, headers=None, requestid=None,
                idempotent=None):
        """Send one call to ``/v3/company/{realm}/{path}`` and return the decoded JSON answer.

        Each attempt first waits on the pacer, if any. Retries 429 (honouring Retry-After, for the whole
        realm when paced), and 5xx or transport failures when the call is safe to repeat: a GET, a write
        carrying a ``requestid`` (Intuit replays it) or ``idempotent=True``.
        After a 401, ``on_unauthorized`` is called and the call is sent once more.

        :param str method: HTTP method
        :param str path: path below the realm, e.g. ``"invoice/12"``
        :param dict params: query-string values (``minorversion`` and ``requestid`` are added)
        :param json: JSON body
        :param data: raw body (with a matching ``Content-Type`` in ``headers``)
        :param dict headers: extra headers
        :param str requestid: idempotency key, at most 50 characters
        :param bool idempotent: force the retry policy (None: GET or requestid)
        :return: the JSON answer
        :rtype: dict
        :raise QboApiError: on any failure, with Intuit's code, message and detail when given
        """
        method = method.upper()
        path = path.lstrip("/")
        if requestid and len(requestid) > MAX_REQUESTID_LENGTH:
            raise ValueError(f"requestid longer than {MAX_REQUESTID_LENGTH} characters")
        if idempotent is None:
            idempotent = method == "GET" or bool(requestid)
        url = f"{self.base_url}/v3/company/{self.realm_id}/{path}"
        query = {**(params or {}), "minorversion": self.minorversion}
        if requestid:
            query["requestid"] = requestid
        attempt = 0
        reauthenticated = False
        while True:
            request_headers = {"Accept": "application/json", "Authorization": f"Bearer {self.get_access_token()}"}
            if json is not None:
                request_headers["Content-Type"] = "application/json"
            request_headers.update(headers or {})
            if self.pacer:
                self.pacer.wait(batch=path == "batch")
            try:
                response = self.session.request(
                    method, url, params=query, json=json, data=data, headers=request_headers, timeout=self.timeout,
                )
            except requests.RequestException as error:
                if idempotent and attempt < self.max_retries:
                    attempt += 1
                    _logger.info("QuickBooks %s %s: %s, retry %s", method, path, type(error).__name__, attempt)
                    self.sleep(self._backoff(attempt))
                    continue
                _logger.info("QuickBooks %s %s: %s", method, path, type(error).__name__)
                raise QboApiError(f"QuickBooks did not answer ({type(error).__name__})") from error
            status = response.status_code
            if status == 401 and self.on_unauthorized and not reauthenticated:
                _logger.info("QuickBooks %s %s: HTTP 401, refreshing the access token", method, path)
                reauthenticated = True
                self.on_unauthorized()
                continue
            paused = status == 429 and self.pacer
            if paused:
                # Every process calling the realm waits, not only this one: its next slot starts after the pause.
                self.pacer.pause(self._retry_delay(response, attempt + 1))
            retry = attempt < self.max_retries and (status == 429 or (status >= 500 and idempotent))
            if retry:
                attempt += 1
                _logger.info("QuickBooks %s %s: HTTP %s, retry %s", method, path, status, attempt)
                if not paused:
                    self.sleep(self._retry_delay(response, attempt))
                continue
            if status >= 400:
                _logger.info("QuickBooks %s %s: HTTP %s", method, path, status)
                raise QboApiError.from_response(response)
            # Faults inside a batch's answer have no intuit_tid of their own: the batch's one names them.
            self.last_intuit_tid = response.headers.get("intuit_tid")
            _logger.debug("QuickBooks %s %s: HTTP %s", method, path, status)
            return self._decode(response)

    @staticmethod
    def _decode(response):
        try:
            body = response.json()
        except ValueError:
            raise QboApiError("QuickBooks answered with a body that is not JSON", status=response.status_code,
                              intuit_tid=response.headers.get("intuit_tid")) from None
        fault = body.get("Fault") if isinstance(body, dict) else None
        if fault:
            raise QboApiError.from_fault(fault, status=response.status_code,
                                         intuit_tid=response.headers.get("intuit_tid"))
        return body

    @staticmethod
    def _backoff(attempt):
        return min(2 ** (attempt - 1), MAX_RETRY_DELAY)

    def _retry_delay(self, response, attempt):
        """Seconds to wait before the next attempt: Retry-After when given, else exponential."""
        value = response.headers.get("Retry-After")
        if value:
            try:
                delay = float(value)
            except ValueError:
                try:
                    delay = parsedate_to_datetime(value).timestamp() - time.time()
                except (TypeError, ValueError):
                    delay = self._backoff(attempt)
            return min(max(delay, 0), MAX_RETRY_DELAY)
        return self._backoff(attempt)

    # ---- Entities ----

    @staticmethod
    def _segment(entity):
        return entity.lower()

    def read(self, entity, qbo_id):
        """Return one entity by Id (e.g. ``read("Invoice", "130")``)."""
        return self.request("GET", f"{self._segment(entity)}/{qbo_id}")[entity]

    def create(self, entity, payload, requestid=None):
        """Create an entity and return it as QuickBooks stored it."""
        return self.request("POST", self._segment(entity), json=payload, requestid=requestid)[entity]

    def update(self, entity, payload, requestid=None):
        """Update an entity; ``payload`` carries ``Id``, ``SyncToken`` and ``"sparse": True`` for a sparse update."""
        return self.request("POST", self._segment(entity), json=payload, requestid=requestid)[entity]

    def delete(self, entity, payload, requestid=None):
        """Delete a transaction (``payload``: ``Id`` and ``SyncToken``); returns ``{"status": "Deleted", ...}``."""
        body = {"Id": payload["Id"], "SyncToken": payload["SyncToken"]}
        return self.request("POST", self._segment(entity), params={"operation": "delete"}, json=body,
                            requestid=requestid)[entity]

    def void(self, entity, payload, requestid=None):
        """Void a transaction (``payload``: ``Id`` and ``SyncToken``) and return it."""
        body = {"Id": payload["Id"], "SyncToken": payload["SyncToken"]}
        if entity in VOID_BY_UPDATE:
            params = {"operation": "update", "include": "void"}
            body["sparse"] = True
        else:
            params = {"operation": "void"}
        return self.request("POST", self._segment(entity), params=params, json=body, requestid=requestid)[entity]

    def query(self, statement):
        """Run one query statement and return its ``QueryResponse``."""
        return self.query_answer(statement)["QueryResponse"]

    def query_answer(self, statement):
        """Run one query statement and return the whole answer (its ``time`` is QuickBooks' clock).

        The statement goes in the body (it may be long, and should not sit in access logs); a query
        changes nothing, so it is retried like a GET.
        """
        return self.request("POST", "query", data=statement.encode(), idempotent=True,
                            headers={"Content-Type": "application/text"})

    def report(self, name, **params):
        """Return the report ``name`` (e.g. ``report("CustomerBalance", report_date="2026-01-31")``): its
        ``Header``, ``Columns`` and ``Rows``."""
        return self.request("GET", f"reports/{name}", params=params)

    def query_all(self, entity, where=None, order_by="Id"):
        """Return every ``entity`` matching ``where`` (query-language condition), paging by 1000."""
        records = []
        start = 1
        while True:
            statement = f"SELECT * FROM {entity}"
            if where:
                statement += f" WHERE {where}"
            statement += f" ORDERBY {order_by} STARTPOSITION {start} MAXRESULTS {QUERY_PAGE_SIZE}"
            page = self.query(statement).get(entity, [])
            records.extend(page)
            if len(page) < QUERY_PAGE_SIZE:
                return records
            start += QUERY_PAGE_SIZE

    def batch(self, items, requestid=None):
        """Send ``BatchItemRequest`` items by 30 and return the ``BatchItemResponse`` items in input order.

        Items without ``bId`` get their position as ``bId``. An item's own failure comes back as its
        ``Fault`` (see ``QboApiError.from_fault``), not as an exception.

        :param list items: e.g. ``{"bId": "1", "operation": "create", "Invoice": {...}}``
        :param str requestid: makes the batch replay-safe; chunk ``n`` is sent as ``<requestid>-<n>``
        :rtype: list
        """
        items = [item if item.get("bId") else {**item, "bId": str(index)} for index, item in enumerate(items)]
        results = []
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start:start + BATCH_SIZE]
            chunk_requestid = requestid and f"{requestid}-{start // BATCH_SIZE}"
            body = self.request("POST", "batch", json={"BatchItemRequest": chunk}, requestid=chunk_requestid)
            by_bid = {response["bId"]: response for response in body.get("BatchItemResponse", [])}
            missing = [item["bId"] for item in chunk if item["bId"] not in by_bid]
            if missing:
                raise QboApiError(f"QuickBooks answered no result for batch items {', '.join(missing)}")
            results.extend(by_bid[item["bId"]] for item in chunk)
        return results

    def cdc(self, entities, changed_since):
        """Return the whole change data capture answer (``CDCResponse`` and QuickBooks' ``time``).

        :param list entities: entity names, e.g. ``["Invoice", "Payment"]``
        :param datetime changed_since: naive UTC; QuickBooks looks back 30 days at most
        :rtype: dict
        """
        return self.request("GET", "cdc", params={"entities": ",".join(entities),
                                                  "changedSince": query_time(changed_since)})

    def company_info(self):
        """Return the ``CompanyInfo`` of the realm."""
        return self.read("CompanyInfo", self.realm_id)

    def preferences(self):
        """Return the realm's ``Preferences``."""
        return self.request("GET", "preferences")["Preferences"]


class QboAuthClient(AuthClient):
    """intuit-oauth's ``AuthClient`` with timeouts and a per-process cache of discovery documents.

    ``AuthClient`` fetches the discovery document in its constructor; here that fetch is answered
    from a cache kept ``DISCOVERY_CACHE_TTL`` seconds per URL, so endpoints are read once, not for
    every token call.

    :param str discovery_url: the OpenID discovery document of the environment
    :param float timeout: seconds for each HTTP exchange with the OAuth server
    """

    _discovery_cache = {}
    _discovery_lock = threading.Lock()

    def __init__(self, client_id, client_secret, redirect_uri, discovery_url, timeout=OAUTH_TIMEOUT):
        self.timeout = timeout
        super().__init__(client_id, client_secret, redirect_uri, discovery_url)

    def request(self, method, url, *args, **kwargs):
        # OVERRIDE requests.Session: intuit-oauth sets no timeout at all.
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)

    def get(self, url, **kwargs):
        # OVERRIDE requests.Session: the constructor's discovery fetch is the only GET of AuthClient.
        if url != self.environment:
            return super().get(url, **kwargs)
        with self._discovery_lock:
            cached = self._discovery_cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        response = super().get(url, **kwargs)
        if response.status_code == 200:
            response.content  # noqa: B018 - read the body now so the cached response stays usable
            with self._discovery_lock:
                self._discovery_cache[url] = (time.monotonic() + DISCOVERY_CACHE_TTL, response)
        return response

    @classmethod
    def clear_discovery_cache(cls):
        """Forget every cached discovery document."""
        with cls._discovery_lock:
            cls._discovery_cache.clear()
