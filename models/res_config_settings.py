from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """The company's QuickBooks settings in Accounting settings (they live on ``res.company``)."""

    _inherit = "res.config.settings"

    qbo_client_id = fields.Char(related="company_id.qbo_client_id", readonly=False)
    qbo_client_secret = fields.Char(related="company_id.qbo_client_secret", readonly=False,
                                    groups="base.group_system")
    qbo_environment = fields.Selection(related="company_id.qbo_environment", readonly=False)
    qbo_discovery_url = fields.Char(related="company_id.qbo_discovery_url", readonly=False)
    qbo_api_url = fields.Char(related="company_id.qbo_api_url", readonly=False)
    qbo_redirect_uri = fields.Char(related="company_id.qbo_redirect_uri")
    qbo_realm_id = fields.Char(related="company_id.qbo_realm_id")
    qbo_company_name = fields.Char(related="company_id.qbo_company_name")
    qbo_state = fields.Selection(related="company_id.qbo_state")
    qbo_last_error = fields.Char(related="company_id.qbo_last_error")
    qbo_allow_realm_change = fields.Boolean(related="company_id.qbo_allow_realm_change", readonly=False,
                                            groups="base.group_system")
    qbo_default_income_account_id = fields.Many2one(
        related="company_id.qbo_default_income_account_id", readonly=False,
        domain="[('account_type', 'in', ('income', 'income_other')), ('company_ids', 'in', company_id)]")
    qbo_default_expense_account_id = fields.Many2one(
        related="company_id.qbo_default_expense_account_id", readonly=False,
        domain="[('account_type', 'in', ('expense', 'expense_other', 'expense_direct_cost')), "
               "('company_ids', 'in', company_id)]")
    qbo_deposit_account_id = fields.Many2one(
        related="company_id.qbo_deposit_account_id", readonly=False,
        domain="[('account_type', 'in', ('asset_cash', 'asset_current')), ('company_ids', 'in', company_id)]")
    qbo_push_contacts = fields.Boolean(related="company_id.qbo_push_contacts", readonly=False)
    qbo_automatch_threshold = fields.Integer(related="company_id.qbo_automatch_threshold", readonly=False)
    qbo_expense_employee_id = fields.Many2one(
        related="company_id.qbo_expense_employee_id", readonly=False,
        domain="[('company_id', 'in', [False, company_id])]")
    qbo_expense_payment_account_id = fields.Many2one(
        related="company_id.qbo_expense_payment_account_id", readonly=False,
        domain="[('account_type', 'in', ('asset_cash', 'liability_credit_card')), ('company_ids', 'in', company_id)]")
    qbo_expense_start_date = fields.Date(related="company_id.qbo_expense_start_date", readonly=False)
    qbo_import_documents = fields.Boolean(related="company_id.qbo_import_documents", readonly=False)
    qbo_import_start_date = fields.Date(related="company_id.qbo_import_start_date", readonly=False)
    qbo_import_invoices = fields.Boolean(related="company_id.qbo_import_invoices", readonly=False)
    qbo_import_credit_memos = fields.Boolean(related="company_id.qbo_import_credit_memos", readonly=False)
    qbo_import_bills = fields.Boolean(related="company_id.qbo_import_bills", readonly=False)
    qbo_import_vendor_credits = fields.Boolean(related="company_id.qbo_import_vendor_credits", readonly=False)
    qbo_import_sales_receipts = fields.Boolean(related="company_id.qbo_import_sales_receipts", readonly=False)
    qbo_import_refund_receipts = fields.Boolean(related="company_id.qbo_import_refund_receipts", readonly=False)
    qbo_imported_edits = fields.Selection(related="company_id.qbo_imported_edits", readonly=False)
    qbo_export_on_post = fields.Boolean(related="company_id.qbo_export_on_post", readonly=False)
    qbo_send_on_export = fields.Boolean(related="company_id.qbo_send_on_export", readonly=False)
    qbo_default_product_id = fields.Many2one(
        related="company_id.qbo_default_product_id", readonly=False,
        domain="[('company_id', 'in', [False, company_id])]")
    qbo_export_sync_limit = fields.Integer(related="company_id.qbo_export_sync_limit", readonly=False)
    qbo_push_payments = fields.Boolean(related="company_id.qbo_push_payments", readonly=False)
    qbo_payment_journal_id = fields.Many2one(
        related="company_id.qbo_payment_journal_id", readonly=False,
        domain="[('type', 'in', ('bank', 'cash', 'credit')), ('company_id', '=', company_id)]")
    qbo_webhook_enabled = fields.Boolean(related="company_id.qbo_webhook_enabled", readonly=False)
    qbo_webhook_verifier = fields.Char(related="company_id.qbo_webhook_verifier", readonly=False,
                                       groups="base.group_system")
    qbo_webhook_url = fields.Char(related="company_id.qbo_webhook_url")

    # === ACTION METHODS === #

    def action_qbo_connect(self):
        """Connect the current company; the callback comes back to these settings."""
        return self.company_id.with_context(qbo_oauth_origin="settings").action_qbo_connect()

    def action_qbo_disconnect(self):
        return self.company_id.action_qbo_disconnect()

    def action_qbo_test_connection(self):
        return self.company_id.action_qbo_test_connection()

    def action_qbo_open_setup(self):
        return self.company_id.action_qbo_open_setup()
