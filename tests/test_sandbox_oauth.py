from urllib.parse import parse_qs, urlsplit

import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from odoo.tests import BaseCase, tagged

from ..qbo_sandbox.testing import SandboxTestMixin

TIMEOUT = 10


@tagged("post_install", "-at_install")
class TestSandboxOAuth(SandboxTestMixin, BaseCase):
    """Intuit's OAuth 2.0 as served by the local sandbox, driven by intuit-oauth's AuthClient."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.register_sandbox_app()
        self.company = self.create_sandbox_company("Sandbox Company_US_1")
        self.other_company = self.create_sandbox_company("Sandbox Company_US_2")

    # ---- helpers ----

    def company_info(self, access_token, realm_id=None):
        realm_id = realm_id or self.company.realm_id
        return requests.get(
            f"{self.sandbox_server.url}/v3/company/{realm_id}/companyinfo/{realm_id}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )

    def assertCompanyInfoOk(self, access_token):
        response = self.company_info(access_token)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["CompanyInfo"]["CompanyName"], "Sandbox Company_US_1")

    def assertAuthenticationFault(self, response):
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["fault"]["error"][0]["code"], "3200")

    def assertOAuthError(self, call, error, status=400):
        with self.assertRaises(AuthClientError) as caught:
            call()
        self.assertEqual(caught.exception.status_code, status)
        self.assertEqual(caught.exception.response.json()["error"], error)
        self.assertTrue(caught.exception.intuit_tid)
        return caught.exception

    def consent_code(self, client, realm_id=None):
        """Approve the consent page for ``client`` and return the redirect's parameters."""
        url = client.get_authorization_url([Scopes.ACCOUNTING])
        answer = self.sandbox_consent(url, realm_id or self.company.realm_id)
        self.assertEqual(answer.status_code, 302)
        location = urlsplit(answer.headers["Location"])
        return location, {key: values[0] for key, values in parse_qs(location.query).items()}

    # ---- tests ----

    def test_discovery_document_points_at_the_sandbox(self):
        """AuthClient reads every endpoint from the sandbox's discovery document."""
        document = requests.get(self.sandbox_server.discovery_url, timeout=TIMEOUT).json()
        base = self.sandbox_server.url
        self.assertEqual(document["issuer"], f"{base}/op/v1")
        self.assertEqual(document["authorization_endpoint"], f"{base}/connect/oauth2")
        self.assertEqual(document["token_endpoint"], f"{base}/oauth2/v1/tokens/bearer")
        self.assertEqual(document["revocation_endpoint"], f"{base}/v2/oauth2/tokens/revoke")
        self.assertEqual(document["userinfo_endpoint"], f"{base}/v1/openid_connect/userinfo")
        self.assertEqual(document["jwks_uri"], f"{base}/op/v1/jwks")
        client = self.sandbox_auth_client()
        self.assertEqual(client.token_endpoint, document["token_endpoint"])
        self.assertEqual(client.revoke_endpoint, document["revocation_endpoint"])
        url = urlsplit(client.get_authorization_url([Scopes.ACCOUNTING]))
        self.assertEqual(f"{url.scheme}://{url.netloc}{url.path}", document["authorization_endpoint"])

    def test_full_cycle_connect_expire_refresh_revoke(self):
        """Connect, use, expire, refresh (rotating), then revoke: each step as Intuit answers it."""
        client = self.sandbox_auth_client()
        location, params = self.consent_code(client)
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", self.SANDBOX_REDIRECT_URI)
        self.assertEqual(params["state"], client.state_token)
        self.assertEqual(params["realmId"], self.company.realm_id)
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
        self.assertEqual(client.expires_in, 3600)
        self.assertEqual(client.x_refresh_token_expires_in, 8726400)
        self.assertIsNone(client.x_refresh_token_hard_expires_in, "hard expiry only when asked for")
        self.assertIsNone(client.id_token, "no id_token without the openid scope")
        self.assertAuthenticationFault(self.company_info(""))
        self.assertCompanyInfoOk(client.access_token)

        self.sandbox.clock.advance(3601)
        self.assertAuthenticationFault(self.company_info(client.access_token))

        first_refresh_token = client.refresh_token
        client.refresh()
        self.assertNotEqual(client.refresh_token, first_refresh_token, "every refresh rotates by default")
        self.assertCompanyInfoOk(client.access_token)
        error = self.assertOAuthError(lambda: client.refresh(first_refresh_token), "invalid_grant")
        self.assertIn("error_description", error.response.json())

        self.assertTrue(client.revoke())
        self.assertAuthenticationFault(self.company_info(client.access_token))
        self.assertOAuthError(client.refresh, "invalid_grant")

    def test_previous_access_token_lives_until_its_own_expiry(self):
        """A refresh does not cut the previous access token short."""
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        previous_access_token = client.access_token
        self.sandbox.clock.advance(1800)
        client.refresh()
        self.assertCompanyInfoOk(previous_access_token)
        self.sandbox.clock.advance(1801)
        self.assertAuthenticationFault(self.company_info(previous_access_token))
        self.assertCompanyInfoOk(client.access_token)

    def test_grace_window_for_rotated_refresh_token(self):
        """With a grace window, a rotated-out refresh token works until the window closes."""
        self.register_sandbox_app(grace_period=600)
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        first = client.refresh_token
        client.refresh()
        second = client.refresh_token
        self.sandbox.clock.advance(300)
        client.refresh(first)
        third = client.refresh_token
        self.assertNotIn(third, (first, second))
        self.assertCompanyInfoOk(client.access_token)
        self.sandbox.clock.advance(601)
        self.assertOAuthError(lambda: client.refresh(first), "invalid_grant")
        self.assertOAuthError(lambda: client.refresh(second), "invalid_grant")
        client.refresh(third)
        self.assertCompanyInfoOk(client.access_token)

    def test_rotation_interval_keeps_the_value_inside_the_window(self):
        """With a rotation interval, refresh returns the same refresh token until the interval passes."""
        self.register_sandbox_app(rotation_interval=86400)
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        first = client.refresh_token
        first_access_token = client.access_token
        client.refresh()
        self.assertEqual(client.refresh_token, first)
        self.assertNotEqual(client.access_token, first_access_token)
        self.sandbox.clock.advance(86400)
        client.refresh()
        self.assertNotEqual(client.refresh_token, first)
        self.assertOAuthError(lambda: client.refresh(first), "invalid_grant")

    def test_hard_expiry_only_with_the_opt_in_header(self):
        """x_refresh_token_hard_expires_in comes back when intuit-oauth sends the opt-in header."""
        client = self.sandbox_auth_client()
        client.include_refresh_token_hard_expires_in = True
        self.authorize(client, self.company.realm_id)
        self.assertEqual(client.x_refresh_token_hard_expires_in, 5 * 365 * 86400)
        self.sandbox.clock.advance(86400)
        client.refresh()
        self.assertEqual(client.x_refresh_token_hard_expires_in, 5 * 365 * 86400 - 86400)

    def test_code_is_single_use(self):
        """An authorization code works once; its second exchange is invalid_grant."""
        client = self.sandbox_auth_client()
        _location, params = self.consent_code(client)
        client.get_bearer_token(params["code"])
        error = self.assertOAuthError(lambda: client.get_bearer_token(params["code"]), "invalid_grant")
        self.assertIn("already been used", error.response.json()["error_description"])

    def test_code_expires_after_five_minutes(self):
        """A code not exchanged within five minutes is refused."""
        client = self.sandbox_auth_client()
        _location, params = self.consent_code(client)
        self.sandbox.clock.advance(301)
        error = self.assertOAuthError(lambda: client.get_bearer_token(params["code"]), "invalid_grant")
        self.assertIn("expired", error.response.json()["error_description"])

    def test_code_needs_the_same_redirect_uri(self):
        """The exchange must repeat the redirect_uri of the authorization request."""
        second_uri = "http://localhost:8069/quickbooks/oauth/callback"
        self.register_sandbox_app(redirect_uris=[self.SANDBOX_REDIRECT_URI, second_uri])
        _location, params = self.consent_code(self.sandbox_auth_client())
        other_uri_client = self.sandbox_auth_client(redirect_uri=second_uri)
        self.assertOAuthError(lambda: other_uri_client.get_bearer_token(params["code"]), "invalid_grant")

    def test_wrong_client_secret_is_invalid_client(self):
        """A wrong secret gets 401 invalid_client and does not spend the code."""
        _location, params = self.consent_code(self.sandbox_auth_client())
        impostor = self.sandbox_auth_client(client_secret="not-the-secret")
        self.assertOAuthError(lambda: impostor.get_bearer_token(params["code"]), "invalid_client", status=401)
        client = self.sandbox_auth_client()
        client.get_bearer_token(params["code"])
        self.assertCompanyInfoOk(client.access_token)

    def test_refresh_token_of_another_client_is_refused(self):
        """An app cannot spend a refresh token issued to another app."""
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        self.register_sandbox_app("other-client", "other-secret")
        other = self.sandbox_auth_client("other-client", "other-secret")
        self.assertOAuthError(lambda: other.refresh(client.refresh_token), "invalid_grant")
        client.refresh()
        self.assertCompanyInfoOk(client.access_token)

    def test_token_endpoint_request_errors(self):
        """Missing or unknown grant types get the OAuth error codes, with intuit_tid."""
        token_url = f"{self.sandbox_server.url}/oauth2/v1/tokens/bearer"
        auth = (self.SANDBOX_CLIENT_ID, self.SANDBOX_CLIENT_SECRET)
        for data, error in (
            ({}, "invalid_request"),
            ({"grant_type": "password", "username": "x"}, "unsupported_grant_type"),
            ({"grant_type": "authorization_code"}, "invalid_request"),
            ({"grant_type": "refresh_token"}, "invalid_request"),
        ):
            response = requests.post(token_url, data=data, auth=auth, timeout=TIMEOUT)
            self.assertEqual((response.status_code, response.json()["error"]), (400, error), data)
            self.assertTrue(response.headers["intuit_tid"])
        response = requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=TIMEOUT)
        self.assertEqual((response.status_code, response.json()["error"]), (401, "invalid_client"))

    def test_auto_consent_for_browser_tests(self):
        """An app registered with auto_consent_realm skips the consent page: the authorize request
        redirects at once with a code for that company; other apps still get the page."""
        self.register_sandbox_app(auto_consent_realm=self.other_company.realm_id)
        client = self.sandbox_auth_client()
        answer = requests.get(client.get_authorization_url([Scopes.ACCOUNTING]), allow_redirects=False,
                              timeout=TIMEOUT)
        self.assertEqual(answer.status_code, 302)
        params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
        self.assertEqual((params["state"], params["realmId"]), (client.state_token, self.other_company.realm_id))
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
        self.assertEqual(self.company_info(client.access_token, self.other_company.realm_id).status_code, 200)
        self.register_sandbox_app()
        answer = requests.get(self.sandbox_auth_client().get_authorization_url([Scopes.ACCOUNTING]),
                              allow_redirects=False, timeout=TIMEOUT)
        self.assertEqual(answer.status_code, 200)
        self.assertIn("wants to access your QuickBooks company data", answer.text)

    def test_declined_consent_redirects_with_access_denied(self):
        """Cancel on the consent page sends the user back with error=access_denied and no code."""
        client = self.sandbox_auth_client()
        answer = self.sandbox_consent(client.get_authorization_url([Scopes.ACCOUNTING]), self.company.realm_id, False)
        self.assertEqual(answer.status_code, 302)
        location = urlsplit(answer.headers["Location"])
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", self.SANDBOX_REDIRECT_URI)
        self.assertEqual(parse_qs(location.query), {"error": ["access_denied"], "state": [client.state_token]})
        self.assertFalse(self.sandbox.codes)

    def test_invalid_authorization_requests_get_an_error_page(self):
        """Bad client, unregistered redirect URI, response type or scope: an error page, never a redirect."""
        good = {
            "client_id": self.SANDBOX_CLIENT_ID, "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting", "redirect_uri": self.SANDBOX_REDIRECT_URI, "state": "xyz",
        }
        authorize_url = f"{self.sandbox_server.url}/connect/oauth2"
        for change in (
            {"client_id": "unknown-client"},
            {"redirect_uri": "https://evil.example.com/callback"},
            {"redirect_uri": self.SANDBOX_REDIRECT_URI + "/"},
            {"response_type": "token"},
            {"scope": "openid email"},
            {"scope": "com.intuit.quickbooks.accounting made.up.scope"},
        ):
            params = dict(good, **change)
            page = requests.get(authorize_url, params=params, allow_redirects=False, timeout=TIMEOUT)
            self.assertEqual(page.status_code, 400, change)
            self.assertNotIn("Location", page.headers)
            self.assertIn("Connection request refused", page.text)
            posted = requests.post(
                authorize_url, data=dict(params, realm_id=self.company.realm_id, decision="connect"),
                allow_redirects=False, timeout=TIMEOUT,
            )
            self.assertEqual(posted.status_code, 400, change)
            self.assertNotIn("Location", posted.headers)
        self.assertFalse(self.sandbox.codes)
        page = requests.get(authorize_url, params=good, timeout=TIMEOUT)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.company.realm_id, page.text)
        self.assertIn(self.other_company.realm_id, page.text)

    def test_consent_with_an_unknown_company_is_refused(self):
        """Connect with a realm that is not among the sandbox's companies issues no code."""
        client = self.sandbox_auth_client()
        answer = self.sandbox_consent(client.get_authorization_url([Scopes.ACCOUNTING]), "123")
        self.assertEqual(answer.status_code, 400)
        self.assertNotIn("Location", answer.headers)
        self.assertFalse(self.sandbox.codes)

    def test_token_of_one_realm_is_forbidden_on_another(self):
        """A valid token used on another or an unknown realm gets 403 with code 3100."""
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        for realm_id in (self.other_company.realm_id, "4620816365000000000"):
            response = self.company_info(client.access_token, realm_id)
            self.assertEqual(response.status_code, 403)
            self.assertEqual(response.json()["fault"]["error"][0]["code"], "3100")
        self.assertCompanyInfoOk(client.access_token)

    def test_revoking_the_access_token_kills_the_whole_grant(self):
        """Revoking the access token also kills the refresh token, and only that connection."""
        client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        other = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        client.revoke(client.access_token)
        self.assertAuthenticationFault(self.company_info(client.access_token))
        self.assertOAuthError(client.refresh, "invalid_grant")
        self.assertCompanyInfoOk(other.access_token)
        self.assertTrue(client.revoke("already-unknown-token"), "revoking an unknown token is not an error")

    def test_openid_scope_gets_a_valid_id_token_and_user_info(self):
        """With openid, intuit-oauth validates and keeps the RS256 id_token; userinfo answers."""
        client = self.authorize(
            self.sandbox_auth_client(), self.company.realm_id, [Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL],
        )
        self.assertTrue(client.id_token, "intuit-oauth keeps an id_token only once its signature checks out")
        info = client.get_user_info().json()
        self.assertEqual(info["sub"], self.sandbox.user_sub)
        self.assertEqual(info["email"], "sandbox.user@example.com")
        accounting_only = self.authorize(self.sandbox_auth_client(), self.company.realm_id)
        with self.assertRaises(AuthClientError) as caught:
            accounting_only.get_user_info()
        self.assertEqual(caught.exception.status_code, 403)
