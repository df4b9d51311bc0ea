from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_expense_employee_id = fields.Many2one(
        "hr.employee", string="Employee of QuickBooks Expenses",
        domain="[('company_id', 'in', [False, id])]",
        help="Expenses imported from QuickBooks whose payee is not a linked QuickBooks employee are this "
             "employee's.",
    )
    qbo_expense_payment_account_id = fields.Many2one(
        "account.account", string="QuickBooks Account Paying Company Expenses",
        domain="[('account_type', 'in', ('asset_cash', 'liability_credit_card')), ('company_ids', 'in', id)]",
        help="Expenses paid by the company are exported to QuickBooks as purchases paid from this bank, cash or "
             "credit card account.",
    )
    qbo_expense_start_date = fields.Date(
        string="Import QuickBooks Expenses From",
        help="Only QuickBooks expenses dated from this day on are imported; empty means all of them.",
    )
    qbo_expense_cursor = fields.Char(
        string="QuickBooks Expenses Read Until", readonly=True, copy=False,
        help="Last change time of the QuickBooks expenses read so far: the next synchronization reads what "
             "changed since then.",
    )

    # === ACTION METHODS === #

    def action_qbo_sync_expenses(self):
        """Import the QuickBooks expenses changed since the last synchronization (Sync Expense).

        :return: a ``display_notification`` action telling what was imported, updated or flagged
        :raise AccessError: if the user is not a QuickBooks manager
        :raise UserError: if the company is not connected or QuickBooks cannot be read
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_manager()
        try:
            report = self.env["qbo.expense.pull"].sudo()._qbo_pull_expenses(self.sudo())
        except QboApiError as error:
            raise UserError(_("QuickBooks: the expenses could not be read: %s", error)) from None
        return self._qbo_notification(report.message(), report.notification_type())

    # === CRON === #

    @api.model
    def _cron_qbo_pull_expenses(self):
        """Import the QuickBooks expenses of every connected company."""
        self.env["qbo.expense.pull"]._qbo_cron_pull()
