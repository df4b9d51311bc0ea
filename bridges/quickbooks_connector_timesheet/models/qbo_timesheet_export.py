from odoo import _, api, models

from odoo.addons.quickbooks_connector.qbo_master_data import SyncSummary
from odoo.addons.quickbooks_connector.qbo_payload.account_move import PayloadError

TIME_ACTIVITY = "TimeActivity"


class QboTimesheetExport(models.AbstractModel):
    """Timesheets to QuickBooks Online as time activities: an adapter of the export engine. The employee, the
    service and the project (created on the way under its customer) are resolved for the whole selection; a
    billable timesheet (on a sales order line) is Billable at the line's rate until the invoice that bills it
    is exported, which QuickBooks then marks billed.
    (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/timeactivity)"""

    _name = "qbo.timesheet.export"
    _inherit = "qbo.export.engine"
    _description = "QuickBooks Export of Timesheets"

    _qbo_model = "account.analytic.line"
    _qbo_requestid_tag = "t"
    _qbo_retry_cron = "quickbooks_connector.ir_cron_qbo_export"

    @api.model
    def _qbo_exportable_domain(self):
        return [("project_id", "!=", False)]

    @api.model
    def _qbo_prepare(self, run, lines):
        up_to_date = lines.filtered(lambda line: line.qbo_state == "exported" and line.qbo_id)
        run.report.unchanged += len(up_to_date)
        return lines - up_to_date

    @api.model
    def _qbo_entity(self, line):
        return TIME_ACTIVITY

    @api.model
    def _qbo_resolve(self, run, lines):
        """The employees, services, projects and customers of the timesheets, linked or created in QuickBooks."""
        sync = self.env["qbo.master.data.sync"]
        summary = SyncSummary()
        resolved = {
            "employee": sync._qbo_export(run.company, "employee", lines.employee_id.sudo(), summary, run.client),
            "product": sync._qbo_export(run.company, "product", lines.so_line.product_id, summary, run.client),
        }
        owners = {line.project_id.account_id: line.project_id.account_id._qbo_project_customer()
                  or line.so_line.order_id.partner_id.commercial_partner_id for line in lines
                  if line.project_id.account_id}
        partners = self.env["res.partner"].union(*owners.values(), *(
            line.so_line.order_id.partner_id.commercial_partner_id for line in lines if not line.project_id.account_id))
        resolved["customer"] = sync._qbo_export(run.company, "customer", partners, summary, run.client)
        resolved["project"] = sync._qbo_export_projects(run.company, owners, resolved["customer"], summary,
                                                        run.client)
        resolved["errors"] = dict(summary.errors)
        return resolved

    @api.model
    def _qbo_build(self, run, line, resolved):
        """Return ``("TimeActivity", payload, expected)``; ``expected`` holds the hours and minutes."""
        employee_id = resolved["employee"].get(line.employee_id.id)
        if not employee_id:
            raise PayloadError(_("Employee %(name)s: %(error)s", name=line.employee_id.name,
                                 error=resolved["errors"].get(line.employee_id.name, _("not in QuickBooks"))))
        minutes_total = round(line.unit_amount * 60)
        if minutes_total < 0:
            raise PayloadError(_("QuickBooks records no negative time"))
        hours, minutes = divmod(minutes_total, 60)
        task = line.task_id.name
        description = " - ".join(filter(None, [task, line.name if line.name != "/" else ""]))
        payload = {"NameOf": "Employee", "EmployeeRef": {"value": employee_id}, "TxnDate": str(line.date),
                   "Hours": hours, "Minutes": minutes, "Description": description[:4000]}
        account = line.project_id.account_id
        partner = line.so_line.order_id.partner_id.commercial_partner_id
        customer_id = resolved["project"].get(account.id) if account else resolved["customer"].get(partner.id)
        if customer_id:
            payload["CustomerRef"] = {"value": customer_id}
        billable = line.so_line and line.so_line.qty_delivered_method == "timesheet" and customer_id
        if line.qbo_billable_status == "HasBeenBilled":
            payload["BillableStatus"] = "HasBeenBilled"  # billed by an exported invoice: QuickBooks keeps it so
        else:
            payload["BillableStatus"] = "Billable" if billable else "NotBillable"
        if billable:
            item_id = resolved["product"].get(line.so_line.product_id.id)
            if not item_id:
                raise PayloadError(_("Item %(name)s: not in QuickBooks", name=line.so_line.product_id.display_name))
            payload.update(ItemRef={"value": item_id}, HourlyRate=line.so_line.price_unit)
        return TIME_ACTIVITY, payload, {"hours": hours, "minutes": minutes}

    @api.model
    def _qbo_amounts_differ(self, doc, expected):
        """The time QuickBooks recorded, when it is not the timesheet's."""
        recorded = int(doc.get("Hours") or 0) * 60 + int(doc.get("Minutes") or 0)
        wanted = expected["hours"] * 60 + expected["minutes"]
        return None if recorded == wanted else {"odoo": wanted, "qbo": recorded}

    @api.model
    def _qbo_difference_message(self, difference):
        return _("Time differs: %(odoo)s minutes in Odoo, %(qbo)s in QuickBooks.", **difference)

    @api.model
    def _qbo_success_values(self, run, line, entity, doc):
        return {"qbo_billable_status": doc.get("BillableStatus") or False,
                "qbo_remote_change": False, "qbo_remote_difference": False}
