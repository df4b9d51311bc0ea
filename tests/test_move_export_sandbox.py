import threading

import requests

from odoo.tests import BaseCase, tagged

from ..qbo_sandbox import limits, send
from .common_sandbox import TIMEOUT, SandboxApiHelpers


@tagged("post_install", "-at_install")
class TestSandboxExportAdditions(SandboxApiHelpers, BaseCase):
    """What the invoice export needs from the sandbox: throttling, send by email, the transaction page."""

    def setUp(self):
        super().setUp()
        self.limiter = limits.for_state(self.sandbox)
        self.addCleanup(self.limiter.configure, **limits.DEFAULTS)
        customer = self.create("Customer", {"DisplayName": "Send Test Co",
                                            "PrimaryEmailAddr": {"Address": "ap@sendtest.example"}})
        item = self.create("Item", {"Name": "Send Test Item", "Type": "Service",
                                    "IncomeAccountRef": {"value": "14"}})
        self.invoice = self.create("Invoice", {
            "CustomerRef": {"value": customer["Id"]}, "DocNumber": "SEND-1",
            "BillEmail": {"Address": "ap@sendtest.example"},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 20,
                      "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2, "UnitPrice": 10}}],
        })
        self.limiter.reset()  # windows and counts start with the test

    def test_rate_limit_answers_429_fault_3001(self):
        """Over the per-minute limit: 429, Fault 3001 ThrottleExceeded and a Retry-After; nothing done."""
        self.limiter.configure(enabled=True, per_minute=3, window=60)
        for _index in range(3):
            self.ok(self.api("GET", f"invoice/{self.invoice['Id']}"))
        answer = self.api("GET", f"invoice/{self.invoice['Id']}")
        error = self.fault(answer, "3001", status=429)
        self.assertEqual(error["Message"], "message=ThrottleExceeded; errorCode=003001; statusCode=429")
        self.assertGreater(int(answer.headers["Retry-After"]), 0)
        before = len(self.company.all("Customer"))
        self.fault(self.post("customer", {"DisplayName": "Throttled Co"}), "3001", status=429)
        self.assertEqual(len(self.company.all("Customer")), before)
        self.assertEqual(self.limiter.count(self.company.realm_id, "throttled"), 2)
        # switched off, the same calls go through
        self.limiter.configure(enabled=False)
        self.ok(self.api("GET", f"invoice/{self.invoice['Id']}"))

    def test_batch_calls_have_their_own_limit(self):
        """Batch calls count against the batch window too."""
        self.limiter.configure(enabled=True, batch_per_minute=1, window=60)
        body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Customer"}]}
        self.ok(self.post("batch", body))
        self.fault(self.post("batch", body), "3001", status=429)
        self.ok(self.api("GET", f"invoice/{self.invoice['Id']}"))

    def test_intuit_default_limits(self):
        """Intuit's limits by default: 10 requests a second, 40 batch calls a minute per app, 120 per realm."""
        self.limiter.configure(enabled=True)
        for _index in range(10):
            self.ok(self.api("GET", f"invoice/{self.invoice['Id']}"))
        answer = self.api("GET", f"invoice/{self.invoice['Id']}")
        self.fault(answer, "3001", status=429)
        self.assertEqual(answer.headers["Retry-After"], "1")
        self.limiter.reset()
        self.limiter.configure(per_second=1000)  # only the batch windows matter below
        body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Customer"}]}
        for _index in range(40):
            self.ok(self.post("batch", body))
        self.fault(self.post("batch", body), "3001", status=429)
        self.ok(self.api("GET", f"invoice/{self.invoice['Id']}"))
        # Another app has its own 40 batch calls on the realm, within the realm's 120.
        self.limiter.reset()
        self.limiter.configure(realm_batch_per_minute=50)
        self.register_sandbox_app("second-app", "second-secret")
        other = self.authorize(self.sandbox_auth_client("second-app", "second-secret"), self.company.realm_id)

        def other_batch():
            return requests.post(f"{self.sandbox_server.url}/v3/company/{self.company.realm_id}/batch", json=body,
                                 headers={"Authorization": f"Bearer {other.access_token}",
                                          "Accept": "application/json"}, timeout=TIMEOUT)

        for _index in range(40):
            self.ok(self.post("batch", body))
        for _index in range(10):
            self.ok(other_batch())
        self.fault(other_batch(), "3001", status=429)

    def test_concurrent_requests_beyond_the_limit(self):
        """With 2 requests allowed at once, a third one in flight at the same time is refused."""
        self.limiter.configure(enabled=True, concurrent=2, latency=0.5)
        statuses = []

        def call():
            statuses.append(self.api("GET", f"invoice/{self.invoice['Id']}").status_code)

        threads = [threading.Thread(target=call) for _index in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(statuses), [200, 200, 429])

    def test_send_invoice(self):
        """Send: EmailSent, DeliveryInfo, BillEmail replaced by sendTo, a new SyncToken, the email captured."""
        answer = self.api("POST", f"invoice/{self.invoice['Id']}/send", params={"sendTo": "boss@sendtest.example"},
                          headers={"Content-Type": "application/octet-stream"})
        doc = self.ok(answer, "Invoice")
        self.assertEqual(doc["EmailStatus"], "EmailSent")
        self.assertEqual(doc["BillEmail"]["Address"], "boss@sendtest.example")
        self.assertEqual(doc["DeliveryInfo"]["DeliveryType"], "Email")
        self.assertEqual(int(doc["SyncToken"]), int(self.invoice["SyncToken"]) + 1)
        self.assertEqual(send.outbox(self.company)[-1]["to"], "boss@sendtest.example")

    def test_send_refusals(self):
        """A bad address, an unknown invoice and an entity that cannot be emailed are refused."""
        path = f"invoice/{self.invoice['Id']}/send"
        self.fault(self.api("POST", path, params={"sendTo": "not an address"}), "2050")
        self.fault(self.api("POST", "invoice/999999/send"), "610")
        self.fault(self.api("POST", "bill/1/send"), "500")
        self.assertEqual(self.company.get("Invoice", self.invoice["Id"]).get("EmailStatus"), None)

    def test_transaction_page(self):
        """The page a connector links to shows the transaction; unknown ones are 404."""
        base = f"{self.sandbox_server.url}/app/invoice"
        page = requests.get(base, params={"txnId": self.invoice["Id"], "realmId": self.company.realm_id},
                            timeout=TIMEOUT)
        self.assertEqual(page.status_code, 200)
        self.assertIn("SEND-1", page.text)
        missing = requests.get(base, params={"txnId": "999999", "realmId": self.company.realm_id}, timeout=TIMEOUT)
        self.assertEqual(missing.status_code, 404)
