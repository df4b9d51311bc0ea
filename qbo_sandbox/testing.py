"""Test helpers: one local sandbox per test class, and the OAuth consent driven over real HTTP.

Usage (any ``unittest`` test class, e.g. Odoo's ``BaseCase`` or ``TransactionCase``)::

    class TestSomething(SandboxTestMixin, TransactionCase):

        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.start_qbo_sandbox()            # cls.sandbox_server, cls.sandbox (the state)
            cls.register_sandbox_app()         # SANDBOX_CLIENT_ID / _SECRET / _REDIRECT_URI
            cls.realm_id = cls.create_sandbox_company().realm_id

        def test_something(self):
            client = self.authorize(self.sandbox_auth_client(), self.realm_id)
            # client.access_token, client.refresh_token, client.realm_id are now set

An app under test with its own callback (an Odoo controller) gets the redirect with
``sandbox_consent(authorization_url, realm_id)`` and follows its ``Location`` itself.
"""
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes

from .server import SandboxServer

HTTP_TIMEOUT = 10


class _ConsentFormParser(HTMLParser):
    """Collect the consent form's action and its hidden fields."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value") or ""


def press_consent(authorization_url, realm_id, approve=True):
    """Open the sandbox's consent page at ``authorization_url`` and press Connect (or Cancel), as
    the user would in a browser.

    :param str authorization_url: as built by ``AuthClient.get_authorization_url``
    :param str realm_id: the company to pick on the page
    :param bool approve: Connect when True, Cancel otherwise
    :return: the sandbox's answer to the form (a 302 ``requests.Response`` when all went well)
    :raise AssertionError: if the consent page does not show
    """
    page = requests.get(authorization_url, timeout=HTTP_TIMEOUT)
    if page.status_code != 200:
        raise AssertionError(f"consent page refused ({page.status_code}): {page.text}")
    form = _ConsentFormParser()
    form.feed(page.text)
    data = dict(form.fields, realm_id=realm_id, decision="connect" if approve else "cancel")
    return requests.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)


class SandboxTestMixin:
    """Start a local QuickBooks Online sandbox for the test class and talk to it through HTTP."""

    SANDBOX_CLIENT_ID = "qbo-test-client"
    SANDBOX_CLIENT_SECRET = "qbo-test-secret"
    SANDBOX_REDIRECT_URI = "http://127.0.0.1:8069/quickbooks/oauth/callback"

    @classmethod
    def start_qbo_sandbox(cls):
        """Start a sandbox on a free loopback port for this class (stopped by a class cleanup).

        Sets ``cls.sandbox_server`` (``SandboxServer``: ``.url``, ``.discovery_url``) and
        ``cls.sandbox`` (its ``SandboxState``: ``reset()``, ``clock``, ``inject_fault()``, ...).
        """
        cls.sandbox_server = SandboxServer().start()
        cls.addClassCleanup(cls.sandbox_server.stop)
        cls.sandbox = cls.sandbox_server.state
        return cls.sandbox_server

    @classmethod
    def register_sandbox_app(cls, client_id=None, client_secret=None, redirect_uris=None, **options):
        """Register an app (the test app by default); options: ``rotation_interval``, ``grace_period``."""
        return cls.sandbox.register_app(
            client_id or cls.SANDBOX_CLIENT_ID,
            client_secret or cls.SANDBOX_CLIENT_SECRET,
            redirect_uris or [cls.SANDBOX_REDIRECT_URI],
            **options,
        )

    @classmethod
    def create_sandbox_company(cls, name="Sandbox Company_US_1", **options):
        """Create a QBO company in the sandbox (``realm_id``, ``country``, preferences as options)."""
        return cls.sandbox.create_company(name=name, **options)

    @classmethod
    def sandbox_auth_client(cls, client_id=None, client_secret=None, redirect_uri=None):
        """Return intuit-oauth's ``AuthClient`` pointed at the sandbox (the test app by default)."""
        return AuthClient(
            client_id or cls.SANDBOX_CLIENT_ID,
            client_secret or cls.SANDBOX_CLIENT_SECRET,
            redirect_uri or cls.SANDBOX_REDIRECT_URI,
            cls.sandbox_server.discovery_url,
        )

    @classmethod
    def sandbox_consent(cls, authorization_url, realm_id, approve=True):
        """Open the consent page at ``authorization_url`` and press Connect (or Cancel): see
        :func:`press_consent`."""
        return press_consent(authorization_url, realm_id, approve)

    @classmethod
    def authorize(cls, client, realm_id, scopes=None):
        """Connect ``client`` (an ``AuthClient``) to ``realm_id`` through the real OAuth flow.

        Consent over HTTP, the code read from the redirect, then ``client.get_bearer_token``.

        :return: ``client``, its ``access_token``, ``refresh_token`` and ``realm_id`` set
        :raise AssertionError: if the redirect carries no code or a wrong state
        """
        url = client.get_authorization_url(scopes or [Scopes.ACCOUNTING])
        answer = cls.sandbox_consent(url, realm_id)
        location = answer.headers.get("Location", "")
        params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        if answer.status_code != 302 or "code" not in params or params.get("state") != client.state_token:
            raise AssertionError(f"consent did not redirect with a code ({answer.status_code}): {location}")
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
        return client
