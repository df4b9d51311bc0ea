from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qbo_expense_employee_id = fields.Many2one(
        related="company_id.qbo_expense_employee_id", readonly=False,
        domain="[('company_id', 'in', [False, company_id])]")
    qbo_expense_payment_account_id = fields.Many2one(
        related="company_id.qbo_expense_payment_account_id", readonly=False,
        domain="[('account_type', 'in', ('asset_cash', 'liability_credit_card')), ('company_ids', 'in', company_id)]")
    qbo_expense_start_date = fields.Date(related="company_id.qbo_expense_start_date", readonly=False)
