from odoo import api, models


class AccountAnalyticAccount(models.Model):
    _inherit = "account.analytic.account"

    def _qbo_project_customer(self):
        """The customer a QuickBooks project of this account belongs to (QuickBooks projects are
        sub-customers), or an empty recordset (the project bridge addon prefers the Odoo project's)."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id

    @api.model
    def _qbo_projects_of(self, distributions):
        """The accounts of the projects plan among analytic distributions (``{"id,id": percent}`` dicts)."""
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        ids = {int(key) for distribution in distributions for keys in (distribution or {}) for key in keys.split(",")}
        return self.browse(ids).exists().filtered(lambda account: account.root_plan_id == project_plan)
