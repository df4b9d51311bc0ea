from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS 'account': a payment sent to QuickBooks and reconciled anew goes there again.
        partials = super().create(vals_list)
        partials._qbo_sent_payments()._qbo_queue()
        return partials

    def unlink(self):
        # EXTENDS 'account': as for a reconciliation, an unreconciled payment goes to QuickBooks again.
        payments = self._qbo_sent_payments()
        result = super().unlink()
        payments.exists()._qbo_queue()
        return result

    def _qbo_sent_payments(self):
        """The posted payments, sent from Odoo to QuickBooks, that these partials reconcile."""
        if self.env.context.get("qbo_local_only"):
            return self.env["account.payment"]
        moves = (self.debit_move_id | self.credit_move_id).move_id
        return moves.sudo().origin_payment_id.filtered(
            lambda payment: payment.qbo_id and payment.qbo_origin == "odoo" and payment.state in ("in_process", "paid"))
