from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..qbo_payload.account_move import app_url

# QuickBooks web app for Intuit's environments; the local sandbox serves its own pages.
APP_HOSTS = {"production": "https://app.qbo.intuit.com", "sandbox": "https://app.sandbox.qbo.intuit.com"}


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

    def _qbo_document_url(self, entity, qbo_id):
        """Return the address that opens a QuickBooks transaction in the web app, or False.

        :param str entity: QuickBooks entity, e.g. ``"Invoice"``
        :param str qbo_id: its QuickBooks Id
        """
        self.ensure_one()
        host = APP_HOSTS.get(self.qbo_environment) or (self.qbo_api_url or "").rstrip("/")
        if not (qbo_id and entity and host):
            return False
        url = app_url(host, entity, qbo_id)
        if self.qbo_environment == "custom":
            url = f"{url}&realmId={self.qbo_realm_id}"
        return url
