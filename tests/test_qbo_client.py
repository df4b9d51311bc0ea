import requests

from odoo.tests import tagged

from ..qbo_client import QboApiError, QboClient
from .common_sandbox import SandboxClientCommon

CLIENT_LOGGER = "odoo.addons.quickbooks_connector.qbo_client"


@tagged("post_install", "-at_install")
class TestQboClient(SandboxClientCommon):
    """The QBO client against the local sandbox: faults, retries, requestid, paging, batch, logs."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.clear_faults)
        self.sleeps = []
        self.urls = []
        self.session = requests.Session()
        self.session.hooks["response"].append(lambda response, *args, **kwargs: self.urls.append(response.request.url))
        self.client = self.make_client()

    def make_client(self, **options):
        return QboClient(self.sandbox_server.url, self.realm_id, lambda: self.auth.access_token,
                         session=self.session, sleep=self.sleeps.append, **options)

    def new_customer(self, name, requestid=None):
        return self.client.create("Customer", {"DisplayName": name}, requestid=requestid)

    def customers_named(self, name):
        return self.client.query(f"SELECT * FROM Customer WHERE DisplayName = '{name}'").get("Customer", [])

    # ---- Plain calls ----

    def test_read_company_info_and_preferences(self):
        """CompanyInfo and Preferences come back decoded; minorversion 75 is on every call."""
        self.assertEqual(self.client.company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertIn("SalesFormsPrefs", self.client.preferences())
        self.assertEqual(len(self.urls), 2)
        for url in self.urls:
            self.assertIn("minorversion=75", url)
            self.assertTrue(url.startswith(f"{self.sandbox_server.url}/v3/company/{self.realm_id}/"), url)

    def test_create_read_update(self):
        """Create, read and sparse update go to the entity's lower-case path."""
        customer = self.new_customer("Client Create Read")
        self.assertTrue(self.urls[-1].startswith(f"{self.sandbox_server.url}/v3/company/{self.realm_id}/customer?"))
        self.assertEqual(self.client.read("Customer", customer["Id"])["DisplayName"], "Client Create Read")
        updated = self.client.update("Customer", {
            "Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True, "CompanyName": "Renamed Ltd",
        })
        self.assertEqual(updated["CompanyName"], "Renamed Ltd")
        self.assertEqual(updated["DisplayName"], "Client Create Read")
        self.assertEqual(int(updated["SyncToken"]), int(customer["SyncToken"]) + 1)

    # ---- Faults ----

    def test_validation_fault(self):
        """A JSON Fault (duplicate name, 6240) becomes QboApiError with code, message, detail; not retried."""
        self.new_customer("Client Duplicate")
        with self.assertRaises(QboApiError) as caught:
            self.new_customer("Client Duplicate")
        error = caught.exception
        self.assertEqual((error.status, error.code), (400, "6240"))
        self.assertEqual(error.message, "Duplicate Name Exists Error")
        self.assertIn("already using this name", error.detail)
        self.assertFalse(error.retryable)
        self.assertTrue(error.intuit_tid)
        self.assertEqual(self.sleeps, [])

    def test_object_not_found(self):
        """Reading an unknown Id gives Intuit's 610."""
        with self.assertRaises(QboApiError) as caught:
            self.client.read("Customer", "999999")
        self.assertEqual(caught.exception.code, "610")

    def test_fault_shapes(self):
        """Lower-case gateway JSON, XML bodies and non-JSON 5xx all give one QboApiError."""
        client = self.make_client(max_retries=0)
        cases = [
            ({"kind": "authorization"}, 403, "3100", "AuthorizationFailed"),
            ({"kind": "authentication_xml"}, 401, "100", "General Authentication Error"),
            ({"kind": "throttle_xml"}, 429, "3001", "ThrottleExceeded"),
            ({"kind": "throttle"}, 429, "3001", "ThrottleExceeded"),
            ({"status": 503, "body": "<html><body>Service Unavailable</body></html>", "content_type": "text/html"},
             503, None, "HTTP 503"),
        ]
        for fault, status, code, message in cases:
            self.sandbox.inject_fault(path_contains="/companyinfo/", **fault)
            with self.assertRaises(QboApiError, msg=fault) as caught:
                client.company_info()
            error = caught.exception
            self.assertEqual((error.status, error.code), (status, code), fault)
            self.assertIn(message, error.message, fault)
            self.assertEqual(error.retryable, status in (429, 503), fault)

    def test_fault_from_batch_item(self):
        """A batch item's own Fault can be turned into the same error."""
        error = QboApiError.from_fault({"Error": [{"Message": "Object Not Found", "Detail": "gone", "code": "610",
                                                   "element": "CustomerRef"}], "type": "ValidationFault"})
        self.assertEqual((error.code, error.element, error.fault_type), ("610", "CustomerRef", "ValidationFault"))
        self.assertEqual(str(error), "[610] Object Not Found: gone (element CustomerRef)")

    # ---- Retries ----

    def test_throttle_honours_retry_after(self):
        """429 with Retry-After: wait what QuickBooks asks, then succeed."""
        self.sandbox.inject_fault(kind="throttle", headers={"Retry-After": "7"}, path_contains="/companyinfo/")
        self.assertEqual(self.client.company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(self.sleeps, [7.0])

    def test_throttle_backoff_is_bounded(self):
        """429 without Retry-After: exponential back-off, at most max_retries times, then the error."""
        self.sandbox.inject_fault(kind="throttle_xml", count=5, path_contains="/companyinfo/")
        with self.assertRaises(QboApiError) as caught:
            self.client.company_info()
        self.assertEqual(caught.exception.status, 429)
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(self.sleeps, [1, 2, 4])
        self.assertEqual(self.sandbox.summary()["pending_faults"], 1)

    def test_throttled_write_is_retried(self):
        """A throttled write was not processed: it is sent again even without requestid."""
        self.sandbox.inject_fault(kind="throttle", path_contains="/customer")
        self.new_customer("Client Throttled")
        self.assertEqual(len(self.customers_named("Client Throttled")), 1)

    def test_server_error_retried_for_reads(self):
        """A 503 on a GET is retried."""
        self.sandbox.inject_fault(status=503, path_contains="/companyinfo/")
        self.assertEqual(self.client.company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(self.sleeps, [1])

    def test_server_error_not_retried_for_unsafe_write(self):
        """A 5xx on a write without requestid is not repeated (it might have been done)."""
        self.sandbox.inject_fault(status=500, count=2, method="POST", path_contains="/customer")
        with self.assertRaises(QboApiError) as caught:
            self.new_customer("Client Unsafe")
        self.assertEqual(caught.exception.status, 500)
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(self.sleeps, [])
        self.assertEqual(self.sandbox.summary()["pending_faults"], 1, "sent once")

    def test_lost_answer_with_requestid_retried_without_duplicate(self):
        """QuickBooks created it but the answer was lost: the retry with the same requestid replays it."""
        self.sandbox.inject_fault(status=502, method="POST", path_contains="/customer", after_commit=True)
        customer = self.new_customer("Client Lost Answer", requestid="odoo-res.partner-42-v1")
        self.assertEqual(self.sleeps, [1])
        found = self.customers_named("Client Lost Answer")
        self.assertEqual([record["Id"] for record in found], [customer["Id"]])
        self.assertIn("requestid=odoo-res.partner-42-v1", self.urls[0])
        again = self.new_customer("Client Lost Answer", requestid="odoo-res.partner-42-v1")
        self.assertEqual(again["Id"], customer["Id"])

    def test_timeout_retried_only_when_safe(self):
        """A slow answer times out: a GET is retried, a write without requestid is not."""
        client = self.make_client(timeout=0.5)
        self.sandbox.inject_fault(status=500, delay=1.5, path_contains="/companyinfo/")
        self.assertEqual(client.company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(self.sleeps, [1])
        self.sandbox.inject_fault(status=500, delay=1.5, method="POST", path_contains="/customer")
        with self.assertRaises(QboApiError) as caught:
            client.create("Customer", {"DisplayName": "Client Timeout"})
        self.assertIsNone(caught.exception.status)
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(self.sleeps, [1])

    def test_unauthorized_refreshes_once(self):
        """A 401 calls on_unauthorized once, then the call is sent again with the new token."""
        tokens = ["expired-token"]
        refreshes = []

        def on_unauthorized():
            refreshes.append(True)
            tokens.append(self.auth.access_token)

        client = QboClient(self.sandbox_server.url, self.realm_id, lambda: tokens[-1],
                           on_unauthorized=on_unauthorized, session=self.session, sleep=self.sleeps.append)
        self.assertEqual(client.company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(len(refreshes), 1)

    def test_requestid_too_long(self):
        """Intuit accepts requestids up to 50 characters."""
        with self.assertRaises(ValueError):
            self.new_customer("Client Long Id", requestid="x" * 51)
        self.assertEqual(self.urls, [])

    # ---- Query and batch ----

    def test_batch_split_and_query_all_paging(self):
        """Batch sends by 30 and answers in input order; query_all pages by 1000."""
        items = [{"bId": f"c{index}", "operation": "create", "Customer": {"DisplayName": f"Paging {index:04d}"}}
                 for index in range(1001)]
        items.insert(5, {"bId": "dup", "operation": "create", "Customer": {"DisplayName": "Paging 0000"}})
        results = self.client.batch(items)
        self.assertEqual(len(self.urls), 34)  # 1002 items by 30
        self.assertEqual([result["bId"] for result in results], [item["bId"] for item in items])
        self.assertEqual(results[5]["Fault"]["Error"][0]["code"], "6240")
        self.assertEqual(results[6]["Customer"]["DisplayName"], "Paging 0005")
        records = self.client.query_all("Customer", where="DisplayName LIKE 'Paging%'")
        self.assertEqual(len(records), 1001)
        self.assertEqual(len({record["Id"] for record in records}), 1001)
        self.assertEqual(len(self.urls), 34 + 2)

    # ---- Logs ----

    def test_logs_carry_no_token_nor_body(self):
        """Logs name the method, path and status, never a token nor a payload."""
        with self.assertLogs(CLIENT_LOGGER, "DEBUG") as logs:
            self.new_customer("Client Very Private Name")
            self.sandbox.inject_fault(kind="throttle", path_contains="/query")
            self.customers_named("Client Very Private Name")
            with self.assertRaises(QboApiError):
                self.new_customer("Client Very Private Name")
        output = "\n".join(logs.output)
        self.assertIn("QuickBooks POST customer: HTTP 200", output)
        self.assertIn("QuickBooks POST query: HTTP 429, retry 1", output)
        self.assertIn("QuickBooks POST customer: HTTP 400", output)
        for secret in (self.auth.access_token, self.auth.refresh_token, "Very Private"):
            self.assertNotIn(secret, output)
