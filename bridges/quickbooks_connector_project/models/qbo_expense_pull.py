from odoo import api, models


class QboExpensePull(models.AbstractModel):
    _inherit = "qbo.expense.pull"

    @api.model
    def _qbo_new_project_account(self, company, name, project_plan, doc):
        # EXTENDS quickbooks_connector: a QuickBooks project Odoo does not know yet becomes an Odoo project,
        # its expenses on the project's analytic account.
        account = super()._qbo_new_project_account(company, name, project_plan, doc)
        if doc.get("IsProject"):
            self.env["project.project"].sudo().with_company(company).create({
                "name": doc.get("DisplayName") or name, "company_id": company.id, "account_id": account.id})
        return account
