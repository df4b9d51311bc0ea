from odoo import fields, models


class ResConfigSettings(models.TransientModel):
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

    # === ACTION METHODS === #

    def action_qbo_connect(self):
        """Connect the current company; the callback comes back to these settings."""
        return self.company_id.with_context(qbo_oauth_origin="settings").action_qbo_connect()

    def action_qbo_disconnect(self):
        return self.company_id.action_qbo_disconnect()

    def action_qbo_test_connection(self):
        return self.company_id.action_qbo_test_connection()
