from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError

WEBHOOK_ROUTE = "/quickbooks/webhook"


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_webhook_enabled = fields.Boolean(
        string="Receive QuickBooks Webhooks", default=True,
        help="Record the changes QuickBooks notifies at once. Off: notifications are acknowledged and "
             "ignored, and the scheduled change data capture alone keeps Odoo up to date.",
    )
    qbo_webhook_verifier = fields.Char(
        string="Webhook Verifier Token", groups="base.group_system", copy=False,
        help="Shown by Intuit in the app's Webhooks settings: it proves a notification comes from QuickBooks.",
    )
    qbo_webhook_url = fields.Char(string="Webhook Endpoint", compute="_compute_qbo_webhook_url",
                                  help="Register this URL in the Intuit app's Webhooks settings.")
    qbo_cdc_cursor = fields.Datetime(
        string="Changes Read Until", copy=False, readonly=True,
        help="QuickBooks time of the last complete change data capture; the next one starts a little before it.",
    )
    qbo_event_rule_ids = fields.One2many("qbo.event.rule", "company_id", string="QuickBooks Event Rules")
    qbo_last_event_at = fields.Datetime(string="Last QuickBooks Change Received",
                                        compute="_compute_qbo_sync_figures")
    qbo_last_sync_at = fields.Datetime(string="Last Successful Exchange", compute="_compute_qbo_sync_figures")
    qbo_event_pending_count = fields.Integer(string="Changes to Process", compute="_compute_qbo_sync_figures")
    qbo_event_error_count = fields.Integer(string="Changes in Error", compute="_compute_qbo_sync_figures")
    qbo_sync_error_count = fields.Integer(string="Failed Exchanges (7 days)", compute="_compute_qbo_sync_figures")

    # === COMPUTE METHODS === #

    def _compute_qbo_webhook_url(self):
        for company in self:
            company.qbo_webhook_url = company.get_base_url().rstrip("/") + WEBHOOK_ROUTE

    def _compute_qbo_sync_figures(self):
        events = self.env["qbo.webhook.event"].sudo()
        logs = self.env["qbo.sync.log"].sudo()
        week_ago = fields.Datetime.subtract(fields.Datetime.now(), days=7)
        for company in self:
            last_event = events.search([("company_id", "=", company.id)], order="create_date desc", limit=1)
            last_log = logs.search([("company_id", "=", company.id), ("status", "=", "success")],
                                   order="id desc", limit=1)
            company.qbo_last_event_at = last_event.create_date
            company.qbo_last_sync_at = last_log.create_date
            company.qbo_event_pending_count = events.search_count(
                [("company_id", "=", company.id), ("state", "=", "pending")])
            company.qbo_event_error_count = events.search_count(
                [("company_id", "=", company.id), ("state", "=", "error")])
            company.qbo_sync_error_count = logs.search_count(
                [("company_id", "=", company.id), ("status", "!=", "success"), ("create_date", ">=", week_ago)])

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS base: a new company starts with the default event rules.
        companies = super().create(vals_list)
        self.env["qbo.event.rule"]._qbo_ensure_default_rules(companies)
        return companies

    # === ACTION METHODS === #

    def action_qbo_catch_up(self):
        """Read what changed in QuickBooks since the last catch-up and apply it now.

        :return: a ``display_notification`` action telling how many changes were applied
        :raise AccessError: if the user is not a QuickBooks manager
        :raise UserError: if the company is not connected to QuickBooks
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_manager()
        try:
            message = self.env["qbo.cdc.sync"].sudo()._qbo_catch_up(self.sudo())
        except QboApiError as error:
            raise UserError(_("QuickBooks could not be read: %s", error)) from None
        return self._qbo_notification(message, "success")

    # === BUSINESS METHODS === #

    def _qbo_on_realm_change(self, old_realm_id, new_realm_id):
        # EXTENDS quickbooks_connector: the change cursor of another realm means nothing in the new one.
        super()._qbo_on_realm_change(old_realm_id, new_realm_id)
        self.sudo().write({"qbo_cdc_cursor": False})
