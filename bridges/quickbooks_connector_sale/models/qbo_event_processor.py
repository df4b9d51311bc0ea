from markupsafe import Markup

from odoo import _, api, models
from odoo.tools import float_compare, format_amount

# The statuses the salesperson acts on: the customer answered, or an invoice made in QuickBooks closed it.
NEWS = ("Accepted", "Rejected", "Closed")


class QboEventProcessor(models.AbstractModel):
    _inherit = "qbo.event.processor"

    @api.model
    def _qbo_apply(self, company, client, entity, qbo_id, doc, events):
        # EXTENDS quickbooks_connector: what became of the Estimates of sales orders.
        if entity == "Estimate":
            return self._qbo_apply_estimate(company, qbo_id, doc)
        return super()._qbo_apply(company, client, entity, qbo_id, doc, events)

    @api.model
    def _qbo_apply_estimate(self, company, qbo_id, doc):
        """Show on the order what QuickBooks says of its Estimate: its status (with a note and an activity for
        the salesperson when the customer accepted or rejected it, or an invoice made in QuickBooks closed
        it), a total changed there (flagged with both figures), its deletion (flagged)."""
        order = self.env["sale.order"].sudo().search([("company_id", "=", company.id), ("qbo_id", "=", qbo_id)],
                                                     limit=1)
        if (not order and self._qbo_import_follows(company, "Estimate")) or order.qbo_imported:
            return self._qbo_hand_to_import(order)
        if not order:
            return {"state": "ignored", "action_taken": _("Estimate not synchronized with Odoo")}
        if doc is None:
            if order.qbo_remote_change != "deleted":
                self._qbo_order_news(order, _("The Estimate was deleted in QuickBooks."), "deleted")
            return {"record": order, "action_taken": _("Flagged for review")}
        values = {"qbo_sync_token": str(doc.get("SyncToken", ""))}
        taken = []
        status = doc.get("TxnStatus") or "Pending"
        if status != order.qbo_estimate_status:
            values["qbo_estimate_status"] = status
            taken.append(_("Estimate %s", dict(order._fields["qbo_estimate_status"]._description_selection(
                self.env)).get(status, status)))
        order._qbo_write(values)
        if "qbo_estimate_status" in values and status in NEWS and not self._qbo_closed_by_odoo(order, doc):
            self._qbo_order_news(order, self._qbo_status_message(order, status, doc))
        currency = order.currency_id
        total = currency.round(float(doc.get("TotalAmt") or 0))
        if order.qbo_state == "exported" and float_compare(total, order.amount_total,
                                                             precision_rounding=currency.rounding):
            difference = _("Total: %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                           odoo=format_amount(self.env, order.amount_total, currency),
                           qbo=format_amount(self.env, total, currency))
            if order.qbo_remote_difference != difference:
                self._qbo_order_news(order, _("The Estimate was changed in QuickBooks."), "changed", difference)
            taken.append(_("Flagged for review"))
        return {"record": order, "action_taken": ", ".join(taken) or _("No change for the order")}

    @api.model
    def _qbo_closed_by_odoo(self, order, doc):
        """Whether an invoice Odoo exported closed the Estimate (the salesperson made it: no news)."""
        invoices = {str(link.get("TxnId")) for link in doc.get("LinkedTxn") or [] if link.get("TxnType") == "Invoice"}
        return doc.get("TxnStatus") == "Closed" and bool(invoices) and invoices <= set(
            order.invoice_ids.filtered("qbo_id").mapped("qbo_id"))

    @api.model
    def _qbo_status_message(self, order, status, doc):
        if status == "Accepted":
            who = doc.get("AcceptedBy")
            return _("The customer accepted the Estimate in QuickBooks (%s).", who) if who else \
                _("The customer accepted the Estimate in QuickBooks.")
        if status == "Rejected":
            return _("The customer rejected the Estimate in QuickBooks.")
        return _("The Estimate was closed in QuickBooks (an invoice made there, or closed by hand).")

    @api.model
    def _qbo_order_news(self, order, summary, change=None, difference=None):
        """Tell the salesperson in the order's chatter and with an activity; flag a change made in QuickBooks."""
        if change:
            order._qbo_write({"qbo_remote_change": change, "qbo_remote_difference": difference or summary})
        body = Markup("<strong>%s</strong>") % summary
        if difference:
            body += Markup("<br/>%s") % difference
        order._message_log(body=body)
        order.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=body,
                                user_id=(order.user_id or self.env.user).id)
