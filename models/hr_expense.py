from odoo import _, api, fields, models
from odoo.exceptions import UserError

QBO_EXPENSE_STATES = [
    ("not_exported", "Not exported"),
    ("imported", "Imported"),
    ("to_send", "To export"),
    ("exported", "Exported"),
    ("changed", "Changed in Odoo since export"),
    ("error", "Error"),
    ("removed", "Removed from QuickBooks"),
]
# Expense states in which a change made in QuickBooks is still applied to an imported expense.
EDITABLE_STATES = ("draft", "reported")
# Expense states that may be exported: approved (or posted) and paid.
EXPORTABLE_STATES = ("approved", "done")
# Fields of an expense whose change makes its QuickBooks copy differ.
QBO_TRACKED_FIELDS = ("name", "date", "employee_id", "product_id", "account_id", "total_amount_currency",
                      "tax_ids", "currency_id", "payment_mode", "vendor_id", "analytic_distribution", "description")


class HrExpense(models.Model):
    _name = "hr.expense"
    _inherit = ["hr.expense", "qbo.sync.mixin"]

    qbo_expense_type = fields.Selection(
        [("odoo", "Entered in Odoo"), ("quickbooks", "From QuickBooks")], string="Expense Type",
        default="odoo", required=True, readonly=True, copy=False, index=True,
        help="Expenses from QuickBooks were entered there and imported; they are never exported back.",
    )
    qbo_state = fields.Selection(
        QBO_EXPENSE_STATES, string="QuickBooks", default="not_exported", required=True, readonly=True,
        copy=False, index=True,
    )
    qbo_entity = fields.Char(string="QuickBooks Transaction Type", readonly=True, copy=False)
    qbo_line_id = fields.Char(string="QuickBooks Line ID", readonly=True, copy=False)
    qbo_doc_number = fields.Char(string="QuickBooks Reference", readonly=True, copy=False)
    qbo_payment_type = fields.Selection(
        [("Cash", "Cash"), ("Check", "Check"), ("CreditCard", "Credit Card")], string="Paid in QuickBooks by",
        readonly=True, copy=False,
    )
    qbo_exported_at = fields.Datetime(string="Exported to QuickBooks on", readonly=True, copy=False)
    qbo_amount_total = fields.Monetary(string="QuickBooks Total", currency_field="currency_id", readonly=True,
                                       copy=False)

    _sql_constraints = [
        ("qbo_line_unique", "unique(company_id, qbo_entity, qbo_id, qbo_line_id)",
         "This QuickBooks expense line is already linked to another expense."),
    ]

    # === CRUD / OVERRIDES === #

    def write(self, vals):
        # EXTENDS 'hr_expense': an exported expense edited in Odoo differs from its QuickBooks copy.
        if set(vals) & set(QBO_TRACKED_FIELDS) and "qbo_state" not in vals:
            exported = self.filtered(lambda expense: expense.qbo_state == "exported")
            result = super().write(vals)
            exported.sudo()._qbo_write({"qbo_state": "changed"})
            return result
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_qbo_copy(self):
        # An expense exported from Odoo takes its QuickBooks copy along; an imported one leaves
        # QuickBooks alone (what was entered there is never removed from Odoo's side).
        exported = self.filtered(lambda expense: expense.qbo_id and expense.qbo_expense_type == "odoo")
        if exported:
            self.env["qbo.expense.export"].sudo()._qbo_remove_expenses(exported.sudo())

    # === ACTION METHODS === #

    def action_qbo_export(self):
        """Export the approved expenses of the selection to QuickBooks (Action > Export to QuickBooks).

        Expenses imported from QuickBooks are skipped and counted.

        :return: a ``display_notification`` action with the counts
        :raise AccessError: if the user is not a QuickBooks manager who may change these expenses
        :raise UserError: if some expense of the selection is not approved
        """
        self._qbo_check_access("manager", "write")
        imported = self.filtered(lambda expense: expense.qbo_expense_type == "quickbooks")
        to_export = self - imported
        not_approved = to_export.filtered(lambda expense: expense.state not in EXPORTABLE_STATES)
        if not_approved:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(_(
                "QuickBooks: only approved expenses can be exported; approve these first: %s",
                ", ".join(f"{expense.name} ({states[expense.state]})" for expense in not_approved)))
        if not to_export:
            raise UserError(_("QuickBooks: these expenses came from QuickBooks; they are not exported back."))
        report = self.env["qbo.expense.export"].sudo()._qbo_export_expenses(to_export.sudo())
        return self._qbo_notification(report.message(skipped=len(imported)), report.notification_type())

    def action_qbo_clear_flags(self):
        """Mark the changes and deletions made in QuickBooks as reviewed: Odoo keeps its version.

        :raise AccessError: if the user is not a QuickBooks manager who may change these expenses
        """
        self._qbo_check_access("manager", "write")
        flagged = self.filtered("qbo_remote_change")
        flagged.sudo()._qbo_clear_remote_change()
        for expense in flagged:
            expense._message_log(body=_("QuickBooks change reviewed: Odoo keeps its version."))

    # === TOOLING === #

    def _qbo_document_entity(self):
        self.ensure_one()
        return self.qbo_entity
