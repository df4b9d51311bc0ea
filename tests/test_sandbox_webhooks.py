import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import BaseCase, tagged

from ..qbo_sandbox import accounting, webhooks
from ..qbo_sandbox.testing import SandboxTestMixin

VERIFIER = "sandbox-verifier-token"


class _Receiver(ThreadingHTTPServer):
    """A webhook endpoint on a free port: records every POST, answers ``statuses`` in turn, then 200."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.received = []
        self.statuses = []
        self.delay = 0.0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/quickbooks/webhook"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"headers": dict(self.headers), "body": body})
        time.sleep(self.server.delay)
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestSandboxWebhooks(SandboxTestMixin, BaseCase):
    """The sandbox signs, batches, retries and (on demand) duplicates or reorders its notifications."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.receiver = _Receiver()
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.receiver.server_close)
        cls.addClassCleanup(cls.receiver.shutdown)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.register_sandbox_app(webhook_url=self.receiver.url, webhook_verifier=VERIFIER)
        self.company = self.create_sandbox_company()
        self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        self.dispatcher = webhooks.for_state(self.sandbox)
        self.dispatcher.configure(enabled=True, batch_size=100, retry_scale=0.001, duplicates=False,
                                  out_of_order=False, timeout=3.0)
        self.dispatcher.discard()
        self.receiver.received.clear()
        self.receiver.statuses.clear()
        self.receiver.delay = 0.0

    def customer(self, name):
        return accounting.create(self.company, "Customer", {"DisplayName": name})

    def legacy_entities(self, received):
        body = json.loads(received["body"])
        self.assertEqual(len(body["eventNotifications"]), 1)
        self.assertEqual(body["eventNotifications"][0]["realmId"], self.company.realm_id)
        return body["eventNotifications"][0]["dataChangeEvent"]["entities"]

    def test_legacy_notification_is_signed(self):
        customer = self.customer("Amy's Bird Sanctuary")
        self.dispatcher.flush()
        self.assertEqual(len(self.receiver.received), 1)
        received = self.receiver.received[0]
        self.assertEqual(received["headers"]["intuit-signature"], webhooks.sign(received["body"], VERIFIER))
        self.assertNotEqual(received["headers"]["intuit-signature"], webhooks.sign(received["body"], "other"))
        self.assertEqual(self.legacy_entities(received),
                         [{"name": "Customer", "id": customer["Id"], "operation": "Create",
                           "lastUpdated": self.legacy_entities(received)[0]["lastUpdated"]}])

    def test_signature_matches_python_quickbooks_vector(self):
        self.assertEqual(webhooks.sign(b'{"stuff":"5"}', "verify_me"), "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA=")

    def test_cloudevents_format(self):
        self.register_sandbox_app(webhook_url=self.receiver.url, webhook_verifier=VERIFIER,
                                  webhook_format="cloudevents")
        customer = self.customer("Bill's Windsurf Shop")
        self.dispatcher.flush()
        received = self.receiver.received[0]
        self.assertEqual(received["headers"]["Content-Type"], "application/cloudevents+json")
        events = json.loads(received["body"])
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["type"], "qbo.customer.created.v1")
        self.assertEqual(events[0]["intuitentityid"], customer["Id"])
        self.assertEqual(events[0]["intuitaccountid"], self.company.realm_id)
        self.assertEqual(events[0]["specversion"], "1.0")

    def test_batches_of_100_per_realm(self):
        for number in range(150):
            self.customer(f"Customer {number}")
        self.dispatcher.flush()
        sizes = [len(self.legacy_entities(received)) for received in self.receiver.received]
        self.assertEqual(sizes, [100, 50])

    def test_retries_keep_the_event_ids_and_hold_later_events(self):
        self.register_sandbox_app(webhook_url=self.receiver.url, webhook_verifier=VERIFIER,
                                  webhook_format="cloudevents")
        self.dispatcher.configure(batch_size=1)
        self.customer("First")
        self.customer("Second")
        self.receiver.statuses[:] = [500, 503]
        deliveries = self.dispatcher.flush()
        self.assertEqual([delivery["status"] for delivery in deliveries], [500, 503, 200, 200])
        ids = [json.loads(received["body"])[0]["id"] for received in self.receiver.received]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[1], ids[2])
        self.assertNotEqual(ids[2], ids[3])
        self.assertEqual(deliveries[2]["attempt"], 3)

    def test_slow_answer_is_retried(self):
        self.dispatcher.configure(timeout=0.2)
        self.customer("Slow")
        self.receiver.delay = 0.5
        self.dispatcher.configure()
        with self.assertRaises(TimeoutError):
            self.dispatcher.flush(timeout=1.5)
        self.receiver.delay = 0.0
        self.dispatcher.flush()
        self.assertGreaterEqual(len(self.receiver.received), 2)
        self.assertEqual(len({received["body"] for received in self.receiver.received}), 1)

    def test_duplicates_and_out_of_order(self):
        self.dispatcher.configure(duplicates=True, out_of_order=True)
        first = self.customer("Early")
        second = self.customer("Late")
        self.dispatcher.flush()
        self.assertEqual(len(self.receiver.received), 2)
        self.assertEqual(self.receiver.received[0]["body"], self.receiver.received[1]["body"])
        ids = [entity["id"] for entity in self.legacy_entities(self.receiver.received[0])]
        self.assertEqual(ids, [second["Id"], first["Id"]])

    def test_only_connected_realms_and_apps_with_a_url(self):
        other = self.create_sandbox_company("Not connected")
        accounting.create(other, "Customer", {"DisplayName": "Nobody hears this"})
        self.dispatcher.flush()
        self.assertFalse(self.receiver.received)

    def test_thread_delivers_without_flush(self):
        self.dispatcher.start()
        self.addCleanup(self.dispatcher.stop)
        self.customer("Threaded")
        limit = time.monotonic() + 5
        while not self.receiver.received and time.monotonic() < limit:
            time.sleep(0.05)
        self.assertEqual(len(self.receiver.received), 1)
