from odoo import _, models
from odoo.exceptions import UserError

# Report states whose expenses may be exported: approved, posted, paid.
EXPORTABLE_SHEET_STATES = ("approve", "post", "done")


class HrExpenseSheet(models.Model):
    _inherit = "hr.expense.sheet"

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
        """Export the expenses of approved, posted or paid reports to QuickBooks (Action > Export to QBO).

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
