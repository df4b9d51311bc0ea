from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS 'sale': a line added to an order already in QuickBooks changes its Estimate.
        lines = super().create(vals_list)
        lines.order_id._qbo_mark_changed()
        return lines

    def write(self, vals):
        # EXTENDS 'sale'
        result = super().write(vals)
        if set(vals) & {"product_id", "name", "product_uom_qty", "price_unit", "discount", "tax_id", "sequence"}:
            self.order_id._qbo_mark_changed()
        return result

    def unlink(self):
        # EXTENDS 'sale'
        orders = self.order_id
        result = super().unlink()
        orders.exists()._qbo_mark_changed()
        return result
