from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qbo_push_payments = fields.Boolean(related="company_id.qbo_push_payments", readonly=False)
    qbo_payment_journal_id = fields.Many2one(
        related="company_id.qbo_payment_journal_id", readonly=False,
        domain="[('type', 'in', ('bank', 'cash', 'credit')), ('company_id', '=', company_id)]")
