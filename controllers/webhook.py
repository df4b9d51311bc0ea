import base64
import hashlib
import hmac
import json
import logging

from odoo import fields, http
from odoo.http import request

from ..const import WEBHOOK_ROUTE
from ..qbo_client import parse_qbo_time
from ..models.qbo_webhook_event import OPERATIONS

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


def _entity_name(name, known):
    return known.get(str(name or "").lower(), str(name or ""))


def _event_time(value):
    """The time of an event as Intuit wrote it (UTC); the time of receipt when it is unreadable."""
    try:
        return parse_qbo_time(value)
    except ValueError:
        return fields.Datetime.now()


def parse_notification(payload, entities):
    """Return ``{realm_id: [event values]}`` from a legacy (``eventNotifications``) or CloudEvents body.

    Events of other entities than ``entities`` or of operations Odoo does not follow are left out.

    :raise ValueError: if the payload has neither shape
    """
    events = {}
    known = {entity.lower(): entity for entity in entities}
    if isinstance(payload, dict):
        notifications = payload.get("eventNotifications")
        if not isinstance(notifications, list) or not all(isinstance(item, dict) for item in notifications):
            raise ValueError("not a QuickBooks notification")
        for notification in notifications:
            realm_id = str(notification.get("realmId") or "")
            events.setdefault(realm_id, [])
            for entity in (notification.get("dataChangeEvent") or {}).get("entities") or []:
                if not isinstance(entity, dict):
                    raise ValueError("not a QuickBooks notification")
                values = {"realm_id": realm_id, "qbo_entity": _entity_name(entity.get("name"), known),
                          "qbo_id": str(entity.get("id") or ""), "operation": entity.get("operation"),
                          "deleted_id": entity.get("deletedId") and str(entity["deletedId"]),
                          "event_time": _event_time(entity.get("lastUpdated"))}
                values["event_key"] = "legacy:" + _digest(realm_id, values["qbo_entity"], values["qbo_id"],
                                                          values["operation"], entity.get("lastUpdated"))
                events[realm_id].append(values)
    elif isinstance(payload, list):
        for event in payload:
            if not isinstance(event, dict):
                raise ValueError("not a QuickBooks notification")
            realm_id = str(event.get("intuitaccountid") or "")
            parts = str(event.get("type") or "").split(".")
            entity, verb = (parts[1], parts[2]) if len(parts) >= 4 and parts[0] == "qbo" else ("", "")
            key = event.get("id") or _digest(realm_id, event.get("type"), event.get("intuitentityid"), event.get("time"))
            events.setdefault(realm_id, []).append({
                "realm_id": realm_id, "qbo_entity": _entity_name(entity, known),
                "qbo_id": str(event.get("intuitentityid") or ""), "operation": CLOUDEVENT_OPERATIONS.get(verb),
                "deleted_id": False, "event_time": _event_time(event.get("time")), "event_key": f"ce:{key}",
            })
    else:
        raise ValueError("not a QuickBooks notification")
    return {realm_id: [event for event in realm_events if event["qbo_entity"] in entities
                       and event["operation"] in dict(OPERATIONS) and event["qbo_id"]]
            for realm_id, realm_events in events.items()}


class QboWebhookController(http.Controller):

    @http.route(WEBHOOK_ROUTE, type="http", auth="public", methods=["POST"], csrf=False, save_session=False,
                qbo_raw_body=True)
    def qbo_webhook(self, **kwargs):
        """Intuit posts the changes of connected companies here.

        Nothing an outsider sends is parsed or looked up: the body (at most ``WEBHOOK_MAX_BYTES``,
        kept raw by ``ir.http``) must first carry the signature of a verifier token Odoo knows,
        checked in constant time; every unauthenticated request gets the same 401, whatever realm
        it names. A signed notification is then answered 200, and its events are recorded for the
        companies connected to its realms whose Intuit app signed it; those of realms Odoo no longer
        serves (disconnected, or connected with another app) are ignored, so Intuit does not retry
        them. Recording is all that happens here: the answer comes well within Intuit's 3 seconds.
        """
        body = request.httprequest.get_data()
        signature = request.httprequest.headers.get("intuit-signature")
        verifiers = {verifier for verifier in request.env["res.company"].sudo().search(
            [("qbo_webhook_verifier", "!=", False)]).mapped("qbo_webhook_verifier")}
        signer = next((verifier for verifier in verifiers if signature_ok(body, signature, verifier)), None)
        if not signer:
            return self._answer(401, "unauthenticated")
        try:
            by_realm = parse_notification(json.loads(body),
                                          request.env["qbo.webhook.event"].sudo()._qbo_webhook_entities())
        except (ValueError, TypeError, AttributeError, RecursionError):
            # Signed, but not a notification Odoo can read (Intuit never sends such a body).
            return self._answer(400, "not a QuickBooks notification")
        connections = request.env["qbo.connection"].sudo().search(
            [("realm_id", "in", list(by_realm)), ("state", "!=", "disconnected")])
        recorded = 0
        for connection in connections:
            company = connection.company_id
            events = by_realm[connection.realm_id]
            if events and company.qbo_webhook_enabled and company.qbo_webhook_verifier == signer:
                recorded += len(request.env["qbo.webhook.event"].sudo()._qbo_record(company, events))
        if recorded:
            request.env.ref("quickbooks_connector.ir_cron_qbo_process_events").sudo()._qbo_trigger_lanes()
        _logger.info("QuickBooks webhook: %s new event(s) recorded", recorded)
        return self._answer(200, "ok")

    @staticmethod
    def _answer(status, reason):
        if status != 200:
            _logger.info("QuickBooks webhook refused (%s): %s", status, reason)
        return request.make_response(reason, status=status, headers=[("Content-Type", "text/plain")])
