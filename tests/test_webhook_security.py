import json
import random
import time

import psycopg2.errors

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import WEBHOOK_MAX_BYTES
from ..qbo_sandbox import webhooks
from .common_webhook import VERIFIER, QboWebhookCommon

# The slowest refusal accepted, for the largest body: nothing an outsider sends is parsed nor looked up.
REFUSAL_SECONDS = 1.0
FUZZ_CASES = 150


@tagged("post_install", "-at_install")
class TestWebhookSecurity(QboWebhookCommon):
    """What reaches /quickbooks/webhook from anyone: refused alike without a valid signature, capped in
    size, never an error 500; signed, read from the raw bytes whatever the content type."""

    def notification(self, realm_id=None, qbo_id="1"):
        return json.dumps(self.legacy([("Customer", qbo_id, "Update")], realm_id=realm_id)).encode()

    @mute_logger("odoo.http", "odoo.addons.quickbooks_connector.controllers.webhook")
    def test_unauthenticated_requests_are_refused_alike(self):
        """Without a valid signature every body gets the same 401, whether its realm is connected or not."""
        bodies = [self.notification(), self.notification(realm_id="4620816365000000000"), b"not json",
                  b"[" * 100000, b" ", b"x" * (WEBHOOK_MAX_BYTES - 1)]
        answers = set()
        for body in bodies:
            for signature in (None, "bm90IGEgc2lnbmF0dXJl", webhooks.sign(body, "not-the-token")):
                started = time.monotonic()
                response = self.post(body, verifier=None, signature=signature)
                self.assertLess(time.monotonic() - started, REFUSAL_SECONDS)
                answers.add((response.status_code, response.text))
        self.assertEqual(answers, {(401, "unauthenticated")})
        self.assertFalse(self.events())

    @mute_logger("odoo.http", "odoo.addons.quickbooks_connector.controllers.webhook")
    def test_oversized_body_is_refused_before_it_is_read(self):
        """A body over the cap is refused (413), signed or not; nothing is recorded."""
        body = b'{"eventNotifications": []}' + b" " * WEBHOOK_MAX_BYTES
        started = time.monotonic()
        self.assertEqual(self.post(body).status_code, 413)
        self.assertLess(time.monotonic() - started, REFUSAL_SECONDS)
        self.assertEqual(self.post(body, verifier=None).status_code, 413)
        self.assertFalse(self.events())

    @mute_logger("odoo.http", "odoo.addons.quickbooks_connector.controllers.webhook")
    def test_signed_but_unreadable_is_400(self):
        """A signed body that is no notification (deeply nested, wrong shapes) is refused, never a 500."""
        for body in (b"[" * 100000 + b"]" * 100000, b'{"eventNotifications": {"realmId": 1}}',
                     json.dumps({"eventNotifications": [{"realmId": self.realm_id, "dataChangeEvent": "x"}]}).encode(),
                     json.dumps({"eventNotifications": [{"realmId": self.realm_id,
                                                         "dataChangeEvent": {"entities": ["x"]}}]}).encode(),
                     b"42", b"null"):
            self.assertEqual(self.post(body).status_code, 400, body[:60])
        self.assertFalse(self.events())

    @mute_logger("odoo.http", "odoo.addons.quickbooks_connector.controllers.webhook")
    def test_fuzz_never_answers_500(self):
        """Random bodies, shapes and headers, signed or not: 200, 400, 401 or 413, never 500."""
        rng = random.Random(20261204)

        def value(depth=0):
            kinds = ["str", "int", "none", "bool"] + (["list", "dict"] if depth < 4 else [])
            kind = rng.choice(kinds)
            if kind == "list":
                return [value(depth + 1) for _ in range(rng.randint(0, 3))]
            if kind == "dict":
                keys = ["eventNotifications", "realmId", "dataChangeEvent", "entities", "name", "id", "operation",
                        "lastUpdated", "intuitaccountid", "type", "time", "intuitentityid", "deletedId", "x"]
                return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}
            return {"str": lambda: rng.choice(["Customer", "Update", self.realm_id, "", "qbo.invoice.updated.v1",
                                                "2026-01-05T14:42:19-0700", "\u0000\ud7ff"]),
                    "int": lambda: rng.randint(-2 ** 63, 2 ** 63), "none": lambda: None,
                    "bool": lambda: rng.random() < 0.5}[kind]()

        statuses = set()
        for case in range(FUZZ_CASES):
            body = rng.randbytes(rng.randint(0, 300)) if case % 5 == 0 else json.dumps(value()).encode()
            content_type = rng.choice(["application/json", "application/x-www-form-urlencoded", "text/plain",
                                       "multipart/form-data; boundary=fuzz", "application/cloudevents+json"])
            signed = rng.random() < 0.7
            response = self.post(body, verifier=VERIFIER if signed else None, content_type=content_type)
            statuses.add(response.status_code)
            self.assertIn(response.status_code, (200, 400, 401, 413), body[:80])
        self.assertTrue({200, 400, 401} <= statuses, statuses)

    def test_raw_body_is_verified_whatever_the_content_type(self):
        """A notification sent as form-encoded or multipart is verified on its raw bytes and recorded."""
        for number, content_type in enumerate(("application/x-www-form-urlencoded",
                                               "multipart/form-data; boundary=intuit")):
            body = self.notification(qbo_id=str(700 + number))
            self.assertEqual(self.post(body, content_type=content_type).status_code, 200, content_type)
        self.assertEqual(sorted(self.events().mapped("qbo_id")), ["700", "701"])

    def test_replayed_notification_is_recorded_once(self):
        """The same signed notification twice (a replay, or Intuit's retry): 200 both times, one event."""
        body = self.notification(qbo_id="55")
        self.assertEqual([self.post(body).status_code for _ in range(2)], [200, 200])
        self.assertEqual(len(self.events(qbo_id="55")), 1)

    def test_realm_served_by_another_company_after_reconnection(self):
        """A realm leaves one company (disconnected) and joins another: signed notifications of it land on
        the connected company only, and the database refuses two live connections to one realm."""
        second = self.env["res.company"].create({
            "name": "Second QuickBooks company", "qbo_client_id": self.SANDBOX_CLIENT_ID,
            "qbo_client_secret": self.SANDBOX_CLIENT_SECRET, "qbo_environment": "custom",
            "qbo_discovery_url": self.sandbox_server.discovery_url, "qbo_webhook_verifier": VERIFIER,
            "qbo_webhook_enabled": True})
        self.admin_user.company_ids |= second
        self.company.with_user(self.admin_user).action_qbo_disconnect()
        self.qbo_connect(second)
        self.assertEqual((self.company.qbo_state, second.qbo_state), ("disconnected", "connected"))
        self.assertEqual(self.post(self.notification(qbo_id="808")).status_code, 200)
        self.env.invalidate_all()
        events = self.env["qbo.webhook.event"].search([("qbo_id", "=", "808")])
        self.assertEqual(events.company_id, second)
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            self.company._qbo_connection().write({"state": "connected"})
            self.env.flush_all()
        # The first company's verifier alone no longer signs for the realm.
        second.qbo_webhook_verifier = "second-app-verifier"
        self.assertEqual(self.post(self.notification(qbo_id="809")).status_code, 200)
        self.env.invalidate_all()
        self.assertFalse(self.env["qbo.webhook.event"].search([("qbo_id", "=", "809")]))
