from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_payload.account_payment import CREDIT_DOCUMENTS, changes, query_datetime, snapshot
from ..qbo_payload.money import to_decimal
from .qbo_payment_sync import DOCUMENT_MOVE_TYPES

ACTIVITY_TYPE = "quickbooks_connector.mail_activity_type_qbo_payment_change"
MANAGER_GROUP = "quickbooks_connector.group_qbo_manager"
REMOTE_OPERATIONS = {"changed": "update", "voided": "void", "deleted": "delete"}


class QboPaymentSync(models.AbstractModel):
    """Changes made in QuickBooks to payments already in Odoo: detected, flagged with the difference
    and an activity for the QuickBooks managers, and applied only by their explicit action."""

    _inherit = "qbo.payment.sync"

    @api.model
    def _qbo_apply_remote_change(self, payment):
        """Book the pending QuickBooks version of ``payment`` (the managers' explicit action).

        :raise UserError: if the new version pays documents not exported from Odoo, or Odoo refuses
        """
        # QuickBooks made the change: nothing is voided there when the payment is cancelled or reset here.
        payment = payment.with_context(qbo_local_only=True)
        kind = payment.qbo_remote_change
        difference = payment.qbo_remote_difference or ""
        values = {"qbo_remote_change": False, "qbo_remote_difference": False, "qbo_remote_snapshot": False,
                  "qbo_remote_sync_token": False, "qbo_synced_at": fields.Datetime.now()}
        if kind in ("voided", "deleted"):
            if payment.state != "canceled":
                payment.action_cancel()
            title = _("QuickBooks change applied: the payment was voided in QuickBooks; it is unreconciled and "
                      "cancelled.") if kind == "voided" else _(
                "QuickBooks change applied: the payment was deleted in QuickBooks; it is unreconciled and cancelled.")
        else:
            booking = self._qbo_booking_from_snapshot(payment.qbo_remote_snapshot, payment.qbo_entity)
            documents, missing = self._qbo_documents(payment.company_id, booking)
            if missing:
                raise UserError(_("QuickBooks: the new version of %(payment)s pays %(documents)s, not exported from "
                                  "Odoo; it cannot be booked here.", payment=payment.display_name,
                                  documents=", ".join(f"{item['type']} {item['id']}" for item in missing)))
            self._qbo_adjust(payment, booking, documents)
            title = _("QuickBooks change applied: the payment is unreconciled, adjusted to its QuickBooks version and "
                      "reconciled again.")
        if kind != "deleted":
            values.update(qbo_snapshot=payment.qbo_remote_snapshot, qbo_sync_token=payment.qbo_remote_sync_token)
        payment.write(values)
        self._qbo_close_review(payment)
        payment._message_log(body=Markup("%s<br/>%s") % (title, self._qbo_html_lines(difference)))
        self.env["qbo.sync.log"]._qbo_log([self._qbo_log_values(
            payment.company_id, payment, "import", REMOTE_OPERATIONS[kind], payment.qbo_entity, "success",
            _("Change applied in Odoo."), qbo_id=payment.qbo_id)])

    @api.model
    def _qbo_check_remote(self, run, payment, parsed):
        """Compare a payment already in Odoo with its QuickBooks version; flag a difference, change nothing."""
        if parsed["sync_token"] in (payment.qbo_sync_token, payment.qbo_remote_sync_token):
            return
        parsed["rate"] = self._qbo_usable_rate(run, parsed)
        new = snapshot(parsed)
        difference = changes(payment.qbo_snapshot, new)
        if not difference:
            # An edit that changes nothing Odoo books (e.g. the memo in QuickBooks), or a change undone.
            values = {"qbo_sync_token": parsed["sync_token"]}
            if payment.qbo_remote_change:
                values.update(qbo_remote_change=False, qbo_remote_difference=False, qbo_remote_snapshot=False,
                              qbo_remote_sync_token=False)
                self._qbo_close_review(payment)
                payment._message_log(body=_("The change made in QuickBooks was undone there: nothing to apply."))
            self._qbo_save(run, payment, values)
            return
        self._qbo_flag(run, payment, "voided" if parsed["voided"] else "changed", difference, new,
                       parsed["sync_token"])

    @api.model
    def _qbo_pull_deletions(self, run, entity, since):
        """Flag the payments deleted in QuickBooks since ``since`` (Change Data Capture)."""
        answer = run.client.request("GET", "cdc", params={"entities": entity, "changedSince": query_datetime(since)})
        deleted = [str(doc["Id"]) for block in answer.get("CDCResponse") or []
                   for response in block.get("QueryResponse") or []
                   for doc in response.get(entity) or [] if doc.get("status") == "Deleted"]
        if not deleted:
            return
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", entity), ("qbo_id", "in", deleted),
            ("state", "!=", "canceled"), ("qbo_remote_change", "!=", "deleted"),
        ])
        for payment in payments:
            self._qbo_flag(run, payment, "deleted", [("deleted", None, None, None)], None, None)

    @api.model
    def _qbo_flag(self, run, payment, kind, difference, new_snapshot, sync_token):
        """Record a QuickBooks change on the payment and ask the managers to review it."""
        text = self._qbo_describe(payment, difference)
        values = {"qbo_remote_change": kind, "qbo_remote_difference": text, "qbo_remote_snapshot": new_snapshot,
                  "qbo_remote_sync_token": sync_token}
        if not self._qbo_save(run, payment, values):
            return
        summary = dict(payment._fields["qbo_remote_change"].selection)[kind]
        self._qbo_schedule_review(payment, summary, text)
        payment._message_log(body=Markup("<strong>%s</strong><br/>%s<br/>%s") % (
            summary, self._qbo_html_lines(text),
            _("Nothing was changed in Odoo: a QuickBooks manager applies it with \"Apply QuickBooks Change\".")))
        run.report.flagged += 1
        run.report.work += 1
        run.logs.append(self._qbo_log_values(run.company, payment, "import", REMOTE_OPERATIONS[kind],
                                             payment.qbo_entity, "success", _("Flagged for review: %s", text)))

    @api.model
    def _qbo_describe(self, payment, difference):
        """Return the difference as lines a manager reads, e.g. "Amount: 150.00 -> 120.00"."""
        keys = [key for kind, key, _old, _new in difference if kind == "allocation"]
        names = {}
        for kind in {key[0] for key in keys}:
            moves = self.env["account.move"].search([
                ("company_id", "=", payment.company_id.id), ("move_type", "=", DOCUMENT_MOVE_TYPES[kind]),
                ("qbo_id", "in", [key[1] for key in keys if key[0] == kind])])
            names.update({(kind, move.qbo_id): move.name for move in moves})
        lines = []
        for kind, key, old, new in difference:
            if kind == "voided":
                lines.append(_("Voided in QuickBooks."))
            elif kind == "deleted":
                lines.append(_("Deleted in QuickBooks."))
            elif kind == "total":
                lines.append(_("Amount: %(old)s → %(new)s", old=old, new=new))
            elif kind == "date":
                lines.append(_("Date: %(old)s → %(new)s", old=old, new=new))
            elif kind == "currency":
                lines.append(_("Currency: %(old)s → %(new)s", old=old, new=new))
            elif kind == "rate":
                lines.append(_("Exchange rate: %(old)s → %(new)s", old=old, new=new))
            else:
                document = names.get(key) or _("%(type)s %(id)s (not exported from Odoo)", type=key[0], id=key[1])
                lines.append(_("Applied to %(document)s: %(old)s → %(new)s", document=document, old=old or "0.00",
                               new=new or "0.00"))
        return "\n".join(lines)

    @api.model
    def _qbo_schedule_review(self, payment, summary, note):
        """One activity per QuickBooks manager of the company (updated, not repeated, on a new change)."""
        activity_type = self.env.ref(ACTIVITY_TYPE)
        open_activities = payment.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)
        html = self._qbo_html_lines(note)
        if open_activities:
            open_activities.write({"summary": summary, "note": html})
            return
        managers = self.env.ref(MANAGER_GROUP).users.filtered(
            lambda user: not user.share and payment.company_id in user.company_ids
            and payment.with_user(user).has_access("read"))
        for user in managers:
            payment.activity_schedule(ACTIVITY_TYPE, summary=summary, note=html, user_id=user.id)

    @api.model
    def _qbo_close_review(self, payment):
        activity_type = self.env.ref(ACTIVITY_TYPE)
        payment.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type).unlink()

    @api.model
    def _qbo_booking_from_snapshot(self, data, entity):
        """Return the values :meth:`_qbo_move_line_values` books from a stored snapshot."""
        allocations = [{"type": kind, "id": qbo_id, "amount": to_decimal(amount)}
                       for kind, qbo_id, amount in data["allocations"]]
        total = to_decimal(data["total"])
        net = sum((-item["amount"] if item["type"] == CREDIT_DOCUMENTS[entity] else item["amount"]
                   for item in allocations), to_decimal(0))
        return {"entity": entity, "total": total, "unapplied": total - net, "date": data["date"],
                "currency": data["currency"], "rate": data.get("rate"), "allocations": allocations}

    @api.model
    def _qbo_adjust(self, payment, booking, documents):
        """Unreconcile the payment, rewrite it to the QuickBooks version, post and reconcile it again."""
        if payment.state != "draft":
            payment.action_draft()
        moves = self.env["account.move"].union(*documents.values())
        payment.with_context(qbo_skip_move_sync=True).write({
            "amount": float(booking["total"]),
            "date": booking["date"],
            "currency_id": self._qbo_currency(payment.company_id, booking["currency"]).id,
            "invoice_ids": [Command.set(moves.ids)],
        })
        line_values, part_moves = self._qbo_move_line_values(payment, booking, documents)
        payment.move_id.with_context(skip_invoice_sync=True).write({
            "date": payment.date,
            "currency_id": payment.currency_id.id,
            "line_ids": [Command.delete(line.id) for line in payment.move_id.line_ids]
            + [Command.create(values) for values in line_values],
        })
        payment.with_context(qbo_no_push=True).action_post()
        self._qbo_reconcile(payment, part_moves)
