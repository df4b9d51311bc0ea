import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import (
    PaymentPayloadError,
    amounts_differ,
    build_payment_payload,
    cents,
    odoo_marker,
    parse_payment,
    snapshot,
    to_decimal,
)

# The Odoo documents a payment registered in Odoo may settle, per QuickBooks entity.
PUSHED_DOCUMENTS = {"Payment": ("out_invoice", "Invoice"), "BillPayment": ("in_invoice", "Bill")}
PUSH_BATCH_SIZE = 100
MAX_ATTEMPTS = 5
# Minutes before the next attempt after a temporary failure (by attempt number).
RETRY_DELAYS = (1, 5, 15, 60)
# Minutes a payment waits for the export of the documents it settles.
EXPORT_WAIT = 5


class QboPaymentSync(models.AbstractModel):
    """Payments registered in Odoo on exported invoices and bills, created in QuickBooks once: a
    requestid stable across retries, and a mark in the PrivateNote that lets a pull recognise a
    payment whose answer was lost."""

    _inherit = "qbo.payment.sync"

    @api.model
    def _qbo_push_queued(self, run):
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_state", "=", "to_send"), ("state", "in", ("in_process", "paid")),
            "|", ("qbo_next_attempt", "=", False), ("qbo_next_attempt", "<=", fields.Datetime.now()),
        ], order="id", limit=PUSH_BATCH_SIZE)
        for payment in payments:
            self._qbo_push_one(run, payment)

    @api.model
    def _qbo_queue_late_payments(self, moves):
        """Queue the payments registered in Odoo on ``moves`` before these were in QuickBooks (left in
        Odoo then): now that the documents are exported, their payments follow them.

        :return: the payments queued
        """
        lines = self._qbo_counterpart_lines(moves)
        payments = (lines.matched_debit_ids.debit_move_id | lines.matched_credit_ids.credit_move_id).move_id \
            .origin_payment_id.filtered(lambda payment: payment.qbo_state == "not_synced"
                                        and payment.state in ("in_process", "paid") and payment._qbo_pushable())
        payments._qbo_queue()
        if payments:
            payments._message_log_batch(bodies=dict.fromkeys(payments.ids, _(
                "Queued for QuickBooks: the documents it pays are exported now.")))
        return payments

    @api.model
    def _qbo_push_one(self, run, payment):
        """Create one Odoo payment in QuickBooks, linked to the exported documents it settles (or, once
        created, apply it anew as its reconciliation in Odoo changed)."""
        self.env.cr.execute("SELECT id FROM account_payment WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                            [payment.id])
        if not self.env.cr.fetchone():
            return  # another transaction is sending or editing it
        if payment.qbo_id:
            # Already in QuickBooks: its reconciliation changed in Odoo since.
            self._qbo_reapply(run, payment)
            return
        entity = payment._qbo_entity()
        documents = self._qbo_settled_documents(payment)
        if any(move.qbo_state == "to_send" and not move.qbo_id for move in documents):
            # Its invoices are queued for export: send the payment once they are in QuickBooks.
            self._qbo_save(run, payment, {"qbo_next_attempt": fields.Datetime.now() + timedelta(minutes=EXPORT_WAIT)})
            run.report.waiting += 1
            return
        if not any(move.qbo_id and move.qbo_state != "voided" for move in documents):
            # It settles nothing QuickBooks knows: it stays an Odoo-only payment.
            self._qbo_save(run, payment, {"qbo_state": "not_synced", "qbo_error": False})
            return
        requestid = f"{self._qbo_requestid_prefix(run.company)}-p{payment.id}-g{payment.qbo_export_generation}"
        try:
            values = self._qbo_push_values(run, payment, entity, documents)
            payload = build_payment_payload(values)
        except (UserError, PaymentPayloadError) as error:
            self._qbo_push_failure(run, payment, entity, error)
            return
        start = time.monotonic()
        try:
            doc = run.client.create(entity, payload, requestid=requestid)
        except QboApiError as error:
            self._qbo_push_failure(run, payment, entity, error, requestid, time.monotonic() - start)
            return
        self._qbo_push_success(run, payment, entity, doc, values, requestid, time.monotonic() - start)

    @api.model
    def _qbo_settled_documents(self, payment):
        """Return ``{move: amount in the payment's currency}`` of the documents the payment is reconciled with."""
        result = {}
        for line in self._qbo_counterpart_lines(payment.move_id):
            matches = [(partial.debit_move_id, partial.credit_amount_currency) for partial in line.matched_debit_ids]
            matches += [(partial.credit_move_id, partial.debit_amount_currency) for partial in line.matched_credit_ids]
            for other, amount in matches:
                if other.move_id.move_type != "entry":  # exchange differences are no documents
                    result[other.move_id] = result.get(other.move_id, to_decimal(0)) + cents(abs(amount))
        return result

    @api.model
    def _qbo_push_values(self, run, payment, entity, documents):
        """Return the plain values of the payload of ``payment`` (see ``build_payment_payload``).

        :param dict documents: what the payment settles, as ``_qbo_settled_documents`` gives it
        :raise UserError: when it settles a document not in QuickBooks, or one QuickBooks cannot link
        """
        missing = [move for move in documents if not move.qbo_id or move.qbo_state == "voided"]
        if missing:
            raise UserError(_("it also settles %s, not in QuickBooks: export them first",
                              ", ".join(move.name for move in missing)))
        company = run.company
        move_type, document_entity = PUSHED_DOCUMENTS[entity]
        others = [move.name for move in documents if move.move_type != move_type]
        if others:
            raise UserError(_("QuickBooks links such a payment only to %(entity)s documents, not to %(names)s",
                              entity=document_entity, names=", ".join(others)))
        in_other_currency = [move.name for move in documents if move.currency_id != payment.currency_id]
        if in_other_currency:
            raise UserError(_("QuickBooks needs the payment in the currency of %s", ", ".join(in_other_currency)))
        sync = self.env["qbo.master.data.sync"]
        partner = payment.partner_id.commercial_partner_id
        as_entity = "Customer" if entity == "Payment" else "Vendor"
        party_id = sync._qbo_resolve_partner(company, partner, as_entity=as_entity, client=run.client)[partner.id]
        currency = rate = None
        if payment.currency_id.name != run.home_currency():
            currency = payment.currency_id.name
            liquidity = payment._seek_for_lines()[0]
            amount = sum(liquidity.mapped("amount_currency"))
            rate = (to_decimal(sum(liquidity.mapped("balance"))) / to_decimal(amount)).copy_abs().quantize(
                to_decimal("0.0000000001")).normalize() if amount else None
        pay_type = "CreditCard" if payment.journal_id.type == "credit" else "Check"
        if entity == "Payment":
            account_id = sync._qbo_deposit_account_id(company, payment.journal_id, run.client)
        else:
            account_id = self._qbo_bank_account_id(run, payment.journal_id, pay_type)
        method_id = self.env["qbo.mapping"]._qbo_ids_for(payment.journal_id, "PaymentMethod", company).get(
            payment.journal_id.id)
        prefix = self._qbo_requestid_prefix(company)
        return {
            "entity": entity,
            "party_id": party_id,
            "total": cents(payment.amount),
            "date": fields.Date.to_string(payment.date),
            "currency": currency,
            "rate": rate,
            "account_id": account_id,
            "pay_type": pay_type,
            "method_id": method_id,
            "reference": payment.name,
            "note": " ".join(filter(None, (_("Odoo payment %s", payment.name), payment.memo,
                                           odoo_marker(prefix, payment.id)))),
            "allocations": sorted(({"type": document_entity, "id": move.qbo_id, "amount": amount}
                                   for move, amount in documents.items()), key=lambda item: item["id"]),
        }

    @api.model
    def _qbo_bank_account_id(self, run, journal, pay_type):
        """The QuickBooks account a bill payment is paid from: the journal's linked account, else the
        first bank (or credit card) account of QuickBooks."""
        linked = self.env["qbo.mapping"]._qbo_ids_for(journal.default_account_id, "Account", run.company)
        if journal.default_account_id.id in linked:
            return linked[journal.default_account_id.id]
        account_type = "Credit Card" if pay_type == "CreditCard" else "Bank"
        accounts = run.client.query_all("Account", where=f"AccountType = '{account_type}'")
        if not accounts:
            raise UserError(_("QuickBooks has no %s account to pay bills from; link the journal's account to one.",
                              account_type))
        return str(accounts[0]["Id"])

    @api.model
    def _qbo_push_success(self, run, payment, entity, doc, values, requestid, duration):
        parsed = parse_payment(entity, doc)
        parsed["rate"] = self._qbo_usable_rate(run, parsed)
        difference = amounts_differ(doc, values)
        record = {
            "qbo_entity": entity, "qbo_id": parsed["id"], "qbo_sync_token": parsed["sync_token"],
            "qbo_origin": "odoo", "qbo_synced_at": fields.Datetime.now(), "qbo_snapshot": snapshot(parsed),
            "qbo_retry_count": 0, "qbo_next_attempt": False,
        }
        message = False
        if difference:
            message = _("QuickBooks stored other amounts than sent: %s", "; ".join(
                f"{what}: {expected} / {stored}" for what, expected, stored in difference))
            record.update(qbo_state="error", qbo_error=message)
            run.report.errors.append((payment.name, message))
        else:
            record.update(qbo_state="synced", qbo_error=False)
            run.report.pushed += 1
        if not self._qbo_save(run, payment, record):
            return
        run.logs.append(self._qbo_log_values(run.company, payment, "export", "create", entity,
                                             "error" if difference else "success", message, requestid=requestid,
                                             duration=duration))
        body = _("Sent to QuickBooks: %(entity)s %(id)s.", entity=entity, id=parsed["id"])
        payment._message_log(body=f"{body} {message}" if message else body)

    @api.model
    def _qbo_push_failure(self, run, payment, entity, error, requestid=None, duration=0.0, operation="create"):
        """Record a payment that could not be created (or, ``operation="update"``, applied anew) in
        QuickBooks: retried later when temporary, an error otherwise."""
        retryable = isinstance(error, QboApiError) and error.retryable
        attempts = payment.qbo_retry_count + 1
        values = {"qbo_error": str(error)}
        if retryable and attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            values.update(qbo_state="to_send", qbo_retry_count=attempts,
                          qbo_next_attempt=fields.Datetime.now() + timedelta(minutes=delay))
            status = "retry"
            run.report.retry += 1
            self.env.ref("quickbooks_connector.ir_cron_qbo_pull_payments")._trigger(at=values["qbo_next_attempt"])
        else:
            values.update(qbo_state="error", qbo_retry_count=0, qbo_next_attempt=False)
            if operation == "create" and requestid and not retryable:
                # QuickBooks refused the creation: the corrected payment is a new request, not a replay.
                values["qbo_export_generation"] = payment.qbo_export_generation + 1
            status = "error"
            run.report.errors.append((payment.name, str(error)))
        if not self._qbo_save(run, payment, values):
            return
        run.logs.append(self._qbo_log_values(run.company, payment, "export", operation, entity, status, str(error),
                                             requestid=requestid, duration=duration))
        if operation == "update":
            body = _("QuickBooks: the payment's new application was not sent (%s).", error) if status == "error" \
                else _("QuickBooks: the payment's new application was not sent yet (%s); it will be retried.", error)
        else:
            body = _("QuickBooks: the payment was not sent (%s).", error) if status == "error" else \
                _("QuickBooks: the payment was not sent yet (%s); it will be retried.", error)
        payment._message_log(body=body)

    @api.model
    def _qbo_own_payment(self, run, parsed):
        """The Odoo payment a QuickBooks payment was created from, when its answer never reached Odoo
        (a posted one: a payment cancelled meanwhile in Odoo does not take it, nor a voided copy)."""
        if not parsed["marker"]:
            return None
        prefix, payment_id = parsed["marker"]
        if prefix != self._qbo_requestid_prefix(run.company):
            return None
        payment = self.env["account.payment"].browse(payment_id).exists()
        if payment and payment.company_id == run.company and not payment.qbo_id and not parsed["voided"] \
                and payment.state in ("in_process", "paid"):
            return payment
        return None

    @api.model
    def _qbo_link_own(self, run, payment, parsed):
        parsed["rate"] = self._qbo_usable_rate(run, parsed)
        values = {"qbo_entity": parsed["entity"], "qbo_id": parsed["id"], "qbo_sync_token": parsed["sync_token"],
                  "qbo_origin": "odoo", "qbo_state": "synced", "qbo_error": False, "qbo_retry_count": 0,
                  "qbo_next_attempt": False, "qbo_synced_at": fields.Datetime.now(), "qbo_snapshot": snapshot(parsed)}
        if not self._qbo_save(run, payment, values):
            return
        run.report.pushed += 1
        run.report.work += 1
        payment._message_log(body=_("Found in QuickBooks as %(entity)s %(id)s (sent earlier, its answer was lost): "
                                    "linked, not imported again.", entity=parsed["entity"], id=parsed["id"]))
        run.logs.append(self._qbo_log_values(run.company, payment, "import", "read", parsed["entity"], "success",
                                             _("Linked to the Odoo payment it was sent from.")))
