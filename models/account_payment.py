from odoo import _, api, fields, models
from odoo.exceptions import UserError

# Payments QuickBooks knows: a customer paying (Payment), the company paying a vendor (BillPayment).
QBO_ENTITY_BY_KIND = {("inbound", "customer"): "Payment", ("outbound", "supplier"): "BillPayment"}
QBO_PAYMENT_STATES = [
    ("not_synced", "Not in QuickBooks"),
    ("to_send", "To export"),
    ("synced", "In QuickBooks"),
    ("error", "Error"),
]


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ["account.payment", "qbo.sync.mixin"]

    _qbo_status_by_state = {"not_synced": "not_exported", "to_send": "to_export", "synced": "exported"}

    qbo_entity = fields.Selection([("Payment", "Payment"), ("BillPayment", "Bill Payment")],
                                  string="QuickBooks Entity", copy=False, readonly=True)
    qbo_origin = fields.Selection(
        [("odoo", "Registered in Odoo"), ("qbo", "Imported from QuickBooks")],
        string="QuickBooks Origin", copy=False, readonly=True,
    )
    qbo_state = fields.Selection(QBO_PAYMENT_STATES, string="QuickBooks", default="not_synced", required=True,
                                 copy=False, readonly=True, index=True)
    qbo_synced_at = fields.Datetime(string="Synchronized with QuickBooks on", copy=False, readonly=True)
    qbo_snapshot = fields.Json(
        string="QuickBooks Version Booked", copy=False, readonly=True,
        help="Amount, date, currency and documents paid of the QuickBooks version booked in Odoo.",
    )
    qbo_remote_snapshot = fields.Json(string="QuickBooks Version Pending", copy=False, readonly=True)
    qbo_remote_sync_token = fields.Char(string="QuickBooks SyncToken Pending", copy=False, readonly=True)

    _sql_constraints = [
        ("qbo_payment_unique", "unique(company_id, qbo_entity, qbo_id)",
         "This QuickBooks payment is already recorded in Odoo."),
    ]

    # === COMPUTE METHODS === #

    @api.depends("qbo_origin")
    def _compute_qbo_status(self):
        # EXTENDS quickbooks_connector: a payment imported from QuickBooks was never exported.
        super()._compute_qbo_status()
        for payment in self.filtered(lambda payment: payment.qbo_status == "exported" and payment.qbo_origin == "qbo"):
            payment.qbo_status = "imported"

    # === CRUD / OVERRIDES === #

    def action_post(self):
        # EXTENDS 'account': payments registered in Odoo are queued for QuickBooks; the cron sends those
        # that settle exported documents, once the reconciliation that follows the posting is done.
        result = super().action_post()
        if not self.env.context.get("qbo_no_push"):
            self.filtered(lambda payment: payment._qbo_pushable())._qbo_queue()
        return result

    def action_cancel(self):
        # EXTENDS 'account': a payment sent to QuickBooks is voided there too. Odoo cancels first: a
        # refusal from QuickBooks then rolls the whole cancellation back.
        to_void = self._qbo_before_unpost()
        result = super().action_cancel()
        self.env["qbo.payment.export"].sudo()._qbo_void_payments(to_void.sudo())
        return result

    def action_draft(self):
        # EXTENDS 'account': as for a cancellation; posted again, the payment goes to QuickBooks anew.
        to_void = self._qbo_before_unpost()
        result = super().action_draft()
        self.env["qbo.payment.export"].sudo()._qbo_void_payments(to_void.sudo())
        return result

    def _synchronize_to_moves(self, changed_fields):
        # EXTENDS 'account': a payment booked from QuickBooks has one counterpart line per document it
        # pays, which the standard synchronization cannot rewrite; it changes only through QuickBooks.
        if self.env.context.get("qbo_skip_move_sync"):
            return
        if set(changed_fields) & set(self._get_trigger_fields_to_synchronize()):
            split = self.filtered(lambda payment: payment.qbo_id and payment.move_id
                                  and len(payment._seek_for_lines()[1]) > 1)
            if split:
                raise UserError(_(
                    "QuickBooks: %s pays several documents as recorded in QuickBooks; change it in QuickBooks and "
                    "apply the change here, or cancel it.", ", ".join(split.mapped("display_name"))))
        super()._synchronize_to_moves(changed_fields)

    # === ACTION METHODS === #

    def action_qbo_apply_remote_change(self):
        """Apply the change QuickBooks made to these payments after they were synchronized: a voided or
        deleted payment is unreconciled and cancelled; a changed one is unreconciled, adjusted to the
        QuickBooks version and reconciled again. Each payment gets a note saying what was done.

        :return: a ``display_notification`` action
        :raise AccessError: if the user is not a QuickBooks manager who may change these payments
        :raise UserError: if a payment has no pending change, or the change cannot be booked
        """
        self._qbo_check_access("manager", "write")
        pending = self.filtered("qbo_remote_change")
        if not pending:
            raise UserError(_("QuickBooks: these payments have no change from QuickBooks to apply."))
        pull = self.env["qbo.payment.pull"].sudo()
        for payment in pending:
            pull._qbo_apply_remote_change(payment.sudo())
        return self._qbo_notification(_("%s QuickBooks change(s) applied.", len(pending)), "success")

    def action_qbo_push(self):
        """Send these payments to QuickBooks now (those settling exported invoices or bills).

        :return: a ``display_notification`` action with what was done
        :raise AccessError: if the user is not a QuickBooks manager who may change these payments
        """
        self._qbo_check_access("manager", "write")
        payments = self.filtered(lambda payment: payment.state in ("in_process", "paid") and not payment.qbo_id
                                 and payment.qbo_origin != "qbo" and payment._qbo_entity())
        if not payments:
            raise UserError(_("QuickBooks: only confirmed customer and vendor payments not yet in QuickBooks can be "
                              "sent."))
        report = self.env["qbo.payment.export"].sudo()._qbo_export(payments.sudo())
        return self._qbo_notification(report.message(), report.notification_type())

    def action_qbo_retry(self):
        """Send again the payments whose sending (or new application) failed.

        :return: a ``display_notification`` action with what was done
        :raise AccessError: if the user is not a QuickBooks manager who may change these payments
        :raise UserError: if none of them waits to be sent again
        """
        self._qbo_check_access("manager", "write")
        payments = self.filtered(lambda payment: payment.qbo_state in ("error", "to_send")
                                 and payment.qbo_origin != "qbo" and payment.state in ("in_process", "paid"))
        if not payments:
            raise UserError(_("QuickBooks: none of these payments waits to be sent again."))
        report = self.env["qbo.payment.export"].sudo()._qbo_export(payments.sudo())
        return self._qbo_notification(report.message(), report.notification_type())

    # === TOOLING === #

    def _qbo_document_entity(self):
        self.ensure_one()
        return self.qbo_entity

    def _qbo_entity(self):
        """Return the QuickBooks entity of this payment (``Payment``, ``BillPayment``), or None."""
        self.ensure_one()
        return QBO_ENTITY_BY_KIND.get((self.payment_type, self.partner_type))

    def _qbo_pushable(self):
        """Whether this payment, registered in Odoo, should be sent to QuickBooks."""
        self.ensure_one()
        company = self.company_id
        return bool(company.qbo_push_payments and company.qbo_realm_id and not self.qbo_id
                    and self.qbo_origin != "qbo" and self._qbo_entity()
                    and not self.paired_internal_transfer_payment_id)

    def _qbo_before_unpost(self):
        """Check that these payments may leave the posted state; return those to void in QuickBooks.

        A payment imported from QuickBooks changes there first (its change then comes here for review),
        and a change from QuickBooks waiting for review is applied with "Apply QuickBooks Change". A
        payment still queued for QuickBooks is simply taken off the queue. With the context key
        ``qbo_local_only`` (a change QuickBooks made itself), nothing is checked nor voided.

        :raise UserError: for a payment imported from QuickBooks, or with a void or deletion to apply
        """
        if self.env.context.get("qbo_local_only"):
            return self.browse()
        in_qbo = self.filtered(lambda payment: payment.qbo_id and payment.company_id.qbo_realm_id)
        imported = in_qbo.filtered(lambda payment: payment.qbo_origin == "qbo")
        if imported:
            raise UserError(_(
                "QuickBooks: %s came from QuickBooks. Void or delete it in QuickBooks: the change then comes here "
                "and a QuickBooks manager applies it.", ", ".join(imported.mapped("display_name"))))
        removed = in_qbo.filtered(lambda payment: payment.qbo_remote_change in ("voided", "deleted"))
        if removed:
            raise UserError(_(
                "QuickBooks: %s is already voided or deleted in QuickBooks; use \"Apply QuickBooks Change\" to "
                "cancel it here.", ", ".join(removed.mapped("display_name"))))
        queued = self.filtered(lambda payment: payment.qbo_state == "to_send" and not payment.qbo_id)
        if queued:
            queued.sudo().write({"qbo_state": "not_synced", "qbo_retry_count": 0, "qbo_next_attempt": False})
        return in_qbo

    def _qbo_queue(self):
        """Queue these payments for the payment job: created in QuickBooks, or (already there) applied
        there as they are reconciled now."""
        if self:
            self.sudo().write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                               "qbo_next_attempt": False})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
