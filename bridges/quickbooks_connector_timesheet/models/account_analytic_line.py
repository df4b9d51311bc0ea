from odoo import api, fields, models

QBO_TIME_STATES = [
    ("not_exported", "Not exported"),
    ("to_send", "To export"),
    ("exported", "Exported"),
    ("changed", "Changed in Odoo since export"),
    ("error", "Error"),
]
# A time activity's BillableStatus in QuickBooks.
TIME_STATUSES = [("Billable", "Billable"), ("NotBillable", "Not billable"), ("HasBeenBilled", "Billed")]
# What a time activity shows of its timesheet.
QBO_TRACKED_FIELDS = {"unit_amount", "name", "date", "task_id", "project_id", "employee_id", "so_line"}


class AccountAnalyticLine(models.Model):
    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "qbo.sync.mixin"]

    qbo_state = fields.Selection(QBO_TIME_STATES, string="QuickBooks", default="not_exported", required=True,
                                 copy=False, readonly=True, index=True)
    qbo_billable_status = fields.Selection(
        TIME_STATUSES, string="Time in QuickBooks", copy=False, readonly=True,
        help="Billed: an invoice exported to QuickBooks bills this time, which QuickBooks will not bill again.")

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS 'hr_timesheet': a timesheet goes to QuickBooks when the company sends timesheets.
        lines = super().create(vals_list)
        lines._qbo_queue()
        return lines

    def write(self, vals):
        # EXTENDS 'hr_timesheet': its time activity follows the timesheet's changes.
        result = super().write(vals)
        if set(vals) & QBO_TRACKED_FIELDS:
            changed = self.filtered(lambda line: line.qbo_id and line.qbo_state in ("exported", "error"))
            changed.sudo()._qbo_write({"qbo_state": "changed"})
            self._qbo_queue()
        return result

    def _qbo_document_entity(self):
        self.ensure_one()
        return "TimeActivity"

    def _qbo_queue(self):
        """Have the export job send the timesheets of companies that send them (it runs at once, in the
        background)."""
        todo = self.filtered(lambda line: line.project_id and line.employee_id
                             and line.company_id.qbo_export_timesheets and line.company_id.qbo_realm_id
                             and line.qbo_state in ("not_exported", "changed", "error"))
        if todo:
            todo.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                    "qbo_next_attempt": False})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
