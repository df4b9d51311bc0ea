from odoo import api, models


class QboMoveExport(models.AbstractModel):
    _inherit = "qbo.move.export"

    @api.model
    def _qbo_build(self, run, move, resolved):
        # EXTENDS quickbooks_connector: an invoice made from orders held in QuickBooks is linked to their
        # Estimates, which QuickBooks closes (it shows the conversion). Its later updates keep the link.
        entity, payload, expected = super()._qbo_build(run, move, resolved)
        if entity == "Invoice":
            orders = self._qbo_estimates_to_link(move)
            if orders:
                self._qbo_link_records(run, move, payload, orders, "Estimate")
        return entity, payload, expected

    @api.model
    def _qbo_estimates_to_link(self, move):
        """The orders of the invoice whose Estimate it closes: held in QuickBooks, neither rejected nor closed by
        another invoice."""
        orders = move.invoice_line_ids.sale_line_ids.order_id
        return orders.filtered(lambda order: order.qbo_id and order.state != "cancel" and (
            order.qbo_invoice_id == move or (not order.qbo_invoice_id
                                             and order.qbo_estimate_status not in ("Closed", "Rejected"))))

    @api.model
    def _qbo_export_after(self, run, moves):
        # EXTENDS quickbooks_connector: the orders show their Estimates closed by the invoices exported.
        super()._qbo_export_after(run, moves)
        links = self._qbo_linked_exported(run, moves, "sale.order")
        for move, orders in links.items():
            orders.filtered(lambda order: order.qbo_invoice_id != move)._qbo_write({"qbo_invoice_id": move.id})
        if links:
            self._qbo_read_back(run, self.env["sale.order"].concat(*links.values()), "Estimate",
                                lambda doc: {"qbo_estimate_status": doc.get("TxnStatus") or False})
