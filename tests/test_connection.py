import logging
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import CALLBACK_ROUTE
from ..models.qbo_sync_cursor import STREAMS
from .common import QboTestCommon, query_params


@tagged("post_install", "-at_install")
class TestConnectionFlow(QboTestCommon):
    """Connecting a company over real HTTP: Odoo, the sandbox's consent page, Odoo's callback."""

    qbo_connect_company = False

    def setUp(self):
        super().setUp()
        self.authenticate(self.admin_user.login, self.admin_user.login)

    def click(self, method, company=None):
        """Press a button of the company form through the web client's RPC route."""
        company = company or self.company
        return self.make_jsonrpc_request("/web/dataset/call_button", {
            "model": "res.company", "method": method, "args": [company.ids],
            "kwargs": {"context": {"allowed_company_ids": company.ids}},
        })

    def consent(self, action, approve=True, realm_id=None):
        """Answer the sandbox's consent page; return the URL it redirects to (Odoo's callback)."""
        answer = self.sandbox_consent(action["url"], realm_id or self.realm_id, approve=approve)
        self.assertEqual(answer.status_code, 302, answer.text)
        location = answer.headers["Location"]
        self.assertTrue(location.startswith(self.company.qbo_redirect_uri), location)
        return location

    def callback(self, **params):
        """Open Odoo's callback with these query values, as the browser would after the consent."""
        response = self.opener.get(self.base_url() + CALLBACK_ROUTE, params=params, timeout=30,
                                   allow_redirects=False)
        self.env.invalidate_all()
        return response

    def assertNothingStored(self, response, status, text):
        self.assertEqual(response.status_code, status, response.text)
        self.assertIn("The company was not connected to QuickBooks Online", response.text)
        self.assertIn(text, response.text)
        token = self.qbo_token()
        self.assertRecordValues(token, [{"state": "disconnected", "access_token": False, "refresh_token": False}])
        self.assertFalse(self.company.qbo_realm_id)
        self.assertEqual(self.company.qbo_state, "disconnected")

    # ---- The whole flow ----

    def test_connect_over_http(self):
        """Connect, consent, callback: the company is connected to the QuickBooks company, by name."""
        action = self.click("action_qbo_connect")
        self.assertEqual(action["type"], "ir.actions.act_url")
        authorize = urlsplit(action["url"])
        self.assertEqual(f"{authorize.scheme}://{authorize.netloc}", self.sandbox_server.url)
        params = query_params(action["url"])
        self.assertEqual(params["scope"], "com.intuit.quickbooks.accounting")
        self.assertEqual(params["redirect_uri"], self.company.qbo_redirect_uri)
        self.assertEqual(params["client_id"], self.SANDBOX_CLIENT_ID)

        location = self.consent(action)
        response = self.opener.get(location, timeout=30)
        self.env.invalidate_all()

        self.assertEqual(response.status_code, 200)
        # back on the setup checklist, in the Accounting app, which shows the connection
        returned = urlsplit(response.url)
        self.assertEqual((returned.path, returned.query),
                         ("/odoo/quickbooks-setup", f"cids={self.company.id}"))
        self.assertRecordValues(self.company, [{
            "qbo_state": "connected",
            "qbo_realm_id": self.realm_id,
            "qbo_company_name": "Sandbox Company_US_1",
            # what exports depend on, read in the same request as the name
            "qbo_country": "US",
            "qbo_home_currency": "USD",
            "qbo_uses_sales_tax": True,
            "qbo_multicurrency": False,
        }])
        self.assertTrue(self.company.qbo_connected_at and self.company.qbo_preferences_read_at)
        token = self.qbo_token()
        self.assertTrue(token.access_token and token.refresh_token)
        self.assertGreater(token.access_token_expires_at, fields.Datetime.now() + timedelta(minutes=55))
        self.assertFalse(token.oauth_nonce, "the state is single-use")
        # The connection works: a test from the form reads QuickBooks.
        notification = self.click("action_qbo_test_connection")
        self.assertIn("Connected to Sandbox Company_US_1", notification["params"]["message"])
        self.assertNotIn(self.realm_id, notification["params"]["message"], "realm ids are for developer mode")

    def test_callback_code_and_state_not_in_access_log(self):
        """The HTTP access log shows the callback without its authorization code and state."""
        location = self.consent(self.click("action_qbo_connect"))
        params = query_params(location)
        request_line = f"GET {urlsplit(location).path}?{urlsplit(location).query} HTTP/1.1"
        # The record werkzeug's request handler logs for every request (werkzeug.serving.log_request).
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 0, '%s - - [%s] "%s" %s %s',
                                   ("127.0.0.1", "22/Nov/2026 04:00:00", request_line, "303", "-"), None)
        self.assertTrue(logging.getLogger("werkzeug").filter(record))
        logged = record.getMessage()
        self.assertIn(CALLBACK_ROUTE, logged)
        self.assertIn("code=[redacted]", logged)
        self.assertIn(f"realmId={self.realm_id}", logged)
        self.assertNotIn(params["code"], logged)
        self.assertNotIn(params["state"], logged)

    def test_logged_out_callback_keeps_code_and_state_out_of_the_log(self):
        """Logged out, the callback sends to the login page with the callback in its ``redirect``
        parameter, percent-encoded (twice, after another redirect): no form of the request lines the
        access log records shows the code or the state."""
        location = self.consent(self.click("action_qbo_connect"))
        params = query_params(location)
        self.logout()
        login = self.opener.get(location, timeout=30, allow_redirects=False)
        self.assertEqual(login.status_code, 303)
        login_path = urlsplit(login.headers["Location"])
        self.assertEqual(login_path.path, "/web/login")
        self.assertIn("code%3D", login_path.query)
        twice = login_path.query.replace("%", "%25")
        for request_line in (f"GET {urlsplit(location).path}?{urlsplit(location).query} HTTP/1.1",
                             f"GET /web/login?{login_path.query} HTTP/1.1",
                             f"GET /web/login?next=%2Fweb%2Flogin%3F{twice} HTTP/1.1"):
            # The record werkzeug's request handler logs for every request (werkzeug.serving.log_request).
            record = logging.LogRecord("werkzeug", logging.INFO, __file__, 0, '%s - - [%s] "%s" %s %s',
                                       ("127.0.0.1", "22/Nov/2026 04:00:00", request_line, "303", "-"), None)
            self.assertTrue(logging.getLogger("werkzeug").filter(record))
            logged = record.getMessage()
            self.assertIn("[redacted]", logged)
            for secret in (params["code"], params["state"]):
                self.assertNotIn(secret, logged)

    def test_connect_from_settings_returns_to_settings(self):
        """Connecting from Accounting settings comes back to the settings."""
        settings = self.env["res.config.settings"].with_user(self.admin_user).create({})
        action = settings.action_qbo_connect()
        response = self.opener.get(self.consent(action), timeout=30, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/odoo/action-account.action_account_config"))
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_state, "connected")

    # ---- Each refusal of the callback ----

    def test_callback_without_state(self):
        """An answer without state is refused and stores nothing."""
        self.click("action_qbo_connect")
        self.assertNothingStored(self.callback(code="x", realmId=self.realm_id), 400, "no valid state")

    @mute_logger("odoo.addons.quickbooks_connector.models.qbo_connection")
    def test_callback_forged_state(self):
        """A state whose signature does not match is refused; the pending request stays usable."""
        location = self.consent(self.click("action_qbo_connect"))
        params = query_params(location)
        encoded, _dot, signature = params["state"].partition(".")
        forged = dict(params, state=f"{encoded}.{'0' * len(signature)}")
        self.assertNothingStored(self.callback(**forged), 403, "does not match a request")
        self.assertTrue(self.qbo_token().oauth_nonce)
        self.assertEqual(self.opener.get(location, timeout=30).status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_state, "connected")

    def test_callback_replayed_state(self):
        """The same answer opened twice: the second is refused and changes nothing."""
        location = self.consent(self.click("action_qbo_connect"))
        self.assertEqual(self.opener.get(location, timeout=30).status_code, 200)
        self.env.invalidate_all()
        stored = self.qbo_token().read(["access_token", "refresh_token"])
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertIn("already used", response.text)
        self.assertEqual(self.qbo_token().read(["access_token", "refresh_token"]), stored)

    def test_callback_expired_state(self):
        """A state older than 10 minutes is refused."""
        with freeze_time(fields.Datetime.now() - timedelta(minutes=11)):
            action = self.company.with_user(self.admin_user).action_qbo_connect()
        location = self.consent(action)
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        self.assertNothingStored(response, 400, "expired")

    def test_callback_other_user_state(self):
        """An administrator cannot complete a connection another administrator started."""
        other_admin = self._qbo_new_user("qbo_admin_2", "base.group_user,base.group_system")
        location = self.consent(self.click("action_qbo_connect"))
        self.authenticate(other_admin.login, other_admin.login)
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        self.assertNothingStored(response, 403, "started by another user")

    def test_callback_non_admin(self):
        """A QuickBooks manager who is not administrator cannot complete a connection."""
        location = self.consent(self.click("action_qbo_connect"))
        self.authenticate(self.qbo_manager.login, self.qbo_manager.login)
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        self.assertNothingStored(response, 403, "Only a system administrator")

    def test_callback_requires_login(self):
        """The callback is for logged-in users: anonymous visitors go to the login page."""
        location = self.consent(self.click("action_qbo_connect"))
        self.logout()
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_state, "disconnected")

    def test_callback_consent_declined(self):
        """Cancel on Intuit's consent page: a page says so and nothing is stored."""
        location = self.consent(self.click("action_qbo_connect"), approve=False)
        self.assertEqual(query_params(location)["error"], "access_denied")
        response = self.opener.get(location, timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        self.assertNothingStored(response, 400, "declined")
        self.assertFalse(self.qbo_token().oauth_nonce, "a used state cannot be used again")

    def test_callback_code_exchange_failure(self):
        """A code QuickBooks does not know is refused at the exchange: nothing is stored."""
        params = query_params(self.consent(self.click("action_qbo_connect")))
        response = self.callback(state=params["state"], code="AB11-not-a-code", realmId=params["realmId"])
        self.assertNothingStored(response, 400, "did not accept the authorization code (400)")

    def test_reconnect_other_realm_needs_confirmation(self):
        """Reconnecting to another QuickBooks company is refused until the administrator allows it."""
        self.opener.get(self.consent(self.click("action_qbo_connect")), timeout=30)
        self.click("action_qbo_disconnect")
        self.env.invalidate_all()
        self.assertRecordValues(self.company, [{"qbo_state": "disconnected", "qbo_realm_id": self.realm_id}])
        other_realm = self.create_sandbox_company("Sandbox Company_US_2").realm_id

        response = self.opener.get(self.consent(self.click("action_qbo_connect"), realm_id=other_realm),
                                   timeout=30, allow_redirects=False)
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 403)
        self.assertIn("QuickBooks ids recorded so far invalid", response.text)
        self.assertRecordValues(self.company, [{"qbo_state": "disconnected", "qbo_realm_id": self.realm_id}])
        self.assertFalse(self.qbo_token().access_token)

        self.company.with_user(self.admin_user).qbo_allow_realm_change = True
        connection = self.company._qbo_connection()
        with patch.object(type(connection), "_qbo_on_realm_change", autospec=True) as hook:
            response = self.opener.get(self.consent(self.click("action_qbo_connect"), realm_id=other_realm),
                                       timeout=30)
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200)
        hook.assert_called_once()
        self.assertEqual((hook.call_args.args[0].id, *hook.call_args.args[1:]),
                         (connection.id, self.realm_id, other_realm))
        self.assertRecordValues(self.company, [{
            "qbo_state": "connected", "qbo_realm_id": other_realm, "qbo_company_name": "Sandbox Company_US_2",
        }])
        self.assertFalse(self.company.sudo().qbo_allow_realm_change, "the confirmation is used once")

    def test_same_realm_for_two_companies_refused(self):
        """A QuickBooks company connected to one Odoo company cannot be linked to a second one."""
        self.opener.get(self.consent(self.click("action_qbo_connect")), timeout=30)
        other = self.env["res.company"].create({
            "name": "Second company",
            "qbo_client_id": self.SANDBOX_CLIENT_ID,
            "qbo_client_secret": self.SANDBOX_CLIENT_SECRET,
            "qbo_environment": "custom",
            "qbo_discovery_url": self.sandbox_server.discovery_url,
        })
        self.admin_user.company_ids |= other
        response = self.opener.get(self.consent(self.click("action_qbo_connect", other)), timeout=30,
                                   allow_redirects=False)
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 403)
        self.assertIn("already connected to the Odoo company", response.text)
        self.assertEqual(other.qbo_state, "disconnected")
        self.assertFalse(other.qbo_realm_id)


@tagged("post_install", "-at_install")
class TestRealmChange(QboTestCommon):
    """Connecting a company to another QuickBooks company resets, in one place, what the first left."""

    def test_realm_change_resets_every_stream(self):
        """Every stream's cursor and retry list, the links and the tax mappings are reset."""
        partner = self.env["res.partner"].create({"name": "Old Realm Customer"})
        self.env["qbo.mapping"]._link(self.company, partner, "Customer", "77")
        for stream, _label in STREAMS:
            self.set_qbo_cursor(stream, fields.Datetime.now()).write({"retry_ids": ["1", "2"], "more": True})
        other_realm = self.create_sandbox_company("Sandbox Company_US_2").realm_id
        self.company.with_user(self.admin_user).qbo_allow_realm_change = True
        self.qbo_connect(self.company, realm_id=other_realm)
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_realm_id, other_realm)
        cursors = self.env["qbo.sync.cursor"].search([("company_id", "=", self.company.id)])
        self.assertEqual(sorted(cursors.mapped("stream")), sorted(stream for stream, _label in STREAMS))
        self.assertEqual([(cursor.read_until, cursor.retry_ids, cursor.more) for cursor in cursors],
                         [(False, False, False)] * len(STREAMS))
        self.assertFalse(self.env["qbo.mapping"].search([("company_id", "=", self.company.id)]))
