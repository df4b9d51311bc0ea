from odoo import api, models


class QboWebhookEvent(models.Model):
    _inherit = "qbo.webhook.event"

    @api.model
    def _qbo_followed_entities(self):
        # EXTENDS quickbooks_connector: what becomes of the Estimates of sales orders.
        return (*super()._qbo_followed_entities(), "Estimate")

    @api.model
    def _qbo_document_models(self):
        # EXTENDS quickbooks_connector
        return dict(super()._qbo_document_models(), Estimate=("sale.order", []))

    @api.model
    def _qbo_record_models(self):
        # EXTENDS quickbooks_connector
        return (*super()._qbo_record_models(), "sale.order")
