import logging
from urllib.parse import urlsplit

from intuitlib.exceptions import AuthClientError
from requests import RequestException

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import API_URLS, CALLBACK_ROUTE, DISCOVERY_URLS, SCOPES, WEBHOOK_ROUTE
from ..qbo_client import QboApiError, QboAuthClient
from ..qbo_master_data import DEFAULT_THRESHOLD
from ..qbo_payload.account_move import app_url
from .qbo_connection import CONNECTION_STATES

_logger = logging.getLogger(__name__)

# QuickBooks web app for Intuit's environments; the local sandbox serves its own pages.
APP_HOSTS = {"production": "https://app.qbo.intuit.com", "sandbox": "https://app.sandbox.qbo.intuit.com"}
# res.company fields shown from the company's qbo.connection: {company field: connection field}.
CONNECTION_FIELDS = {
    "qbo_state": "state",
    "qbo_realm_id": "realm_id",
    "qbo_company_name": "qbo_company_name",
    "qbo_connected_at": "connected_at",
    "qbo_last_error": "last_error",
    "qbo_country": "country",
    "qbo_home_currency": "home_currency",
    "qbo_uses_sales_tax": "uses_sales_tax",
    "qbo_multicurrency": "multicurrency",
    "qbo_custom_txn_numbers": "custom_txn_numbers",
    "qbo_preferences_read_at": "settings_read_at",
}


class ResCompany(models.Model):
    """The company's QuickBooks settings, chosen by its users; what changes at run time lives in
    ``qbo.connection`` (state, tokens, QuickBooks settings) and ``qbo.sync.cursor`` (read cursors),
    shown here, so that no run-time write ever touches the ``res_company`` row."""

    _inherit = "res.company"

    # --- The Intuit app (system administrators) ---
    qbo_client_id = fields.Char(string="QuickBooks Client ID", copy=False)
    qbo_client_secret = fields.Char(string="QuickBooks Client Secret", groups="base.group_system", copy=False)
    qbo_environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production"), ("custom", "Custom discovery URL")],
        string="QuickBooks Environment", required=True, default="sandbox",
    )
    qbo_discovery_url = fields.Char(
        string="QuickBooks Discovery URL",
        help="OpenID discovery document of the authorization server, e.g. the local sandbox's "
             "http://127.0.0.1:8099/.well-known/openid_configuration",
    )
    qbo_api_url = fields.Char(
        string="QuickBooks API URL", compute="_compute_qbo_api_url", store=True, readonly=False,
        help="Host of the Accounting API; for a custom discovery URL, the same scheme, host and port by default.",
    )
    qbo_redirect_uri = fields.Char(
        string="QuickBooks Redirect URI", compute="_compute_qbo_redirect_uri",
        help="Register this exact URI in the Intuit app's Keys & credentials.",
    )
    qbo_allow_realm_change = fields.Boolean(
        string="Allow another QuickBooks company", groups="base.group_system",
        compute="_compute_qbo_allow_realm_change", inverse="_inverse_qbo_allow_realm_change",
        help="The next connection may link a QuickBooks company other than the one this company was "
             "synchronized with. The QuickBooks ids recorded so far would no longer be valid.",
    )
    qbo_connection_ids = fields.One2many("qbo.connection", "company_id", groups="base.group_system")

    # --- The connection, as qbo.connection holds it ---
    qbo_state = fields.Selection(CONNECTION_STATES, string="QuickBooks Connection",
                                 compute="_compute_qbo_connection", search="_search_qbo_state")
    qbo_realm_id = fields.Char(string="QuickBooks Realm ID", compute="_compute_qbo_connection",
                               search="_search_qbo_realm_id")
    qbo_company_name = fields.Char(string="QuickBooks Company", compute="_compute_qbo_connection")
    qbo_connected_at = fields.Datetime(string="Connected to QuickBooks on", compute="_compute_qbo_connection")
    qbo_last_error = fields.Char(string="QuickBooks Connection Error", compute="_compute_qbo_connection")
    qbo_country = fields.Char(string="QuickBooks Country", compute="_compute_qbo_connection")
    qbo_home_currency = fields.Char(string="QuickBooks Home Currency", compute="_compute_qbo_connection")
    qbo_uses_sales_tax = fields.Boolean(string="QuickBooks Sales Tax", compute="_compute_qbo_connection")
    qbo_multicurrency = fields.Boolean(string="QuickBooks Multicurrency", compute="_compute_qbo_connection")
    qbo_custom_txn_numbers = fields.Boolean(string="QuickBooks Custom Transaction Numbers",
                                            compute="_compute_qbo_connection")
    qbo_preferences_read_at = fields.Datetime(
        string="QuickBooks Settings Read on", compute="_compute_qbo_connection",
        help="Read when the company connects, at each connection test, and by exports once this is "
             "more than 5 minutes old.",
    )

    # --- Master data ---
    qbo_default_income_account_id = fields.Many2one(
        "account.account", string="QuickBooks Default Income Account",
        domain="[('account_type', 'in', ('income', 'income_other')), ('company_ids', 'in', id)]",
        help="Income account of the QuickBooks items created for products whose income account is not linked.",
    )
    qbo_default_expense_account_id = fields.Many2one(
        "account.account", string="QuickBooks Default Expense Account",
        domain="[('account_type', 'in', ('expense', 'expense_other', 'expense_direct_cost')), "
               "('company_ids', 'in', id)]",
        help="Expense account of the QuickBooks items created for products whose expense account is not linked.",
    )
    qbo_deposit_account_id = fields.Many2one(
        "account.account", string="QuickBooks Deposit Account",
        domain="[('account_type', 'in', ('asset_cash', 'asset_current')), ('company_ids', 'in', id)]",
        help="Account that receives incoming payments in QuickBooks; empty means Undeposited Funds.",
    )
    qbo_push_contacts = fields.Boolean(
        string="Update QuickBooks when contacts change",
        help="Changes to the name, email, phone or address of a linked contact are sent to QuickBooks.",
    )
    qbo_automatch_threshold = fields.Integer(
        string="QuickBooks Automatch Threshold", default=DEFAULT_THRESHOLD,
        help="Minimum name similarity (1-100) for automatch to propose two records with different names.",
    )

    # --- Invoices, credit notes and bills ---
    qbo_export_on_post = fields.Boolean(
        string="Export to QuickBooks when posted",
        help="Posted invoices, credit notes and bills are queued for export to QuickBooks.",
    )
    qbo_send_on_export = fields.Boolean(
        string="Email invoices from QuickBooks",
        help="After an invoice or credit note is exported, QuickBooks emails it to the customer's invoice address.",
    )
    qbo_default_product_id = fields.Many2one(
        "product.product", string="QuickBooks Item for Lines without Product",
        domain="[('company_id', 'in', [False, id])]",
        help="QuickBooks sales lines need an item: invoice lines without a product are sent with this product's item.",
    )
    qbo_export_sync_limit = fields.Integer(
        string="QuickBooks Export in Background Above", default=30,
        help="Selections of more documents than this are exported in the background.",
    )

    # --- Payments ---
    qbo_push_payments = fields.Boolean(
        string="Send payments to QuickBooks", default=True,
        help="A payment registered in Odoo on an invoice or bill exported to QuickBooks is created there too, "
             "linked to that document. Payments imported from QuickBooks are never sent back.",
    )
    qbo_payment_journal_id = fields.Many2one(
        "account.journal", string="Journal for QuickBooks Payments",
        domain="[('type', 'in', ('bank', 'cash', 'credit')), ('company_id', '=', id)]",
        help="Journal of the payments imported from QuickBooks whose deposit or bank account is the default "
             "account of no journal (e.g. Undeposited Funds). Empty: the first bank journal.",
    )

    # --- Expenses ---
    qbo_expense_employee_id = fields.Many2one(
        "hr.employee", string="Employee of QuickBooks Expenses",
        domain="[('company_id', 'in', [False, id])]",
        help="Expenses imported from QuickBooks whose payee is not a linked QuickBooks employee are this "
             "employee's.",
    )
    qbo_expense_payment_account_id = fields.Many2one(
        "account.account", string="QuickBooks Account Paying Company Expenses",
        domain="[('account_type', 'in', ('asset_cash', 'liability_credit_card')), ('company_ids', 'in', id)]",
        help="Expenses paid by the company are exported to QuickBooks as purchases paid from this bank, cash or "
             "credit card account.",
    )
    qbo_expense_start_date = fields.Date(
        string="Import QuickBooks Expenses From",
        help="Only QuickBooks expenses dated from this day on are imported; empty means all of them.",
    )

    # --- Documents created in QuickBooks ---
    qbo_import_documents = fields.Boolean(
        string="Import Documents Created in QuickBooks",
        help="Invoices, credit memos, sales and refund receipts, bills and vendor credits created in QuickBooks come into "
             "Odoo (posted when their amounts equal QuickBooks' to the cent); Odoo never sends them back.")
    qbo_import_start_date = fields.Date(
        string="Import QuickBooks Documents From",
        help="Only documents dated from this day on are imported; empty means all of them.")
    qbo_import_invoices = fields.Boolean(string="Import Invoices", default=True)
    qbo_import_credit_memos = fields.Boolean(string="Import Credit Memos", default=True)
    qbo_import_bills = fields.Boolean(string="Import Bills", default=True)
    qbo_import_vendor_credits = fields.Boolean(string="Import Vendor Credits", default=True)
    qbo_import_sales_receipts = fields.Boolean(string="Import Sales Receipts", default=True)
    qbo_import_refund_receipts = fields.Boolean(string="Import Refund Receipts", default=True)
    qbo_imported_edits = fields.Selection(
        [("refuse", "Refused: edited in QuickBooks only"), ("send", "Sent to QuickBooks")],
        string="Edits of Imported Documents", default="refuse", required=True,
        help="What happens when someone resets, edits or cancels in Odoo a document created in QuickBooks. "
             "Refused: Odoo says to change it in QuickBooks, and follows. Sent to QuickBooks: the invoices, credit "
             "memos, bills and vendor credits are exported back as updates (or voided) like documents born in "
             "Odoo; sales and refund receipts stay refused (their payment was made with them).")

    # --- Changes from QuickBooks ---
    qbo_webhook_enabled = fields.Boolean(
        string="Receive QuickBooks Webhooks",
        help="Record the changes QuickBooks notifies at once (needs the verifier token). Off: notifications "
             "are acknowledged and ignored, and the scheduled change data capture alone keeps Odoo up to date.",
    )
    qbo_webhook_verifier = fields.Char(
        string="Webhook Verifier Token", groups="base.group_system", copy=False,
        help="Shown by Intuit in the app's Webhooks settings: it proves a notification comes from QuickBooks.",
    )
    qbo_webhook_url = fields.Char(string="Webhook Endpoint", compute="_compute_qbo_webhook_url",
                                  help="Register this URL in the Intuit app's Webhooks settings.")
    qbo_event_rule_ids = fields.One2many("qbo.event.rule", "company_id", string="QuickBooks Event Rules")
    qbo_sync_cursor_ids = fields.One2many("qbo.sync.cursor", "company_id", string="QuickBooks Read Cursors",
                                          groups="quickbooks_connector.group_qbo_manager")
    qbo_last_event_at = fields.Datetime(string="Last QuickBooks Change Received",
                                        compute="_compute_qbo_sync_figures")
    qbo_last_sync_at = fields.Datetime(string="Last Successful Exchange", compute="_compute_qbo_sync_figures")
    qbo_event_pending_count = fields.Integer(string="Changes to Process", compute="_compute_qbo_sync_figures")
    qbo_event_error_count = fields.Integer(string="Changes in Error", compute="_compute_qbo_sync_figures")
    qbo_sync_error_count = fields.Integer(string="Failed Exchanges (7 days)", compute="_compute_qbo_sync_figures")
    qbo_books_status = fields.Char(string="Books in Step", compute="_compute_qbo_sync_figures",
                                   help="What the last comparison of the books with QuickBooks found (Books in Step).")

    # === CONSTRAINTS === #

    @api.constrains("qbo_automatch_threshold")
    def _check_qbo_automatch_threshold(self):
        for company in self:
            if not 1 <= company.qbo_automatch_threshold <= 100:
                raise ValidationError(_("The QuickBooks automatch threshold must be between 1 and 100."))

    @api.constrains("qbo_export_sync_limit")
    def _check_qbo_export_sync_limit(self):
        for company in self:
            if company.qbo_export_sync_limit < 1:
                raise ValidationError(_("The QuickBooks background export limit must be at least 1."))

    @api.constrains("qbo_webhook_enabled", "qbo_webhook_verifier")
    def _check_qbo_webhook_verifier(self):
        for company in self.sudo():
            if company.qbo_webhook_enabled and not company.qbo_webhook_verifier:
                raise ValidationError(_("QuickBooks: enter the webhook verifier token shown in the Intuit app "
                                        "before switching webhooks on; without it every notification is refused."))

    # === COMPUTE METHODS === #

    @api.depends("qbo_environment", "qbo_discovery_url")
    def _compute_qbo_api_url(self):
        for company in self:
            if company.qbo_environment == "custom":
                parts = urlsplit(company.qbo_discovery_url or "")
                company.qbo_api_url = parts.scheme and parts.netloc and f"{parts.scheme}://{parts.netloc}"
            else:
                company.qbo_api_url = API_URLS.get(company.qbo_environment)

    def _compute_qbo_redirect_uri(self):
        for company in self:
            company.qbo_redirect_uri = company.get_base_url().rstrip("/") + CALLBACK_ROUTE

    def _compute_qbo_webhook_url(self):
        for company in self:
            company.qbo_webhook_url = company.get_base_url().rstrip("/") + WEBHOOK_ROUTE

    @api.depends(*(f"qbo_connection_ids.{name}" for name in CONNECTION_FIELDS.values()))
    def _compute_qbo_connection(self):
        for company in self:
            connection = company.sudo().qbo_connection_ids[:1]
            for company_field, connection_field in CONNECTION_FIELDS.items():
                value = connection[connection_field]
                company[company_field] = value or ("disconnected" if company_field == "qbo_state" else value)

    @api.depends("qbo_connection_ids.allow_realm_change")
    def _compute_qbo_allow_realm_change(self):
        for company in self:
            company.qbo_allow_realm_change = company.sudo().qbo_connection_ids[:1].allow_realm_change

    def _inverse_qbo_allow_realm_change(self):
        for company in self:
            company._qbo_connection().allow_realm_change = company.qbo_allow_realm_change

    def _search_qbo_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("QuickBooks: unsupported search on the connection state."))
        wanted = {value} if not isinstance(value, (list, tuple, set)) else set(value)
        wanted = {state or "disconnected" for state in wanted}
        live = self.env["qbo.connection"].sudo().search_read([("state", "!=", "disconnected")], ["company_id", "state"])
        live_states = {row["company_id"][0]: row["state"] for row in live}
        if "disconnected" in wanted:
            domain = [("id", "not in", [cid for cid, state in live_states.items() if state not in wanted])]
        else:
            domain = [("id", "in", [cid for cid, state in live_states.items() if state in wanted])]
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        return domain

    def _search_qbo_realm_id(self, operator, value):
        connections = self.env["qbo.connection"].sudo().search([("realm_id", operator, value)])
        return [("id", "in", connections.company_id.ids)]

    def _compute_qbo_sync_figures(self):
        events = self.env["qbo.webhook.event"].sudo()
        logs = self.env["qbo.sync.log"].sudo()
        week_ago = fields.Datetime.subtract(fields.Datetime.now(), days=7)
        for company in self:
            last_event = events.search([("company_id", "=", company.id)], order="create_date desc", limit=1)
            last_log = logs._qbo_last_success(company)
            company.qbo_last_event_at = last_event.create_date
            company.qbo_books_status = self.env["qbo.books.check"]._qbo_status(company)
            company.qbo_last_sync_at = last_log.create_date
            company.qbo_event_pending_count = events.search_count(
                [("company_id", "=", company.id), ("state", "=", "pending")])
            company.qbo_event_error_count = events.search_count(
                [("company_id", "=", company.id), ("state", "=", "error")])
            company.qbo_sync_error_count = logs.search_count(
                [("company_id", "=", company.id), ("status", "=", "error"), ("resolved_at", "=", False),
                 ("create_date", ">=", week_ago)])

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS base: a new company has its (disconnected) connection and the default event rules.
        companies = super().create(vals_list)
        self.env["qbo.connection"].sudo().create([{"company_id": company.id} for company in companies])
        self.env["qbo.event.rule"]._qbo_ensure_default_rules(companies)
        return companies

    # === ACTION METHODS === #

    def action_qbo_connect(self):
        """Send the administrator to Intuit's consent page for this company.

        :return: an ``ir.actions.act_url`` to the authorization endpoint, with a signed single-use state
        :rtype: dict
        :raise AccessError: if the user is not a system administrator of this company
        :raise UserError: if the credentials are incomplete or the discovery document is unreachable
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("admin")
        auth_client = self._qbo_auth_client()
        connection = self._qbo_connection()
        state = connection._qbo_make_oauth_state(self.env.context.get("qbo_oauth_origin", "setup"))
        return {
            "type": "ir.actions.act_url",
            "url": auth_client.get_authorization_url(list(SCOPES), state_token=state),
            "target": "self",
        }

    def action_qbo_open_setup(self):
        """Open this company's QuickBooks setup checklist.

        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("manager")
        return self.env["qbo.setup"].with_company(self).action_open()

    def action_qbo_disconnect(self):
        """Revoke the authorization at Intuit and forget the tokens (the realm id is kept).

        :return: a ``display_notification`` action
        :raise AccessError: if the user is not a system administrator of these companies
        """
        self._qbo_check_access("admin")
        not_revoked = self.browse()
        for company in self:
            if not company._qbo_connection()._qbo_disconnect():
                not_revoked |= company
        if not_revoked:
            message = _("Disconnected in Odoo, but QuickBooks could not be told for %s: remove the app from "
                        "the QuickBooks company's connected apps.", ", ".join(not_revoked.mapped("name")))
            return self._qbo_notification(message, "warning")
        return self._qbo_notification(_("Disconnected from QuickBooks Online."), "success")

    def action_qbo_test_connection(self):
        """Read the QuickBooks company information and show its name.

        :return: a ``display_notification`` action
        :raise AccessError: if the user is not a QuickBooks manager of this company
        :raise UserError: if the company is not connected or QuickBooks refuses
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("manager")
        connection = self.sudo()._qbo_connection()
        try:
            values = connection._qbo_refresh_settings(self.sudo()._qbo_get_client())
        except QboApiError as error:
            raise UserError(_("QuickBooks: the connection test failed: %s",
                              self.env["qbo.fault"]._qbo_explain(error, company=self))) from None
        return self._qbo_notification(_("Connected to %s.", values.get("qbo_company_name", "")), "success")

    def action_qbo_sync_payments(self):
        """Sync Customer Payment: send the queued Odoo payments, then import the QuickBooks payments
        changed since the last run, and tell what was done.

        :return: a ``display_notification`` action, e.g. "3 payments imported, 1 skipped: invoice not exported"
        :raise AccessError: if the user is not a QuickBooks manager of this company
        :raise UserError: if the company is not connected to QuickBooks
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("manager")
        report = self.env["qbo.payment.pull"].sudo()._qbo_sync_button(self.sudo())
        return self._qbo_notification(report.message(), report.notification_type())

    def action_qbo_sync_expenses(self):
        """Import the QuickBooks expenses changed since the last synchronization (Sync Expense).

        :return: a ``display_notification`` action telling what was imported, updated or flagged
        :raise AccessError: if the user is not a QuickBooks manager of this company
        :raise UserError: if the company is not connected or QuickBooks cannot be read
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("manager")
        try:
            report = self.env["qbo.expense.pull"].sudo()._qbo_pull_expenses(self.sudo())
        except QboApiError as error:
            raise UserError(_("QuickBooks: the expenses could not be read: %s",
                              self.env["qbo.fault"]._qbo_explain(error, company=self))) from None
        return self._qbo_notification(report.message(), report.notification_type())

    def action_qbo_catch_up(self):
        """Read what changed in QuickBooks since the last catch-up and apply it now.

        :return: a ``display_notification`` action telling how many changes were applied
        :raise AccessError: if the user is not a QuickBooks manager of this company
        :raise UserError: if the company is not connected to QuickBooks
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("manager")
        try:
            message = self.env["qbo.cdc.pull"].sudo()._qbo_catch_up(self.sudo())
        except QboApiError as error:
            raise UserError(_("QuickBooks could not be read: %s",
                              self.env["qbo.fault"]._qbo_explain(error, company=self))) from None
        return self._qbo_notification(message, "success")

    # === BUSINESS METHODS === #

    def _qbo_connection(self):
        """Return this company's ``qbo.connection`` (as superuser; every company has one)."""
        self.ensure_one()
        return self.env["qbo.connection"].sudo().search([("company_id", "=", self.id)])

    @api.model
    def _qbo_connection_fields(self):
        """The fields computed from the connection (forgotten when it changes in another transaction)."""
        return [*CONNECTION_FIELDS, "qbo_allow_realm_change"]

    def _qbo_get_client(self):
        """Return a ready ``QboClient`` for this company's realm; every QuickBooks call goes through it
        (see ``qbo.connection._qbo_client``).

        :raise UserError: if the company is not connected or must be reconnected
        Note: self.ensure_one()
        """
        self.ensure_one()
        return self._qbo_connection()._qbo_client()

    def _qbo_export_settings(self, client):
        """What export payloads depend on (see ``qbo.connection._qbo_export_settings``)."""
        self.ensure_one()
        return self._qbo_connection()._qbo_export_settings(client)

    def _qbo_not_connected_message(self):
        self.ensure_one()
        return self._qbo_connection()._qbo_not_connected_message()

    def _qbo_discovery_url(self):
        self.ensure_one()
        if self.qbo_environment == "custom":
            if not self.qbo_discovery_url:
                raise UserError(_("QuickBooks: set the discovery URL of the custom environment."))
            return self.qbo_discovery_url
        return DISCOVERY_URLS[self.qbo_environment]

    def _qbo_auth_client(self):
        """Return intuit-oauth's ``AuthClient`` for this company's Intuit app.

        :raise UserError: if the credentials are incomplete or the discovery document is unreachable
        """
        self.ensure_one()
        company = self.sudo()
        if not company.qbo_client_id or not company.qbo_client_secret:
            raise UserError(_("QuickBooks: enter the Client ID and Client Secret of the Intuit app first."))
        discovery_url = company._qbo_discovery_url()
        try:
            return QboAuthClient(company.qbo_client_id, company.qbo_client_secret, company.qbo_redirect_uri,
                                 discovery_url)
        except (AuthClientError, RequestException, ValueError, KeyError) as error:
            _logger.info("QuickBooks: discovery document %s unreadable: %s", discovery_url, type(error).__name__)
            raise UserError(_("QuickBooks: the discovery document %s could not be read.", discovery_url)) from None

    def _qbo_document_url(self, entity, qbo_id):
        """Return the address that opens a QuickBooks transaction in the web app, or False.

        :param str entity: QuickBooks entity, e.g. ``"Invoice"``
        :param str qbo_id: its QuickBooks Id
        """
        self.ensure_one()
        host = APP_HOSTS.get(self.qbo_environment) or (self.qbo_api_url or "").rstrip("/")
        if not (qbo_id and entity and host):
            return False
        url = app_url(host, entity, qbo_id)
        if self.qbo_environment == "custom":
            url = f"{url}&realmId={self.qbo_realm_id}"
        return url

    def _qbo_payment_journal(self):
        """Return the journal of imported payments whose QuickBooks account is no journal's account."""
        self.ensure_one()
        journal = self.qbo_payment_journal_id or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.id)], limit=1)
        if not journal:
            raise UserError(_("QuickBooks: %s has no bank journal for the payments imported from QuickBooks; choose "
                              "one in the QuickBooks settings.", self.name))
        return journal

    @api.model
    def _qbo_notification(self, message, notification_type, reload=False):
        """The notification of an action's outcome.

        It then "closes" the action: the view it was started from (a form, a list, the Action menu)
        reloads its records and stays where it was, on the same record and tab. ``reload`` reloads the
        whole view instead (a screen whose rows the action rebuilt).
        """
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("QuickBooks"),
                "message": message,
                "type": notification_type,
                "sticky": notification_type in ("warning", "danger"),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"} if reload
                else {"type": "ir.actions.act_window_close"},
            },
        }
