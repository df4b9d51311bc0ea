from odoo import fields, models

ORDER_EXPORT_MOMENTS = [
    ("manual", "From the Action menu only"),
    ("sent", "When sent or confirmed"),
    ("confirmed", "When confirmed"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_export_orders = fields.Selection(
        ORDER_EXPORT_MOMENTS, string="Send Orders as Estimates", default="confirmed", required=True,
        help="When a quotation or sales order goes to QuickBooks as an Estimate; once there, its changes and its "
             "cancellation follow it.",
    )
    qbo_import_estimates = fields.Boolean(
        string="Import Estimates", default=True,
        help="Estimates created in QuickBooks come in as quotations (with the other documents created there).")
