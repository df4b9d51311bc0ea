"""Webhook notifications: every change of a connected company, delivered to its apps' endpoints.

An app registered with ``webhook_url`` and ``webhook_verifier`` (``SandboxState.register_app``)
receives the changes (``Company.history``) of every realm it holds a live grant for, from the moment
the dispatcher first sees that (app, realm) pair. Each notification carries the events of one realm
(at most ``batch_size``, 100 as Intuit), in the app's ``webhook_format``: ``legacy``
(``eventNotifications``) or ``cloudevents`` (a JSON array), signed with ``intuit-signature`` =
base64(HMAC-SHA256(verifier token, raw body)). Sources: shared/qbo_api.md section 5.

A reply other than 200 within ``timeout`` seconds is retried on Intuit's schedule (multiplied by
``retry_scale`` so tests can compress it), with the same body and event ids; later events of the
pair wait until it is acknowledged. Switches: ``duplicates`` (every notification delivered twice)
and ``out_of_order`` (pending events sent newest first). ``flush()`` delivers everything pending
synchronously (tests); ``start()`` runs the same work in a daemon thread.
"""
import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import deque

import requests

_logger = logging.getLogger(__name__)

DELIVERY_LOG_SIZE = 1000
RETRY_SCHEDULE = (0, 10, 20, 30, 300, 1200, 7200, 14400, 21600)
FORMATS = ("legacy", "cloudevents")
CLOUDEVENT_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Merge": "merged",
                    "Void": "voided", "Emailed": "emailed"}

_dispatchers = {}
_dispatchers_lock = threading.Lock()


def for_state(state):
    """Return the ``WebhookDispatcher`` of ``state`` (created on first use, not started)."""
    with _dispatchers_lock:
        dispatcher = _dispatchers.get(id(state))
        if dispatcher is None or dispatcher.state is not state:
            dispatcher = _dispatchers[id(state)] = WebhookDispatcher(state)
        return dispatcher


def sign(body, verifier):
    """Return the ``intuit-signature`` value of a raw body (bytes) for a verifier token."""
    digest = hmac.new(verifier.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def notification_body(app, realm_id, events):
    """Return the raw JSON body of one notification of ``events`` (dicts) of one realm."""
    if app.get("webhook_format") == "cloudevents":
        payload = [{
            "specversion": "1.0", "id": event["event_id"], "source": "intuit.sandbox",
            "type": f"qbo.{event['entity'].lower()}.{CLOUDEVENT_VERBS.get(event['operation'], 'updated')}.v1",
            "datacontenttype": "application/json", "time": event["time"],
            "intuitentityid": event["id"], "intuitaccountid": realm_id, "data": {},
        } for event in events]
    else:
        payload = {"eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": [
            {"name": event["entity"], "id": event["id"], "operation": event["operation"],
             "lastUpdated": event["time"]} for event in events]}}]}
    return json.dumps(payload).encode("utf-8")


class WebhookDispatcher:
    """The webhook sender of one ``SandboxState``; see the module docstring."""

    def __init__(self, state):
        self.state = state
        self.enabled = True
        self.batch_size = 100
        self.timeout = 3.0
        self.retry_scale = 1.0
        self.duplicates = False
        self.out_of_order = False
        self.poll_interval = 0.05
        # The last DELIVERY_LOG_SIZE POSTs: url, realm_id, status, body, signature, attempt, seconds.
        self.deliveries = deque(maxlen=DELIVERY_LOG_SIZE)
        self.posts = 0  # POSTs made since the start
        self._cursors = {}  # (client_id, realm_id) -> (Company, index in its history already queued)
        self._queues = {}  # (client_id, realm_id) -> list of pending notifications
        self._send_lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None
        self._session = requests.Session()

    def configure(self, enabled=None, batch_size=None, timeout=None, retry_scale=None, duplicates=None,
                  out_of_order=None):
        """Change the delivery switches (only the ones given) and start following the connected realms."""
        for name, value in (("enabled", enabled), ("batch_size", batch_size), ("timeout", timeout),
                            ("retry_scale", retry_scale), ("duplicates", duplicates),
                            ("out_of_order", out_of_order)):
            if value is not None:
                setattr(self, name, value)
        if not 1 <= int(self.batch_size) <= 100:
            raise ValueError("batch_size must be between 1 and 100")
        self.collect()
        return self

    # ---- Collecting changes ----

    def _pairs(self):
        """Return ``[(app, company)]``: apps with a webhook URL and the realms they hold a live grant for."""
        with self.state.lock:
            pairs = []
            for grant_id, grant in list(self.state.grants.items()):
                app = self.state.apps.get(grant["client_id"])
                company = self.state.companies.get(grant["realm_id"])
                if app and app.get("webhook_url") and company and self.state.live_grant(grant_id) \
                        and (app, company) not in pairs:
                    pairs.append((app, company))
            return pairs

    def collect(self):
        """Queue the changes made since the last call as notifications (at most ``batch_size`` events each)."""
        with self._send_lock:
            self._collect()

    def _collect(self):
        for app, company in self._pairs():
            key = (app["client_id"], company.realm_id)
            with company.lock:
                known, start = self._cursors.get(key, (None, 0))
                if known is not company:  # a pair seen for the first time, or a company reset or reloaded
                    start = len(company.history)
                changes = company.history[start:]
                self._cursors[key] = (company, len(company.history))
            if not changes or not self.enabled:
                continue
            events = [{"event_id": str(uuid.uuid4()), "entity": entity, "id": entity_id, "operation": operation,
                       "time": moment.isoformat(timespec="milliseconds")}
                      for moment, entity, entity_id, operation in changes]
            if self.out_of_order:
                events.reverse()
            queue = self._queues.setdefault(key, [])
            for start in range(0, len(events), int(self.batch_size)):
                body = notification_body(app, company.realm_id, events[start:start + int(self.batch_size)])
                copies = 2 if self.duplicates else 1
                queue.extend({"body": body, "attempt": 0, "due": 0.0} for _copy in range(copies))

    # ---- Delivering ----

    def pending(self):
        """Return how many notifications wait for delivery."""
        return sum(len(queue) for queue in self._queues.values())

    def step(self):
        """Deliver the head notification of every (app, realm) pair that is due; return the earliest next due time."""
        with self._send_lock:
            self.collect()
            next_due = None
            for (client_id, realm_id), queue in self._queues.items():
                while queue:
                    notification = queue[0]
                    if notification["due"] > time.monotonic():
                        next_due = min(next_due or notification["due"], notification["due"])
                        break
                    app = self.state.apps.get(client_id)
                    if not app or not app.get("webhook_url"):
                        queue.clear()
                        break
                    if self._post(app, realm_id, notification):
                        queue.pop(0)
                        continue
                    delay = RETRY_SCHEDULE[min(notification["attempt"], len(RETRY_SCHEDULE) - 1)]
                    notification["due"] = time.monotonic() + delay * self.retry_scale
                    next_due = min(next_due or notification["due"], notification["due"])
                    break
            return next_due

    def _post(self, app, realm_id, notification):
        """POST one notification; return True when the endpoint answered 200 within the timeout."""
        body = notification["body"]
        signature = sign(body, app.get("webhook_verifier") or "")
        content_type = "application/json"
        if app.get("webhook_format") == "cloudevents":
            content_type = app.get("webhook_content_type") or "application/cloudevents+json"
        notification["attempt"] += 1
        started = time.monotonic()
        try:
            response = self._session.post(app["webhook_url"], data=body, timeout=self.timeout, headers={
                "Content-Type": content_type, "intuit-signature": signature,
                "User-Agent": "QBO-Sandbox-Webhooks"})
            status = response.status_code
        except requests.RequestException as error:
            status = type(error).__name__
        seconds = time.monotonic() - started
        self.posts += 1
        self.deliveries.append({"url": app["webhook_url"], "realm_id": realm_id, "status": status, "body": body,
                                "signature": signature, "attempt": notification["attempt"], "seconds": seconds})
        return status == 200 and seconds <= self.timeout

    def flush(self, timeout=30.0):
        """Deliver everything pending now, waiting for due retries; return the deliveries made.

        :raise TimeoutError: if notifications are still pending after ``timeout`` seconds
        """
        first = self.posts
        limit = time.monotonic() + timeout
        while True:
            next_due = self.step()
            if not self.pending():
                made = self.posts - first
                return list(self.deliveries)[-made:] if made else []
            if time.monotonic() >= limit:
                raise TimeoutError(f"{self.pending()} webhook notifications still pending")
            time.sleep(max(0.0, min((next_due or 0) - time.monotonic(), limit - time.monotonic())))

    def discard(self):
        """Forget the pending notifications and skip the changes made so far."""
        with self._send_lock:
            self._queues.clear()
            self._cursors.clear()
            self.collect()

    # ---- Background thread ----

    def start(self):
        """Deliver in a daemon thread, polling the changes every ``poll_interval`` seconds."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="qbo-sandbox-webhooks", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        """Stop the delivery thread (pending notifications stay queued)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self):
        while not self._stop.is_set():
            try:
                next_due = self.step()
            except Exception:  # noqa: BLE001 - the delivery thread must outlive one bad notification
                _logger.exception("sandbox webhooks: delivery step failed")
                next_due = None
            wait = self.poll_interval
            if next_due is not None:
                wait = min(wait, max(0.0, next_due - time.monotonic()))
            self._stop.wait(wait)
