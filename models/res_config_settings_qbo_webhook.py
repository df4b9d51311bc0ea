from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    qbo_webhook_enabled = fields.Boolean(related="company_id.qbo_webhook_enabled", readonly=False)
    qbo_webhook_verifier = fields.Char(related="company_id.qbo_webhook_verifier", readonly=False,
                                       groups="base.group_system")
    qbo_webhook_url = fields.Char(related="company_id.qbo_webhook_url")
