from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .qbo_sync_mixin import QBO_STATUSES

# Report states whose expenses may be exported: approved, posted, paid.
EXPORTABLE_SHEET_STATES = ("approve", "post", "done")
# A report shows the status of its expenses that asks most for attention, the first of these found.
SHEET_STATUS_PRIORITY = ("error", "remote_deleted", "remote_voided", "remote_changed", "retry", "changed",
                         "to_export")
DONE_STATUSES = {"exported", "imported"}


class HrExpenseSheet(models.Model):
    _inherit = "hr.expense.sheet"

    qbo_status = fields.Selection(
        [*QBO_STATUSES, ("partial", "Partly exported")], string="QuickBooks Status", compute="_compute_qbo_status",
        help="Where the report's expenses stand with QuickBooks: the one that asks most for attention, else "
             "whether they are all exported.",
    )
    qbo_document_count = fields.Integer(string="In QuickBooks", compute="_compute_qbo_status")

    # === COMPUTE METHODS === #

    @api.depends("expense_line_ids.qbo_status", "expense_line_ids.qbo_id")
    def _compute_qbo_status(self):
        for sheet in self:
            expenses = sheet.expense_line_ids
            statuses = set(expenses.mapped("qbo_status"))
            sheet.qbo_document_count = len(expenses.filtered("qbo_id"))
            status = next((status for status in SHEET_STATUS_PRIORITY if status in statuses), None)
            done = statuses & DONE_STATUSES
            if status:
                sheet.qbo_status = status
            elif not done:
                sheet.qbo_status = "removed" if statuses == {"removed"} else "not_exported"
            elif statuses - done:
                sheet.qbo_status = "partial"
            else:
                sheet.qbo_status = "exported" if "exported" in done else "imported"

    # === CRUD / OVERRIDES === #

    def _do_refuse(self, reason):
        # EXTENDS 'hr_expense': the QuickBooks copies of a refused report's expenses are removed.
        # Odoo refuses first: if QuickBooks then refuses (a bill paid there), the whole refusal is
        # rolled back and nothing changes on either side.
        exported = self.expense_line_ids.filtered(lambda expense: expense.qbo_id
                                                  and expense.qbo_expense_type == "odoo")
        result = super()._do_refuse(reason)
        if exported:
            self.env["qbo.expense.export"].sudo()._qbo_remove_expenses(exported.sudo())
        return result

    def _do_reset_approval(self):
        # EXTENDS 'hr_expense': an exported expense back to draft differs (or will) from its QuickBooks copy.
        result = super()._do_reset_approval()
        exported = self.expense_line_ids.filtered(lambda expense: expense.qbo_id and expense.qbo_state == "exported")
        exported.sudo()._qbo_write({"qbo_state": "changed"})
        return result

    # === ACTION METHODS === #

    def action_qbo_export(self):
        """Export the expenses of approved, posted or paid reports to QuickBooks (Action > Export to QuickBooks).

        :return: a ``display_notification`` action with the counts
        :raise AccessError: if the user is not a QuickBooks manager who may change these reports
        :raise UserError: if a report of the selection is not approved
        """
        self._qbo_check_access("manager", "write")
        not_approved = self.filtered(lambda sheet: sheet.state not in EXPORTABLE_SHEET_STATES)
        if not_approved:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(_(
                "QuickBooks: only approved expense reports can be exported; approve these first: %s",
                ", ".join(f"{sheet.name} ({states[sheet.state]})" for sheet in not_approved)))
        return self.expense_line_ids.action_qbo_export()

    def action_qbo_open(self):
        """Open the report's expense in QuickBooks, or the list of its expenses in QuickBooks when there are
        several (each opens its own QuickBooks transaction).

        :raise UserError: if none of its expenses is in QuickBooks
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_access("user")
        in_qbo = self.expense_line_ids.filtered("qbo_url")
        if not in_qbo:
            raise UserError(_("QuickBooks: no expense of this report is in QuickBooks."))
        if len(in_qbo) == 1:
            return in_qbo._qbo_open_url(in_qbo.qbo_url)
        return {
            "type": "ir.actions.act_window",
            "name": _("Expenses in QuickBooks"),
            "res_model": "hr.expense",
            "view_mode": "list,form",
            "views": [[False, "list"], [False, "form"]],
            "domain": [("id", "in", in_qbo.ids)],
        }
