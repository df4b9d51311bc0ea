import base64
import hashlib
import hmac
import json
import logging

import psycopg2

from odoo import http
from odoo.http import request

from ..models.qbo_webhook_event import OPERATIONS, WEBHOOK_ENTITIES, parse_qbo_time
from ..models.res_company_qbo_webhook import WEBHOOK_ROUTE

_logger = logging.getLogger(__name__)

CLOUDEVENT_OPERATIONS = {"created": "Create", "updated": "Update", "deleted": "Delete", "merged": "Merge",
                         "voided": "Void", "emailed": "Emailed"}


def signature_ok(body, signature, verifier):
    """Return whether ``signature`` is base64(HMAC-SHA256(verifier, body)), compared in constant time."""
    if not verifier or not signature:
        return False
    expected = base64.b64encode(hmac.new(verifier.encode("utf-8"), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def _digest(*parts):
    """Return a stable key for an event Intuit gave no id."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()


def _entity_name(name):
    known = {entity.lower(): entity for entity in WEBHOOK_ENTITIES}
    return known.get(str(name or "").lower(), str(name or ""))


def parse_notification(payload):
    """Return ``{realm_id: [event values]}`` from a legacy (``eventNotifications``) or CloudEvents body.

    Events of entities or operations Odoo does not follow are left out.
    """
    events = {}
    if isinstance(payload, dict):
        for notification in payload.get("eventNotifications") or []:
            realm_id = str(notification.get("realmId") or "")
            events.setdefault(realm_id, [])
            for entity in (notification.get("dataChangeEvent") or {}).get("entities") or []:
                values = {"realm_id": realm_id, "qbo_entity": _entity_name(entity.get("name")),
                          "qbo_id": str(entity.get("id") or ""), "operation": entity.get("operation"),
                          "deleted_id": entity.get("deletedId") and str(entity["deletedId"]),
                          "event_time": parse_qbo_time(entity.get("lastUpdated"))}
                values["event_key"] = "legacy:" + _digest(realm_id, values["qbo_entity"], values["qbo_id"],
                                                          values["operation"], entity.get("lastUpdated"))
                events[realm_id].append(values)
    elif isinstance(payload, list):
        for event in payload:
            if not isinstance(event, dict):
                continue
            realm_id = str(event.get("intuitaccountid") or "")
            parts = str(event.get("type") or "").split(".")
            entity, verb = (parts[1], parts[2]) if len(parts) >= 4 and parts[0] == "qbo" else ("", "")
            key = event.get("id") or _digest(realm_id, event.get("type"), event.get("intuitentityid"), event.get("time"))
            events.setdefault(realm_id, []).append({
                "realm_id": realm_id, "qbo_entity": _entity_name(entity),
                "qbo_id": str(event.get("intuitentityid") or ""), "operation": CLOUDEVENT_OPERATIONS.get(verb),
                "deleted_id": False, "event_time": parse_qbo_time(event.get("time")), "event_key": f"ce:{key}",
            })
    return {realm_id: [event for event in realm_events if event["qbo_entity"] in WEBHOOK_ENTITIES
                       and event["operation"] in dict(OPERATIONS) and event["qbo_id"]]
            for realm_id, realm_events in events.items()}


class QboWebhookController(http.Controller):

    @http.route(WEBHOOK_ROUTE, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def qbo_webhook(self, **kwargs):
        """Intuit posts the changes of connected companies here.

        Only a notification signed with the verifier token of every company it concerns is recorded
        (401 without signature, 403 when forged or for an unknown realm); recording is all that
        happens here, the processing job does the rest, so the answer comes well within 3 seconds.
        """
        signature = request.httprequest.headers.get("intuit-signature")
        if not signature:
            return self._answer(401, "missing signature")
        body = request.httprequest.get_data()
        try:
            by_realm = parse_notification(json.loads(body))
        except (ValueError, AttributeError, TypeError):
            return self._answer(403, "unreadable notification")
        if not by_realm or not all(by_realm):
            return self._answer(403, "no realm")
        companies = request.env["res.company"].sudo().search([("qbo_realm_id", "in", list(by_realm))])
        company_by_realm = {company.qbo_realm_id: company for company in companies}
        if set(company_by_realm) != set(by_realm):
            return self._answer(403, "unknown realm")
        if not all(signature_ok(body, signature, company.qbo_webhook_verifier) for company in companies):
            return self._answer(403, "wrong signature")
        recorded = 0
        for realm_id, events in by_realm.items():
            company = company_by_realm[realm_id]
            if events and company.qbo_webhook_enabled:
                recorded += len(self._record(company, events))
        if recorded:
            request.env.ref("quickbooks_connector.ir_cron_qbo_process_events").sudo()._trigger()
        _logger.info("QuickBooks webhook: %s new event(s) recorded", recorded)
        return self._answer(200, "ok")

    def _record(self, company, events):
        event_model = request.env["qbo.webhook.event"].sudo()
        try:
            with request.env.cr.savepoint():
                return event_model._qbo_record(company, events)
        except psycopg2.errors.UniqueViolation:
            # The same notification arrived twice at once: the other delivery recorded it.
            return event_model._qbo_record(company, events)

    @staticmethod
    def _answer(status, reason):
        if status != 200:
            _logger.info("QuickBooks webhook refused (%s): %s", status, reason)
        return request.make_response(reason, status=status, headers=[("Content-Type", "text/plain")])
