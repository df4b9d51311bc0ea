import ast
import threading
from contextlib import closing, contextmanager
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import HttpCase

from ..const import PACING_PARAMETER
from ..qbo_sandbox.testing import SandboxTestMixin


def query_params(url):
    """Return the query-string values of ``url`` as a dict of single values."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class QboCommittedConnectionMixin(SandboxTestMixin):
    """For tests on real, separate database connections (``TransactionCase``): the main company is
    connected to a sandbox company with data committed for the test, and put back after it.

    ``SAVED_FIELDS`` lists the company fields a test class may change; extend it in subclasses.
    """

    SAVED_FIELDS = [
        "qbo_client_id", "qbo_client_secret", "qbo_environment", "qbo_discovery_url", "qbo_api_url",
        "qbo_realm_id", "qbo_company_name", "qbo_connected_at",
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.qbo_company = cls.create_sandbox_company("Sandbox Company_US_1")
        cls.realm_id = cls.qbo_company.realm_id

    def setUp(self):
        super().setUp()
        self.assertFalse(self.registry.in_test_mode(), "this test needs real database connections")
        self.dbname = self.env.cr.dbname
        self.company_id = self.env.ref("base.main_company").id
        with self.real_env() as env:
            company = env["res.company"].browse(self.company_id)
            saved = company.read(self.SAVED_FIELDS, load=None)[0]
            saved[PACING_PARAMETER] = env["ir.config_parameter"].get_param(PACING_PARAMETER)
            self.addCleanup(self.restore_company, saved)
            env["ir.config_parameter"].set_param(PACING_PARAMETER, "False")  # the sandbox's limits are off
            company.write(dict(self.committed_company_values(),
                               qbo_client_id=self.SANDBOX_CLIENT_ID, qbo_client_secret=self.SANDBOX_CLIENT_SECRET,
                               qbo_environment="custom", qbo_discovery_url=self.sandbox_server.discovery_url))
            self.register_sandbox_app(redirect_uris=[company.qbo_redirect_uri])
            admin = env.ref("base.user_admin")
            answer = self.sandbox_consent(company.with_user(admin).action_qbo_connect()["url"], self.realm_id)
            params = query_params(answer.headers["Location"])
            env["qbo.connection"].with_user(admin)._qbo_oauth_callback(
                params["state"], code=params["code"], realm_id=params["realmId"])

    def committed_company_values(self):
        """Other company values the test class sets before connecting."""
        return {}

    @contextmanager
    def real_env(self):
        """A superuser environment on a new real connection, committed when the block ends."""
        with closing(db_connect(self.dbname).cursor()) as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})
            cr.commit()

    def restore_company(self, saved):
        with self.real_env() as env:
            env["qbo.connection"].search([("company_id", "=", self.company_id)]).write(
                dict.fromkeys(["realm_id", "access_token", "refresh_token", "oauth_nonce"], False)
                | {"state": "disconnected"})
            env["qbo.sync.cursor"].search([("company_id", "=", self.company_id)]).unlink()
            env["res.company"].browse(self.company_id).write({key: saved[key] for key in self.SAVED_FIELDS})
            env["ir.config_parameter"].set_param(PACING_PARAMETER, saved[PACING_PARAMETER])

    def run_workers(self, worker, count=2):
        """Run ``worker(index)`` in ``count`` threads at once and wait for them all.

        The test runner holds the registry lock for the whole run; Odoo's own test mode swaps it for
        a dummy so that server threads can reach the registry: the workers get the same.
        """
        with patch.object(Registry, "_lock", DummyRLock()):
            threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertFalse(any(thread.is_alive() for thread in threads), "a worker is stuck")


class QboTestCommon(SandboxTestMixin, AccountTestInvoicingCommon, HttpCase):
    """A local QuickBooks sandbox with an app and a QBO company, and ``cls.company`` connected to it.

    ``cls.company`` uses the custom environment pointing at the class's sandbox and is connected
    through the real OAuth flow (consent page over HTTP, code exchange, CompanyInfo read) unless
    ``qbo_connect_company`` is False. Users: ``cls.admin_user`` (system administrator),
    ``cls.qbo_manager`` (Accounting Manager, hence QuickBooks Manager), ``cls.invoice_user``
    (Invoicing only) and ``cls.project_manager`` (when ``project`` is installed, else None).

    ``sandbox_company`` gives the options of the QuickBooks company (``name``, ``country``,
    ``home_currency``, preferences) when a class needs another one than the US default.

    The sandbox is not rolled back with the test transaction: a test that spends the refresh token
    (refresh, revoke, invalid_grant) first calls ``self.qbo_connect(self.company)`` for a grant of
    its own, and ``advance_sandbox_clock`` puts the clock back after the test.
    """

    qbo_connect_company = True
    sandbox_company = {"name": "Sandbox Company_US_1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.company = cls.company_data["company"]
        cls.company.write({
            "qbo_client_id": cls.SANDBOX_CLIENT_ID,
            "qbo_client_secret": cls.SANDBOX_CLIENT_SECRET,
            "qbo_environment": "custom",
            "qbo_discovery_url": cls.sandbox_server.discovery_url,
        })
        cls.register_sandbox_app(redirect_uris=[cls.company.qbo_redirect_uri])
        cls.env["ir.config_parameter"].set_param(PACING_PARAMETER, "False")  # the sandbox's limits are off
        cls.qbo_sandbox_company = cls.create_sandbox_company(**cls.sandbox_company)
        cls.realm_id = cls.qbo_sandbox_company.realm_id

        cls.admin_user = cls._qbo_new_user(
            "qbo_admin", "base.group_user,base.group_system,account.group_account_manager")
        cls.qbo_manager = cls._qbo_new_user("qbo_manager", "base.group_user,account.group_account_manager")
        cls.invoice_user = cls._qbo_new_user("qbo_invoice_user", "base.group_user,account.group_account_invoice")
        cls.project_manager = cls.env.ref("project.group_project_manager", raise_if_not_found=False) and \
            cls._qbo_new_user("qbo_project_manager", "base.group_user,project.group_project_manager")
        if cls.qbo_connect_company:
            cls.qbo_connect(cls.company)

    @classmethod
    def _qbo_new_user(cls, login, groups):
        return mail_new_test_user(
            cls.env, login=login, groups=groups, company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)], notification_type="inbox",
        )

    @classmethod
    def qbo_consent(cls, company, realm_id, approve=True, user=None):
        """Click Connect as ``user`` (the admin by default) and answer the sandbox's consent page.

        :return: the query values of the sandbox's redirect to Odoo's callback (code, state, realmId or error)
        """
        action = company.with_user(user or cls.admin_user).action_qbo_connect()
        answer = cls.sandbox_consent(action["url"], realm_id, approve=approve)
        assert answer.status_code == 302, answer.text
        return query_params(answer.headers["Location"])

    @classmethod
    def qbo_connect(cls, company, realm_id=None, user=None):
        """Connect ``company`` through the real OAuth flow (the callback is called in-process)."""
        params = cls.qbo_consent(company, realm_id or cls.realm_id, user=user)
        company.env["qbo.connection"].with_user(user or cls.admin_user)._qbo_oauth_callback(
            params["state"], code=params["code"], realm_id=params["realmId"],
        )
        # Refreshes read the tokens through another cursor: make the new ones visible to it.
        company.env.flush_all()
        company.invalidate_recordset()
        return company

    def setUp(self):
        super().setUp()
        # The sandbox is not rolled back with the test: a grant the test revokes (a reconnection revokes
        # the one it replaces, a disconnection its own) is live again afterwards, as the tokens Odoo is
        # rolled back to expect.
        live = [grant_id for grant_id in list(self.sandbox.grants) if self.sandbox.live_grant(grant_id)]
        self.addCleanup(self.revive_sandbox_grants, live)

    def revive_sandbox_grants(self, grant_ids):
        with self.sandbox.lock:
            for grant_id in grant_ids:
                self.sandbox.grants[grant_id]["revoked"] = False

    def shown(self, record, user, xpath, debug=False):
        """The nodes of ``record``'s form matched by ``xpath`` that ``user`` sees on it: the form as the
        server gives it to ``user`` (nodes of other groups removed; ``debug``: in developer mode), each
        node's and its parents' ``invisible`` expression evaluated on the record's values, as the web
        client does."""
        record = record.with_user(user)
        if debug:
            # Developer mode belongs to the browser session: the form is asked for as the web client does.
            user.password = user.login
            self.env.flush_all()
            self.authenticate(user.login, user.login)
            views = self.make_jsonrpc_request("/web/dataset/call_kw/get_views?debug=1", {
                "model": record._name, "method": "get_views", "args": [[[False, "form"]]], "kwargs": {}})
        else:
            views = record.get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])

        def value(name):
            field_value = record[name]
            if isinstance(field_value, models.BaseModel):
                return field_value.id if record._fields[name].type == "many2one" else field_value.ids
            return field_value

        def visible(node):
            for item in (node, *node.iterancestors()):
                expression = (item.get("invisible") or "").strip()
                if not expression:
                    continue
                names = {leaf.id for leaf in ast.walk(ast.parse(expression, mode="eval"))
                         if isinstance(leaf, ast.Name)}
                if safe_eval(expression, {name: value(name) for name in names if name in record._fields}):
                    return False
            return True

        return [node for node in arch.xpath(xpath) if visible(node)]

    def advance_sandbox_clock(self, seconds):
        """Move the sandbox's clock forward for this test only."""
        self.sandbox.clock.advance(seconds)
        self.addCleanup(self.sandbox.clock.reset)

    def expire_access_token(self, seconds_left=0, company=None):
        """Make Odoo believe the access token expires in ``seconds_left`` (QuickBooks still accepts it)."""
        token = self.qbo_token(company)
        token.access_token_expires_at = fields.Datetime.now() + timedelta(seconds=seconds_left)
        token.flush_recordset()

    def qbo_token(self, company=None):
        """Return the company's ``qbo.connection`` (tokens included) as superuser, fresh from the database."""
        token = (company or self.company)._qbo_connection()
        token.invalidate_recordset()
        return token

    def qbo_cursor(self, stream, company=None):
        """Return the ``qbo.sync.cursor`` of ``stream`` (empty when the stream never ran)."""
        return self.env["qbo.sync.cursor"].search([("company_id", "=", (company or self.company).id),
                                                   ("stream", "=", stream)])

    def set_qbo_cursor(self, stream, read_until, company=None):
        """Make Odoo believe ``stream`` was read until ``read_until`` (e.g. an hour ago)."""
        company = company or self.company
        cursor = self.env["qbo.sync.cursor"]._qbo_acquire(company, stream)
        cursor.write({"read_until": read_until, "more": False})
        return cursor
