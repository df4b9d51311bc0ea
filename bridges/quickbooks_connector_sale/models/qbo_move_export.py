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
                payload.setdefault("LinkedTxn", []).extend(
                    {"TxnId": order.qbo_id, "TxnType": "Estimate"} for order in orders)
                run.linked[move.id, "sale.order"] = orders
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
        links = {move_id: orders for (move_id, model), orders in run.linked.items() if model == "sale.order"}
        exported = moves.filtered(lambda move: move.id in links and move.qbo_state == "exported")
        orders = self.env["sale.order"]
        for move in exported:
            links[move.id].filtered(lambda order: order.qbo_invoice_id != move)._qbo_write({"qbo_invoice_id": move.id})
            orders |= links[move.id]
        if orders:
            docs = self.env["qbo.event.processor"]._qbo_read_many(run.client, "Estimate", orders.mapped("qbo_id"))
            for order in orders:
                doc = docs.get(order.qbo_id)
                if doc:
                    order._qbo_write({"qbo_estimate_status": doc.get("TxnStatus") or False,
                                      "qbo_sync_token": str(doc.get("SyncToken", ""))})
