import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.etree import ElementTree

import requests
from intuitlib.client import AuthClient

from odoo.tests import BaseCase, tagged

from ..qbo_sandbox.demo import CALLBACK_PATH, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CUSTOMERS, DEMO_REALM_ID
from ..qbo_sandbox.server import SandboxServer
from ..qbo_sandbox.state import SandboxState
from ..qbo_sandbox.testing import SandboxTestMixin

TIMEOUT = 10
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestSandboxHttp(SandboxTestMixin, BaseCase):
    """The sandbox's HTTP layer: intuit_tid, injected faults, control API, persistence, command line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.register_sandbox_app()
        self.company = self.create_sandbox_company()
        self.client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)

    # ---- helpers ----

    def api(self, method, subpath, access_token=None, server=None, **kwargs):
        server = server or self.sandbox_server
        return requests.request(
            method, f"{server.url}/v3/company/{self.company.realm_id}/{subpath}",
            headers={
                "Authorization": f"Bearer {access_token or self.client.access_token}", "Accept": "application/json",
            },
            timeout=kwargs.pop("timeout", TIMEOUT), **kwargs,
        )

    def create_customer(self, name, **kwargs):
        return self.api("POST", "customer?minorversion=75", json={"DisplayName": name}, **kwargs)

    def customers_named(self, name, **kwargs):
        statement = f"select * from Customer where DisplayName = '{name}'"
        response = self.api("GET", "query", params={"query": statement}, **kwargs)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()["QueryResponse"].get("Customer", [])

    def control(self, method, name, payload=None, server=None):
        server = server or self.sandbox_server
        return requests.request(method, f"{server.url}/_sandbox/{name}", json=payload, timeout=TIMEOUT)

    # ---- intuit_tid ----

    def test_every_response_has_an_intuit_tid(self):
        """OAuth, API, fault, control and unknown paths all answer with a fresh intuit_tid."""
        base = self.sandbox_server.url
        responses = [
            requests.get(self.sandbox_server.discovery_url, timeout=TIMEOUT),
            requests.get(f"{base}/connect/oauth2", timeout=TIMEOUT),
            requests.post(f"{base}/oauth2/v1/tokens/bearer", timeout=TIMEOUT),
            requests.get(f"{base}/op/v1/jwks", timeout=TIMEOUT),
            self.api("GET", f"companyinfo/{self.company.realm_id}"),
            self.api("GET", f"companyinfo/{self.company.realm_id}", access_token="not-a-token"),
            requests.get(f"{base}/no/such/path", timeout=TIMEOUT),
            requests.delete(self.sandbox_server.discovery_url, timeout=TIMEOUT),
            self.control("GET", "state"),
        ]
        self.assertEqual(
            [response.status_code for response in responses], [200, 400, 401, 200, 200, 401, 404, 405, 200],
        )
        tids = [response.headers.get("intuit_tid") for response in responses]
        self.assertTrue(all(tids), tids)
        self.assertEqual(len(set(tids)), len(tids))

    # ---- faults ----

    def test_fault_status_body_and_count(self):
        """An injected fault answers the next N matching requests only, then the sandbox is itself again."""
        self.sandbox.inject_fault(
            status=503, body="<html><body>Service Unavailable</body></html>", content_type="text/html",
            count=2, path_contains="/companyinfo/",
        )
        self.assertEqual(self.api("GET", "query", params={"query": "select * from Customer"}).status_code, 200)
        for _attempt in range(2):
            response = self.api("GET", f"companyinfo/{self.company.realm_id}")
            self.assertEqual(response.status_code, 503)
            self.assertEqual(response.text, "<html><body>Service Unavailable</body></html>")
            self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}").status_code, 200)
        self.assertEqual(self.sandbox.summary()["pending_faults"], 0)

    def test_fault_before_commit_writes_nothing(self):
        """A fault that is not after_commit answers without processing the request."""
        self.sandbox.inject_fault(status=500, body='{"error": "boom"}', content_type="application/json", method="POST")
        self.assertEqual(self.create_customer("Never Created Ltd").status_code, 500)
        self.assertEqual(self.customers_named("Never Created Ltd"), [])

    def test_throttle_fault_as_xml_with_retry_after(self):
        """A throttle fault can come as Intuit's XML body, with extra headers such as Retry-After."""
        self.sandbox.inject_fault(kind="throttle_xml", headers={"Retry-After": "2"})
        response = self.api("GET", f"companyinfo/{self.company.realm_id}")
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.headers["Retry-After"], "2")
        self.assertTrue(response.headers["Content-Type"].startswith("application/xml"))
        namespace = {"q": "http://schema.intuit.com/finance/v3"}
        error = ElementTree.fromstring(response.content).find("q:Fault/q:Error", namespace)
        self.assertEqual(error.get("code"), "3001")
        self.assertIn("ThrottleExceeded", error.find("q:Message", namespace).text)
        self.sandbox.inject_fault(kind="throttle")
        response = self.api("GET", f"companyinfo/{self.company.realm_id}")
        self.assertEqual((response.status_code, response.json()["Fault"]["Error"][0]["code"]), (429, "3001"))

    def test_unknown_fault_kind_is_refused(self):
        """A fault injection with an unknown kind or a zero count is refused and queues nothing."""
        with self.assertRaises(ValueError):
            self.sandbox.inject_fault(kind="meteor")
        with self.assertRaises(ValueError):
            self.sandbox.inject_fault(count=0)
        self.assertEqual(self.sandbox.summary()["pending_faults"], 0)

    def test_delay_makes_the_client_time_out(self):
        """A delayed fault really waits, so the client's own timeout fires."""
        self.sandbox.inject_fault(status=503, delay=1.0, path_contains="/companyinfo/")
        started = time.monotonic()
        with self.assertRaises(requests.exceptions.ReadTimeout):
            self.api("GET", f"companyinfo/{self.company.realm_id}", timeout=0.3)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}").status_code, 200)

    def test_after_commit_fault_keeps_the_write(self):
        """after_commit: QBO commits the create but the answer is lost (error, timeout or dropped connection)."""
        self.sandbox.inject_fault(status=502, body="Bad Gateway", after_commit=True, path_contains="/customer")
        self.assertEqual(self.create_customer("Lost Answer Ltd").status_code, 502)
        self.assertEqual(len(self.customers_named("Lost Answer Ltd")), 1)

        self.sandbox.inject_fault(kind="drop", after_commit=True, path_contains="/customer")
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.create_customer("Dropped Answer Ltd")
        self.assertEqual(len(self.customers_named("Dropped Answer Ltd")), 1)

        self.sandbox.inject_fault(status=200, delay=1.0, after_commit=True, path_contains="/customer")
        with self.assertRaises(requests.exceptions.ReadTimeout):
            self.create_customer("Slow Answer Ltd", timeout=0.3)
        self.assertEqual(len(self.customers_named("Slow Answer Ltd")), 1)

    # ---- control API ----

    def test_control_api(self):
        """The control API registers apps and companies, moves the clock, queues faults, never shows secrets."""
        response = self.control("POST", "apps", {
            "client_id": "make-run-client", "client_secret": "make-run-secret",
            "redirect_uris": ["http://127.0.0.1:8069/quickbooks/oauth/callback"], "grace_period": 60,
        })
        self.assertEqual(response.status_code, 201)
        self.assertNotIn("make-run-secret", response.text)
        self.assertEqual(self.sandbox.apps["make-run-client"]["grace_period"], 60)

        response = self.control("POST", "companies", {"realm_id": "9341453000000777", "name": "Control Co"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json(), {"realm_id": "9341453000000777", "name": "Control Co"})
        self.assertEqual(self.sandbox.companies["9341453000000777"].name, "Control Co")
        for payload in ({"realm_id": "9341453000000777", "name": "Twice"}, {"realm_id": "abc"}, ["not", "a", "dict"]):
            response = self.control("POST", "companies", payload)
            self.assertEqual(response.status_code, 400, payload)
            self.assertIn("error", response.json())
        self.assertEqual(len(self.sandbox.companies), 2)

        before = self.sandbox.clock.now()
        response = self.control("POST", "clock", {"advance": 7200})
        self.assertAlmostEqual(datetime.fromisoformat(response.json()["now"]) - before, timedelta(hours=2),
                               delta=timedelta(seconds=5))
        moment = datetime(2030, 1, 31, 12, 0, tzinfo=timezone.utc)
        self.control("POST", "clock", {"set": moment.isoformat()})
        self.assertAlmostEqual(self.sandbox.clock.now(), moment, delta=timedelta(seconds=5))
        self.assertEqual(self.control("POST", "clock", {"set": "2030-01-31T12:00:00"}).status_code, 400)
        self.assertEqual(self.control("POST", "clock", {}).status_code, 400)
        self.control("POST", "clock", {"reset": True})
        self.assertAlmostEqual(self.sandbox.clock.now(), datetime.now(timezone.utc), delta=timedelta(seconds=5))

        response = self.control("POST", "faults", {"status": 503, "count": 3, "path_contains": "/companyinfo/"})
        self.assertEqual((response.status_code, response.json()), (201, {"pending_faults": 3}))
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}").status_code, 503)
        self.assertEqual(self.control("POST", "faults", {"kind": "meteor"}).status_code, 400)
        self.assertEqual(self.control("DELETE", "faults").json(), {"pending_faults": 0})
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}").status_code, 200)

        summary = self.control("GET", "state")
        self.assertEqual(summary.status_code, 200)
        secrets = (self.SANDBOX_CLIENT_SECRET, "make-run-secret", self.client.access_token, self.client.refresh_token)
        for secret in secrets:
            self.assertNotIn(secret, summary.text)
        companies = {company["realm_id"]: company for company in summary.json()["companies"]}
        self.assertEqual(companies[self.company.realm_id]["connections"], 1)

        self.assertEqual(self.control("POST", "reset").status_code, 200)
        self.assertEqual(self.sandbox.summary()["companies"], [])
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}").status_code, 401)

    # ---- persistence ----

    def test_state_save_and_load_round_trip(self):
        """A saved state comes back whole: companies and their data, apps, tokens and the clock."""
        self.assertEqual(self.create_customer("Persisted Ltd").status_code, 200)
        self.sandbox.clock.advance(1000)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "sandbox.json")
            self.sandbox.save(path)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, "the file holds secrets")
            restored = SandboxState()
            restored.load(path)
            with open(path, "w", encoding="utf-8") as stream:
                json.dump({"something": "else"}, stream)
            with self.assertRaises(ValueError):
                restored.load(path)
        self.assertEqual(restored.companies[self.company.realm_id].name, self.company.name)
        self.assertAlmostEqual(restored.clock.now(), self.sandbox.clock.now(), delta=timedelta(seconds=5))
        server = SandboxServer(state=restored).start()
        self.addCleanup(server.stop)
        self.assertEqual(len(self.customers_named("Persisted Ltd", server=server)), 1)
        client = AuthClient(
            self.SANDBOX_CLIENT_ID, self.SANDBOX_CLIENT_SECRET, self.SANDBOX_REDIRECT_URI, server.discovery_url,
        )
        client.refresh(self.client.refresh_token)
        response = self.api("GET", f"companyinfo/{self.company.realm_id}", client.access_token, server)
        self.assertEqual(response.status_code, 200)
        restored.clock.advance(2601)
        self.assertEqual(self.api("GET", f"companyinfo/{self.company.realm_id}", server=server).status_code, 401)

    # ---- command line ----

    def test_command_line_serves_saves_and_reloads(self):
        """python -m qbo_sandbox --demo serves the demo (for an Odoo on another port than 8069 too), saves
        its state on Ctrl-C and loads it back."""
        connection = {}

        def connect_demo(base):
            client = AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, f"http://127.0.0.1:8123{CALLBACK_PATH}",
                                f"{base}/.well-known/openid_configuration")
            connection["access_token"] = self.authorize(client, DEMO_REALM_ID).access_token
            self.assertEqual(self.count_demo_customers(base, connection["access_token"]), len(DEMO_CUSTOMERS))

        def reuse_connection(base):
            self.assertEqual(self.count_demo_customers(base, connection["access_token"]), len(DEMO_CUSTOMERS))

        with tempfile.TemporaryDirectory() as directory:
            state_file = os.path.join(directory, "state.json")
            output = self.run_command_line(["--demo", "--odoo-port", "8123", "--state-file", state_file],
                                           connect_demo)
            self.assertIn(f"client id {DEMO_CLIENT_ID}", output)
            self.assertIn(f"realm id {DEMO_REALM_ID}", output)
            self.assertIn(f"Saved the sandbox state to {state_file}", output)
            self.assertNotIn(connection["access_token"], output)
            output = self.run_command_line(["--state-file", state_file], reuse_connection)
            self.assertIn(f"Loaded the sandbox state from {state_file}", output)

    @staticmethod
    def count_demo_customers(base, access_token):
        response = requests.get(
            f"{base}/v3/company/{DEMO_REALM_ID}/query", params={"query": "select count(*) from Customer"},
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}, timeout=TIMEOUT,
        )
        return response.json()["QueryResponse"]["totalCount"]

    def run_command_line(self, arguments, check):
        """Start the sandbox's command line on a free port, run ``check(base_url)``, then press Ctrl-C."""
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "qbo_sandbox", "--port", str(port), *arguments], cwd=REPOSITORY_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    discovery = requests.get(f"{base}/.well-known/openid_configuration", timeout=2)
                    break
                except requests.exceptions.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        self.fail(f"the sandbox did not start: {process.communicate()[0]}")
                    time.sleep(0.1)
            self.assertEqual(discovery.json()["token_endpoint"], f"{base}/oauth2/v1/tokens/bearer")
            check(base)
            process.send_signal(signal.SIGINT)
            output = process.communicate(timeout=30)[0]
            self.assertEqual(process.returncode, 0, output)
            return output
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
