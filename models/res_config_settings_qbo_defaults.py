from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

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
