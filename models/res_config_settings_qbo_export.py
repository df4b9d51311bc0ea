from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qbo_export_on_post = fields.Boolean(related="company_id.qbo_export_on_post", readonly=False)
    qbo_send_on_export = fields.Boolean(related="company_id.qbo_send_on_export", readonly=False)
    qbo_default_product_id = fields.Many2one(
        related="company_id.qbo_default_product_id", readonly=False,
        domain="[('company_id', 'in', [False, company_id])]")
    qbo_export_sync_limit = fields.Integer(related="company_id.qbo_export_sync_limit", readonly=False)
