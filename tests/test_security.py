from lxml import etree

from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import QboTestCommon

TOKEN_FIELDS = ("access_token", "refresh_token", "oauth_nonce")


@tagged("post_install", "-at_install")
class TestSecurity(QboTestCommon):
    """Who may read the secrets, who sees which QuickBooks button, who may run which action."""

    def form_arch(self, user, model="res.company", view_ref=None):
        view = self.env.ref(view_ref) if view_ref else False
        arch = self.env[model].with_user(user).get_views([(view and view.id, "form")])["views"]["form"]["arch"]
        return etree.fromstring(arch)

    def test_groups(self):
        """Accounting managers are QuickBooks managers; invoicing users and project managers are neither."""
        self.assertTrue(self.qbo_manager.has_group("quickbooks_connector.group_qbo_manager"))
        self.assertTrue(self.qbo_manager.has_group("quickbooks_connector.group_qbo_user"))
        for user in (self.invoice_user, self.project_manager):
            if not user:
                continue
            self.assertFalse(user.has_group("quickbooks_connector.group_qbo_user"), user.login)
            self.assertFalse(user.has_group("quickbooks_connector.group_qbo_manager"), user.login)

    def test_secrets_only_for_administrators(self):
        """The client secret and the tokens are read by system administrators only."""
        for user in (self.qbo_manager, self.invoice_user):
            company = self.company.with_user(user)
            with self.assertRaises(AccessError, msg=user.login):
                company.read(["qbo_client_secret"])
            with self.assertRaises(AccessError, msg=user.login):
                company.write({"qbo_client_secret": "stolen"})
            with self.assertRaises(AccessError, msg=user.login):
                self.env["qbo.connection"].with_user(user).search([])
            with self.assertRaises(AccessError, msg=user.login):
                self.company._qbo_connection().with_user(user).read(["state"])
        self.assertEqual(self.company.with_user(self.admin_user).qbo_client_secret, self.SANDBOX_CLIENT_SECRET)
        token = self.env["qbo.connection"].with_user(self.admin_user).search([("company_id", "=", self.company.id)])
        self.assertTrue(token.refresh_token)
        # What everyone may see: the state and the QuickBooks company.
        self.assertRecordValues(self.company.with_user(self.invoice_user), [{
            "qbo_state": "connected", "qbo_realm_id": self.realm_id, "qbo_company_name": "Sandbox Company_US_1",
        }])

    @mute_logger("odoo.http")
    def test_secret_over_rpc(self):
        """Over JSON-RPC an Accounting Manager gets an AccessError for the secret and the tokens."""
        self.authenticate(self.qbo_manager.login, self.qbo_manager.login)
        calls = [
            ("res.company", "read", [self.company.ids, ["qbo_client_secret"]]),
            ("qbo.connection", "search_read", [[], ["access_token"]]),
            ("res.company", "read", [self.company.ids, ["qbo_connection_ids"]]),
        ]
        for model, method, args in calls:
            with self.assertRaises(JsonRpcException) as caught:
                self.make_jsonrpc_request("/web/dataset/call_kw", {
                    "model": model, "method": method, "args": args, "kwargs": {},
                })
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError", (model, method))
        values = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "res.company", "method": "read", "args": [self.company.ids, ["qbo_state", "qbo_company_name"]],
            "kwargs": {},
        })
        self.assertEqual(values[0]["qbo_state"], "connected")

    def test_actions_checked_on_server(self):
        """Connect and disconnect are for administrators, the connection test for QuickBooks managers."""
        for user in (self.qbo_manager, self.invoice_user, self.project_manager):
            if not user:
                continue
            company = self.company.with_user(user)
            with self.assertRaises(AccessError, msg=user.login):
                company.action_qbo_connect()
            with self.assertRaises(AccessError, msg=user.login):
                company.action_qbo_disconnect()
        for user in (self.invoice_user, self.project_manager):
            if user:
                with self.assertRaises(AccessError, msg=user.login):
                    self.company.with_user(user).action_qbo_test_connection()
        notification = self.company.with_user(self.qbo_manager).action_qbo_test_connection()
        self.assertEqual(notification["params"]["type"], "success")
        self.assertEqual(self.company.qbo_state, "connected")

    def test_company_form_buttons_by_group(self):
        """The QuickBooks page and buttons show to the right people only."""
        def buttons(arch):
            return {node.get("name") for node in arch.iterfind(".//page[@name='quickbooks']//button")}

        for user in (self.invoice_user, self.project_manager):
            if user:
                arch = self.form_arch(user)
                self.assertIsNone(arch.find(".//page[@name='quickbooks']"), user.login)
                self.assertFalse(arch.xpath("//button[starts-with(@name, 'action_qbo')]"), user.login)
        # Connecting and the app's keys are on the setup checklist the tab opens.
        for user in (self.qbo_manager, self.admin_user):
            self.assertEqual(buttons(self.form_arch(user)),
                             {"action_qbo_open_setup", "action_qbo_test_connection", "action_qbo_sync_payments",
                              "action_qbo_sync_expenses"}, user.login)
        setup_buttons = {"action_connect", "action_disconnect", "action_test_connection", "action_map_taxes",
                         "action_match_records"}
        manager_setup = self.form_arch(self.qbo_manager, "qbo.setup")
        self.assertEqual({node.get("name") for node in manager_setup.iter("button")},
                         setup_buttons - {"action_connect", "action_disconnect"})
        self.assertFalse(manager_setup.xpath("//field[@name='qbo_client_secret']"))
        admin_setup = self.form_arch(self.admin_user, "qbo.setup")
        self.assertEqual({node.get("name") for node in admin_setup.iter("button")}, setup_buttons)
        secret = admin_setup.xpath("//field[@name='qbo_client_secret']")
        self.assertEqual(secret[0].get("password"), "True")

    def test_settings_block(self):
        """Accounting settings (administrators only) hold the QuickBooks block, for QuickBooks users."""
        arch = self.form_arch(self.admin_user, "res.config.settings")
        block = arch.xpath("//block[@id='quickbooks_online']")
        self.assertTrue(block)
        self.assertEqual({node.get("name") for node in block[0].iter("button")},
                         {"action_qbo_connect", "action_qbo_disconnect", "action_qbo_test_connection",
                          "action_qbo_open_setup"})
        self.assertEqual(block[0].xpath(".//field[@name='qbo_client_secret']")[0].get("password"), "True")
        source = etree.fromstring(self.env.ref("quickbooks_connector.res_config_settings_view_form_quickbooks").arch)
        self.assertEqual(source.xpath("//block[@id='quickbooks_online']")[0].get("groups"),
                         "quickbooks_connector.group_qbo_user")

    def test_token_company_rule(self):
        """An administrator sees the tokens of the companies he works in only."""
        other = self.env["res.company"].create({"name": "Other company"})
        other_token = other._qbo_connection()
        tokens = self.env["qbo.connection"].with_user(self.admin_user).search([])
        self.assertIn(self.company._qbo_connection(), tokens)
        self.assertNotIn(other_token, tokens)

    def test_neutralize_clears_secrets(self):
        """A neutralized copy holds no token nor client secret, and no company is connected."""
        self.env.flush_all()
        for query in get_neutralization_queries(["quickbooks_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertEqual(self.company.qbo_state, "disconnected")
        self.assertFalse(self.company.sudo().qbo_client_secret)
        token = self.qbo_token()
        for field in TOKEN_FIELDS:
            self.assertFalse(token[field], field)
