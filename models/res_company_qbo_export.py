from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_export_on_post = fields.Boolean(
        string="Export to QuickBooks when posted",
        help="Posted invoices, credit notes and bills are queued for export to QuickBooks.",
    )
    qbo_send_on_export = fields.Boolean(
        string="Email invoices from QuickBooks",
        help="After an invoice or credit note is exported, QuickBooks emails it to the customer's invoice address.",
    )
    qbo_default_product_id = fields.Many2one(
        "product.product", string="QuickBooks Item for Lines without Product",
        domain="[('company_id', 'in', [False, id])]",
        help="QuickBooks sales lines need an item: invoice lines without a product are sent with this product's item.",
    )
    qbo_export_sync_limit = fields.Integer(
        string="QuickBooks Export in Background Above", default=30,
        help="Selections of more documents than this are exported in the background.",
    )

    @api.constrains("qbo_export_sync_limit")
    def _check_qbo_export_sync_limit(self):
        for company in self:
            if company.qbo_export_sync_limit < 1:
                raise ValidationError(_("The QuickBooks background export limit must be at least 1."))
