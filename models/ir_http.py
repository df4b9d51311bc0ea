from odoo import models
from odoo.http import request

from ..const import WEBHOOK_MAX_BYTES


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # EXTENDS base: a route marked ``qbo_raw_body`` (QuickBooks webhooks) reads its body first,
        # within a size cap (a larger one is refused with 413 before anything reads it): Intuit signs
        # the raw bytes, which Odoo would otherwise consume to parse form-encoded parameters.
        if rule.endpoint.routing.get("qbo_raw_body"):
            request.httprequest.max_content_length = WEBHOOK_MAX_BYTES
            request.httprequest.get_data(cache=True)
        super()._pre_dispatch(rule, args)
