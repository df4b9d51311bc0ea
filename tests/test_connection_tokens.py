from datetime import timedelta

from intuitlib.exceptions import AuthClientError

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..qbo_client import QboApiError, QboAuthClient, QboClient
from .common import QboTestCommon

CONNECTION_LOGGER = "odoo.addons.quickbooks_connector.models.qbo_token"


@tagged("post_install", "-at_install")
class TestConnectionTokens(QboTestCommon):
    """Access tokens refreshed in time, refresh tokens rotated and kept, invalid_grant, revoke."""

    def fresh_connection(self):
        """Connect the company anew (its own grant at the sandbox) and return its stored tokens."""
        self.qbo_connect(self.company)
        token = self.qbo_token()
        return token.access_token, token.refresh_token

    def assertRefreshTokenRefused(self, refresh_token):
        with self.assertRaises(AuthClientError) as caught:
            self.sandbox_auth_client().refresh(refresh_token=refresh_token)
        self.assertEqual(caught.exception.response.json()["error"], "invalid_grant")

    def test_access_token_refreshed_before_expiry(self):
        """Less than 5 minutes left: the token is renewed before the call, not after a 401."""
        old_access, old_refresh = self.fresh_connection()
        self.expire_access_token(4 * 60)
        info = self.company._qbo_get_client().company_info()
        self.assertEqual(info["CompanyName"], "Sandbox Company_US_1")
        token = self.qbo_token()
        self.assertNotEqual(token.access_token, old_access)
        self.assertNotEqual(token.refresh_token, old_refresh, "the sandbox rotates on every refresh")
        self.assertGreater(token.access_token_expires_at, fields.Datetime.now() + timedelta(minutes=55))
        self.assertRefreshTokenRefused(old_refresh)

    def test_expired_token_refreshed_once_on_401(self):
        """QuickBooks says the token expired (its clock is ahead): refresh once, retry, rotate and keep."""
        old_access, old_refresh = self.fresh_connection()
        self.advance_sandbox_clock(3601)
        with self.assertLogs("odoo.addons.quickbooks_connector", "DEBUG") as logs:
            info = self.company._qbo_get_client().company_info()
        self.assertEqual(info["CompanyName"], "Sandbox Company_US_1")
        token = self.qbo_token()
        self.assertNotEqual(token.access_token, old_access)
        self.assertNotEqual(token.refresh_token, old_refresh)
        self.assertEqual(token.state, "connected")
        self.assertRefreshTokenRefused(old_refresh)
        output = "\n".join(logs.output)
        self.assertIn("HTTP 401, refreshing the access token", output)
        for secret in (old_access, old_refresh, token.access_token, token.refresh_token, self.SANDBOX_CLIENT_SECRET):
            self.assertNotIn(secret, output)
        # The new refresh token is the one QuickBooks knows: it can be spent.
        self.expire_access_token()
        self.company._qbo_get_client().company_info()
        self.assertEqual(self.qbo_token().state, "connected")

    def test_second_401_is_an_error(self):
        """A 401 right after a refresh is not retried forever: one refresh, then QboApiError."""
        self.fresh_connection()
        self.sandbox.inject_fault(kind="authentication", count=2, path_contains="/companyinfo/")
        with self.assertRaises(QboApiError) as caught:
            self.company._qbo_get_client().company_info()
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "3200"))
        self.assertEqual(self.qbo_token().state, "connected")

    @mute_logger(CONNECTION_LOGGER)
    def test_invalid_grant_needs_reconnect(self):
        """Intuit refuses the refresh token: reconnect needed, managers told, every sync stops cleanly."""
        old_access, old_refresh = self.fresh_connection()
        self.assertTrue(self.sandbox_auth_client().revoke(token=old_refresh))  # the user removed the app at Intuit
        messages_before = self.env["mail.message"].search([])
        client = self.company._qbo_get_client()
        with self.assertRaisesRegex(UserError, "must be reconnected"):
            client.company_info()

        self.company.invalidate_recordset()
        self.assertEqual(self.company.qbo_state, "reconnect")
        self.assertIn("refused to renew", self.company.qbo_last_error)
        self.assertRecordValues(self.qbo_token(), [
            {"state": "reconnect", "access_token": False, "refresh_token": False},
        ])
        notice = self.env["mail.message"].search([]) - messages_before
        self.assertEqual(len(notice), 1)
        self.assertIn(self.qbo_manager.partner_id, notice.partner_ids)
        self.assertIn(self.admin_user.partner_id, notice.partner_ids)
        self.assertNotIn(self.invoice_user.partner_id, notice.partner_ids)
        self.assertIn("reconnect", str(notice.body))
        for secret in (old_access, old_refresh, self.SANDBOX_CLIENT_SECRET):
            self.assertNotIn(secret, str(notice.body) + (notice.subject or ""))

        with self.assertRaisesRegex(UserError, "must be reconnected"):
            self.company._qbo_get_client()
        with self.assertRaisesRegex(UserError, "must be reconnected"):
            self.company.with_user(self.qbo_manager).action_qbo_test_connection()

        self.qbo_connect(self.company)
        self.assertEqual(self.company.qbo_state, "connected")
        self.assertEqual(self.company._qbo_get_client().company_info()["CompanyName"], "Sandbox Company_US_1")

    @mute_logger(CONNECTION_LOGGER)
    def test_token_server_outage_keeps_connection(self):
        """The token endpoint is down: the call fails with a clear error, the connection stays."""
        _old_access, old_refresh = self.fresh_connection()
        self.expire_access_token()
        self.sandbox.inject_fault(status=503, body="<html>down</html>", content_type="text/html",
                                  path_contains="/tokens/bearer")
        with self.assertRaisesRegex(UserError, r"could not be refreshed \(HTTP 503"):
            self.company._qbo_get_client().company_info()
        self.assertRecordValues(self.qbo_token(), [{"state": "connected", "refresh_token": old_refresh}])
        self.assertEqual(self.company._qbo_get_client().company_info()["CompanyName"], "Sandbox Company_US_1")

    def test_disconnect_revokes_at_intuit(self):
        """Disconnect revokes the grant at Intuit and clears the tokens; the realm is kept."""
        old_access, old_refresh = self.fresh_connection()
        action = self.company.with_user(self.admin_user).action_qbo_disconnect()
        self.assertEqual(action["params"]["type"], "success")
        self.company.invalidate_recordset()
        self.assertRecordValues(self.company, [{"qbo_state": "disconnected", "qbo_realm_id": self.realm_id}])
        self.assertRecordValues(self.qbo_token(), [{"access_token": False, "refresh_token": False}])
        revoked = QboClient(self.company.qbo_api_url, self.realm_id, lambda: old_access, max_retries=0)
        with self.assertRaises(QboApiError) as caught:
            revoked.company_info()
        self.assertEqual(caught.exception.status, 401)
        self.assertRefreshTokenRefused(old_refresh)
        with self.assertRaisesRegex(UserError, "not connected"):
            self.company._qbo_get_client()

    def test_discovery_document_cached(self):
        """Endpoints come from a cached discovery document: no fetch per OAuth call."""
        QboAuthClient.clear_discovery_cache()
        first = self.company._qbo_auth_client()
        self.sandbox.inject_fault(status=500, path_contains="/.well-known/")
        second = self.company._qbo_auth_client()
        self.assertEqual(second.token_endpoint, first.token_endpoint)
        self.assertEqual(second.token_endpoint, f"{self.sandbox_server.url}/oauth2/v1/tokens/bearer")
        self.assertEqual(self.sandbox.summary()["pending_faults"], 1, "the discovery URL was not fetched again")
        QboAuthClient.clear_discovery_cache()
        with self.assertRaisesRegex(UserError, "discovery document"):
            self.company._qbo_auth_client()
