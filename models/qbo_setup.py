from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..qbo_master_data import KINDS


class QboSetup(models.TransientModel):
    """The QuickBooks setup checklist of a company: each step says whether it is done and offers the
    one click that does it (app credentials, connect, taxes, defaults, master data, webhooks).

    The settings it shows live on ``res.company``; QuickBooks managers change them here (not only
    system administrators), the Intuit app's secrets staying the administrators'.
    """

    _name = "qbo.setup"
    _description = "QuickBooks Setup"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    company_name = fields.Char(related="company_id.name")

    # --- The Intuit app and the connection ---
    qbo_client_id = fields.Char(related="company_id.qbo_client_id", readonly=False)
    qbo_client_secret = fields.Char(related="company_id.qbo_client_secret", readonly=False,
                                    groups="base.group_system")
    qbo_environment = fields.Selection(related="company_id.qbo_environment", readonly=False)
    qbo_discovery_url = fields.Char(related="company_id.qbo_discovery_url", readonly=False)
    qbo_redirect_uri = fields.Char(related="company_id.qbo_redirect_uri")
    qbo_state = fields.Selection(related="company_id.qbo_state")
    qbo_realm_id = fields.Char(related="company_id.qbo_realm_id")
    qbo_company_name = fields.Char(related="company_id.qbo_company_name")
    qbo_connected_at = fields.Datetime(related="company_id.qbo_connected_at")
    qbo_last_error = fields.Char(related="company_id.qbo_last_error")
    qbo_country = fields.Char(related="company_id.qbo_country")

    # --- Defaults ---
    qbo_default_income_account_id = fields.Many2one(
        related="company_id.qbo_default_income_account_id", readonly=False, string="Income Account",
        domain="[('account_type', 'in', ('income', 'income_other')), ('company_ids', 'in', company_id)]")
    qbo_deposit_account_id = fields.Many2one(
        related="company_id.qbo_deposit_account_id", readonly=False, string="Deposit To",
        domain="[('account_type', 'in', ('asset_cash', 'asset_current')), ('company_ids', 'in', company_id)]")
    qbo_expense_employee_id = fields.Many2one(
        related="company_id.qbo_expense_employee_id", readonly=False, string="Employee",
        domain="[('company_id', 'in', [False, company_id])]")
    qbo_expense_payment_account_id = fields.Many2one(
        related="company_id.qbo_expense_payment_account_id", readonly=False, string="Paid From",
        domain="[('account_type', 'in', ('asset_cash', 'liability_credit_card')), ('company_ids', 'in', company_id)]")

    # --- Webhooks ---
    qbo_webhook_enabled = fields.Boolean(related="company_id.qbo_webhook_enabled", readonly=False)
    qbo_webhook_verifier = fields.Char(related="company_id.qbo_webhook_verifier", readonly=False,
                                       groups="base.group_system")
    qbo_webhook_url = fields.Char(related="company_id.qbo_webhook_url")

    # --- The checklist ---
    step_credentials = fields.Boolean(compute="_compute_steps")
    step_connect = fields.Boolean(compute="_compute_steps")
    step_taxes = fields.Boolean(compute="_compute_steps")
    step_defaults = fields.Boolean(compute="_compute_steps")
    step_master_data = fields.Boolean(compute="_compute_steps")
    step_webhooks = fields.Boolean(compute="_compute_steps")
    steps_done = fields.Integer(compute="_compute_steps")
    taxes_todo = fields.Char(compute="_compute_steps",
                             help="The default taxes, and those of posted documents, not mapped yet.")
    taxes_other_count = fields.Integer(compute="_compute_steps", help="Other taxes of the company not mapped.")
    linked_customers = fields.Integer(compute="_compute_steps")
    linked_products = fields.Integer(compute="_compute_steps")

    @api.depends("company_id")
    def _compute_display_name(self):
        for setup in self:
            setup.display_name = _("QuickBooks Setup")

    @api.depends("company_id", "qbo_client_id", "qbo_state", "qbo_default_income_account_id",
                 "qbo_expense_employee_id", "qbo_webhook_enabled")
    def _compute_steps(self):
        for setup in self:
            company = setup.company_id.sudo()
            setup.step_credentials = bool(company.qbo_client_id and company.qbo_client_secret)
            setup.step_connect = company.qbo_state == "connected"
            needed = company.account_sale_tax_id | company.account_purchase_tax_id | setup._qbo_taxes_in_use()
            maps = self.env["qbo.tax.map"].sudo().search([("company_id", "=", company.id)])
            setup.taxes_todo = ", ".join((needed - maps.tax_id).mapped("name"))
            setup.taxes_other_count = self.env["account.tax"].sudo().search_count([
                ("company_id", "=", company.id), ("type_tax_use", "in", ("sale", "purchase")),
                ("id", "not in", (needed | maps.tax_id).ids)])
            setup.step_taxes = setup.step_connect and not setup.taxes_todo
            setup.step_defaults = bool(company.qbo_default_income_account_id and company.qbo_expense_employee_id)
            links = self.env["qbo.mapping"].sudo()
            setup.linked_customers = links.search_count([("company_id", "=", company.id),
                                                         ("qbo_entity", "=", KINDS["customer"].entity)])
            setup.linked_products = links.search_count([("company_id", "=", company.id),
                                                        ("qbo_entity", "=", KINDS["product"].entity)])
            setup.step_master_data = bool(setup.linked_customers and setup.linked_products)
            setup.step_webhooks = bool(company.qbo_webhook_enabled and company.qbo_webhook_verifier)
            setup.steps_done = sum((setup.step_credentials, setup.step_connect, setup.step_taxes, setup.step_defaults,
                                    setup.step_master_data))

    def _qbo_taxes_in_use(self):
        """The taxes of the company's posted invoices, credit notes and bills (one query: what an export
        would need mapped)."""
        self.env.flush_all()
        self.env.cr.execute("""
            SELECT DISTINCT rel.account_tax_id
              FROM account_move_line_account_tax_rel rel
              JOIN account_move_line line ON line.id = rel.account_move_line_id
              JOIN account_move move ON move.id = line.move_id
             WHERE line.company_id = %s AND line.parent_state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')
        """, [self.company_id.id])
        return self.env["account.tax"].sudo().browse(row[0] for row in self.env.cr.fetchall())

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS base: only QuickBooks managers open a company's checklist.
        self._qbo_check_access("manager", "create")
        return super().create(vals_list)

    def write(self, vals):
        # EXTENDS base: the settings shown are the company's; QuickBooks managers may change them here
        # (not on the company form, which needs the Access Rights group), fields of a group only its members.
        self._qbo_check_access("manager", "write")
        company_vals = {}
        for name in list(vals):
            field = self._fields[name]
            if field.related:
                if field.groups and not self.env.user.has_groups(field.groups):
                    raise AccessError(_("QuickBooks: only a system administrator can change %s.", field.string))
                company_vals[field.related.split(".")[-1]] = vals.pop(name)
        if company_vals:
            self.company_id.sudo().write(company_vals)
        return super().write(vals)

    # === ACTIONS === #

    @api.model
    def action_open(self):
        """Open the checklist of the current company."""
        self._qbo_check_access("manager")
        setup = self.create({"company_id": self.env.company.id})
        return setup._qbo_action()

    def _qbo_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("QuickBooks Setup"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_connect(self):
        """Connect (or reconnect); Intuit sends the administrator back to this checklist."""
        self.ensure_one()
        self._qbo_check_access("admin", "write")
        return self.company_id.with_context(qbo_oauth_origin="setup").action_qbo_connect()

    def action_disconnect(self):
        self.ensure_one()
        self._qbo_check_access("admin", "write")
        return self.company_id.action_qbo_disconnect()

    def action_test_connection(self):
        self.ensure_one()
        self._qbo_check_access("manager")
        return self.company_id.action_qbo_test_connection()

    def action_map_taxes(self):
        """Open the mapping screen on taxes (Automatch proposes the codes of the same rate)."""
        self.ensure_one()
        self._qbo_check_access("manager")
        return self.env["qbo.mapping.line"].with_company(self.company_id).action_open_screen("tax")

    def action_match_records(self):
        """Open the mapping screen on customers (Automatch links the records found on both sides)."""
        self.ensure_one()
        self._qbo_check_access("manager")
        return self.env["qbo.mapping.line"].with_company(self.company_id).action_open_screen("customer")
