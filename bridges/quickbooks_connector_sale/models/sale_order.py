from odoo import _, fields, models
from odoo.exceptions import UserError

QBO_ORDER_STATES = [
    ("not_exported", "Not exported"),
    ("imported", "Imported from QuickBooks"),
    ("to_send", "To export"),
    ("exported", "Exported"),
    ("changed", "Changed in Odoo since export"),
    ("error", "Error"),
]
# What became of the Estimate in QuickBooks (its TxnStatus).
ESTIMATE_STATUSES = [
    ("Pending", "Pending"),
    ("Accepted", "Accepted"),
    ("Closed", "Closed"),
    ("Rejected", "Rejected"),
]
# Fields of an order its Estimate shows (its lines follow through sale.order.line).
QBO_TRACKED_FIELDS = {"partner_id", "date_order", "validity_date", "client_order_ref", "note", "currency_id",
                      "order_line"}


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "qbo.sync.mixin"]

    qbo_state = fields.Selection(QBO_ORDER_STATES, string="QuickBooks", default="not_exported", required=True,
                                 copy=False, readonly=True, index=True)
    qbo_doc_number = fields.Char(string="QuickBooks Number", copy=False, readonly=True)
    qbo_exported_at = fields.Datetime(string="Exported to QuickBooks on", copy=False, readonly=True)
    qbo_amount_total = fields.Monetary(string="QuickBooks Total", copy=False, readonly=True)
    qbo_estimate_status = fields.Selection(
        ESTIMATE_STATUSES, string="Estimate in QuickBooks", copy=False, readonly=True,
        help="What the customer or QuickBooks did with the Estimate: accepted, rejected, or closed by an invoice.")
    qbo_imported = fields.Boolean(
        string="Created in QuickBooks", copy=False, readonly=True,
        help="An Estimate created in QuickBooks: QuickBooks holds its reference version, and its changes there "
             "rewrite the quotation.")
    qbo_invoice_id = fields.Many2one(
        "account.move", string="QuickBooks Estimate Closed by", copy=False, readonly=True,
        help="The invoice made from this order that was exported linked to its Estimate: QuickBooks closed the "
             "Estimate with it, and later updates of that invoice keep the link.")

    # === CRUD === #

    def write(self, vals):
        # EXTENDS 'sale': an Estimate follows its order's changes, and the order goes to QuickBooks when the
        # company sends orders at that step (sent, confirmed); a cancelled order rejects its Estimate.
        result = super().write(vals)
        tracked = set(vals) & QBO_TRACKED_FIELDS
        if "state" in vals:
            tracked.discard("date_order")  # confirming dates the order anew: the Estimate keeps its quotation date
        if tracked:
            self._qbo_mark_changed()
        if "state" in vals:
            self._qbo_queue_at_step()
        return result

    # === ACTION METHODS === #

    def action_qbo_export(self):
        """Send the selected quotations and orders to QuickBooks as Estimates now (Action > Export to QuickBooks).

        Cancelled orders never sent and quotations created in QuickBooks are skipped; a cancelled order already
        in QuickBooks rejects its Estimate.

        :return: a ``display_notification`` action with the counts
        :raise AccessError: if the user is not a QuickBooks manager who may change these orders
        :raise UserError: if a company of the selection is not connected to QuickBooks (nothing changes)
        """
        self._qbo_check_access("manager", "write")
        orders = self.filtered(lambda order: (order.state != "cancel" or order.qbo_id) and not order.qbo_imported)
        for company in orders.company_id.sudo():
            if company.qbo_state != "connected":
                raise UserError(company._qbo_not_connected_message())
        report = self.env["qbo.order.export"].sudo()._qbo_export(orders.sudo())
        message = report.message()
        imported = self.filtered("qbo_imported")
        if imported:
            message += ", " + _("%s skipped: created in QuickBooks", len(imported))
        if len(self) > len(orders) + len(imported):
            message += ", " + _("%s skipped: cancelled and never sent", len(self) - len(orders) - len(imported))
        return self._qbo_notification(message, report.notification_type())

    # === TOOLING === #

    def _qbo_document_entity(self):
        self.ensure_one()
        return "Estimate"

    def _qbo_sends_at_step(self):
        """Whether the company sends this order to QuickBooks at the step it is in."""
        self.ensure_one()
        moment = self.company_id.qbo_export_orders
        return bool(self.company_id.qbo_realm_id) and (
            (self.state == "sent" and moment == "sent") or (self.state == "sale" and moment in ("sent", "confirmed")))

    def _qbo_mark_changed(self):
        """Note that the Estimate no longer shows the order; send the change when the company sends orders."""
        changed = self.filtered(lambda order: order.qbo_id and not order.qbo_imported
                                and order.qbo_state in ("exported", "error"))
        if not changed:
            return
        changed.sudo()._qbo_write({"qbo_state": "changed"})
        changed.filtered(lambda order: order._qbo_sends_at_step())._qbo_queue()

    def _qbo_queue_at_step(self):
        """Queue the orders the company sends at their new step: new ones, changed ones, cancelled ones held by
        QuickBooks (their Estimate is rejected)."""
        self.filtered(lambda order: not order.qbo_imported and (
            (order.state == "cancel" and order.qbo_id and order.qbo_estimate_status != "Rejected")
            or (order._qbo_sends_at_step() and order.qbo_state in ("not_exported", "changed", "error")))
        )._qbo_queue()

    def _qbo_queue(self):
        """Have the export job send these orders (it runs at once, in the background)."""
        if not self:
            return
        self.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                  "qbo_next_attempt": False})
        self.env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
