from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_export_timesheets = fields.Boolean(
        string="Send Timesheets as Time Activities",
        help="Timesheets on projects go to QuickBooks as time activities (employee, customer or project, service, "
             "hours); billable ones are marked billed there once their invoice is exported.")
