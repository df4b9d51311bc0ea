from odoo import api, models

from odoo.addons.quickbooks_connector.qbo_payload.account_move import DESCRIPTION_MAX


class QboMoveExport(models.AbstractModel):
    _inherit = "qbo.move.export"

    @api.model
    def _qbo_resolve(self, run, moves, dry_run=False):
        # EXTENDS quickbooks_connector: the tasks of the timesheets each invoice line bills, read at once.
        resolved = super()._qbo_resolve(run, moves, dry_run=dry_run)
        timesheets = self.env["account.analytic.line"].sudo().search(
            [("timesheet_invoice_id", "in", moves.ids), ("so_line", "!=", False)], order="date, id")
        tasks = {}
        for timesheet in timesheets:
            names = tasks.setdefault((timesheet.timesheet_invoice_id.id, timesheet.so_line.id), [])
            if timesheet.task_id and timesheet.task_id.name not in names:
                names.append(timesheet.task_id.name)
        resolved["tasks"] = tasks
        resolved["timesheets"] = timesheets
        return resolved

    @api.model
    def _qbo_line_values(self, line, resolved, sales, default_product):
        # EXTENDS quickbooks_connector: a line billing timesheets names their tasks.
        values = super()._qbo_line_values(line, resolved, sales, default_product)
        names = [name for sale_line in line.sale_line_ids
                 for name in resolved.get("tasks", {}).get((line.move_id.id, sale_line.id), [])]
        if names:
            values["description"] = "\n".join([values["description"], ", ".join(names)])[:DESCRIPTION_MAX]
        return values

    @api.model
    def _qbo_build(self, run, move, resolved):
        # EXTENDS quickbooks_connector: the invoice bills the time activities of its timesheets, which
        # QuickBooks marks billed (so they are not billed again from QuickBooks).
        entity, payload, expected = super()._qbo_build(run, move, resolved)
        if entity == "Invoice":
            billed = resolved.get("timesheets", self.env["account.analytic.line"]).filtered(
                lambda timesheet: timesheet.timesheet_invoice_id == move and timesheet.qbo_id
                and timesheet.qbo_billable_status in ("Billable", "HasBeenBilled"))
            if billed:
                self._qbo_link_records(run, move, payload, billed, "TimeActivity")
        return entity, payload, expected

    @api.model
    def _qbo_export_after(self, run, moves):
        # EXTENDS quickbooks_connector: the timesheets show their time billed in QuickBooks.
        super()._qbo_export_after(run, moves)
        links = self._qbo_linked_exported(run, moves, "account.analytic.line")
        if links:
            self._qbo_read_back(run, self.env["account.analytic.line"].concat(*links.values()), "TimeActivity",
                                lambda doc: {"qbo_billable_status": doc.get("BillableStatus") or False})
