from odoo import models


class AccountAnalyticAccount(models.Model):
    _inherit = "account.analytic.account"

    def _qbo_project_customer(self):
        # EXTENDS quickbooks_connector: the customer of the Odoo project of this account comes first.
        project = self.env["project.project"].sudo().search([("account_id", "=", self.id)], limit=1)
        return project.partner_id.commercial_partner_id or super()._qbo_project_customer()
