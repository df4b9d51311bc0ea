import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import NOT_FOUND
from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import (
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
# Payments sent per call of the job (or of Sync Customer Payment).
PUSH_BATCH_SIZE = 100
# Minutes a payment waits for the export of the documents it settles.
EXPORT_WAIT = 5


class QboPaymentExport(models.AbstractModel):
    """Payments registered in Odoo on exported invoices and bills, to QuickBooks: an adapter of the
    export engine.

    A payment is created in QuickBooks once, linked to the exported documents it settles (a
    requestid stable across retries, and a mark in its PrivateNote that lets a pull recognise it
    when the answer was lost). Reconciled otherwise in Odoo afterwards, its QuickBooks copy is
    applied the same way (an update); cancelled or reset to draft, it is voided there. Runs hold
    the payment streams' locks, so a pull never links a payment being sent.
    """

    _name = "qbo.payment.export"
    _inherit = "qbo.export.engine"
    _description = "QuickBooks Export of Payments"

    _qbo_model = "account.payment"
    _qbo_requestid_tag = "p"
    _qbo_retry_cron = "quickbooks_connector.ir_cron_qbo_export"

    # === ENTRY POINTS === #

    @api.model
    def _qbo_export_queued(self, company, report):
        """Send the company's queued payments that are due (part of Sync Customer Payment)."""
        payments = self.env["account.payment"].search(
            [("company_id", "=", company.id), *self._qbo_queued_domain()], order="id", limit=PUSH_BATCH_SIZE)
        if payments:
            self._qbo_export(payments, report)

    @api.model
    def _qbo_queue_late_payments(self, moves):
        """Queue the payments registered in Odoo on ``moves`` before these were in QuickBooks (left in
        Odoo then): now that the documents are exported, their payments follow them.

        :return: the payments queued
        """
        pull = self.env["qbo.payment.pull"]
        lines = pull._qbo_counterpart_lines(moves)
        payments = (lines.matched_debit_ids.debit_move_id | lines.matched_credit_ids.credit_move_id).move_id \
            .origin_payment_id.filtered(lambda payment: payment.qbo_state == "not_synced"
                                        and payment.state in ("in_process", "paid") and payment._qbo_pushable())
        payments._qbo_queue()
        if payments:
            payments._message_log_batch(bodies=dict.fromkeys(payments.ids, _(
                "Queued for QuickBooks: the documents it pays are exported now.")))
        return payments

    @api.model
    def _qbo_void_payments(self, payments):
        """Void the QuickBooks copies of ``payments`` (sent from Odoo) and unlink them from it.

        A payment posted again later is sent as a new QuickBooks payment (a new export generation, so a
        new requestid); the voided one stays in QuickBooks, as its audit trail wants.

        :raise UserError: if QuickBooks cannot be reached or refuses: the caller's cancellation is then
            rolled back with the rest of the transaction
        """
        for company, company_payments in payments.grouped("company_id").items():
            client = company._qbo_get_client()
            logs = [self._qbo_void_one(client, payment) for payment in company_payments]
            self.env["qbo.sync.log"]._qbo_log(logs)

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return self.env["qbo.payment.pull"]._qbo_new_report()

    @api.model
    def _qbo_exportable_domain(self):
        return [("state", "in", ("in_process", "paid"))]

    @api.model
    def _qbo_export_begin(self, run):
        cursors = self.env["qbo.sync.cursor"]
        return all(cursors._qbo_acquire(run.company, stream) for stream in ("payment", "bill_payment"))

    @api.model
    def _qbo_prepare(self, run, payments):
        """Leave out what waits for its documents' export, settles nothing QuickBooks knows, or is
        already applied in QuickBooks as in Odoo; refuse to overwrite a change made in QuickBooks."""
        to_send = payments.browse()
        for payment in payments:
            documents = self._qbo_settled_documents(payment)
            if payment.qbo_id:
                if payment.qbo_remote_change:
                    self._qbo_apply_failure(run, payment, "update", UserError(_(
                        "QuickBooks changed this payment too: apply or review that change first")))
                    continue
                document_entity = PUSHED_DOCUMENTS[payment.qbo_entity][1]
                allocations = sorted([document_entity, move.qbo_id, str(cents(amount))]
                                     for move, amount in documents.items())
                if allocations == sorted((payment.qbo_snapshot or {}).get("allocations") or []):
                    run.values.setdefault(payment.id, {}).update(qbo_state="synced", qbo_error=False)
                    continue
            elif any(move.qbo_state == "to_send" and not move.qbo_id for move in documents):
                # Its invoices are queued for export: send the payment once they are in QuickBooks.
                run.values.setdefault(payment.id, {}).update(
                    qbo_next_attempt=fields.Datetime.now() + timedelta(minutes=EXPORT_WAIT))
                run.report.waiting += 1
                continue
            elif not any(move.qbo_id and move.qbo_state != "voided" for move in documents):
                # It settles nothing QuickBooks knows: it stays an Odoo-only payment.
                run.values.setdefault(payment.id, {}).update(qbo_state="not_synced", qbo_error=False)
                continue
            to_send |= payment
        return to_send

    @api.model
    def _qbo_resolve(self, run, payments):
        return {}

    @api.model
    def _qbo_entity(self, payment):
        return payment.qbo_entity or payment._qbo_entity()

    @api.model
    def _qbo_build(self, run, payment, resolved):
        entity = self._qbo_entity(payment)
        values = self._qbo_push_values(run, payment, entity, self._qbo_settled_documents(payment))
        # An update applies the payment anew: a customer payment that settles nothing any more stays
        # in QuickBooks as an unapplied credit, as in Odoo.
        return entity, build_payment_payload(values, unapplied=bool(payment.qbo_id)), values

    @api.model
    def _qbo_amounts_differ(self, doc, values):
        return amounts_differ(doc, values)

    @api.model
    def _qbo_difference_message(self, difference):
        return _("QuickBooks stored other amounts than sent: %s", "; ".join(
            f"{what}: {expected} / {stored}" for what, expected, stored in difference))

    @api.model
    def _qbo_success_values(self, run, payment, entity, doc):
        parsed = parse_payment(entity, doc)
        parsed["rate"] = self.env["qbo.payment.pull"]._qbo_usable_rate(run.company, parsed)
        return {"qbo_entity": entity, "qbo_origin": "odoo", "qbo_synced_at": fields.Datetime.now(),
                "qbo_snapshot": snapshot(parsed)}

    @api.model
    def _qbo_done_state(self):
        return "synced"

    @api.model
    def _qbo_success_note(self, run, payment, operation, entity, doc, message):
        if operation == "create":
            body = _("Sent to QuickBooks: %(entity)s %(id)s.", entity=entity, id=doc["Id"])
        else:
            documents = self._qbo_settled_documents(payment)
            paid = ", ".join(f"{move.name} ({cents(amount)})" for move, amount in documents.items()) or _("nothing")
            body = _("Applied in QuickBooks as in Odoo (%(entity)s %(id)s): it pays %(paid)s.", entity=entity,
                     id=doc["Id"], paid=paid)
        return f"{body} {message}" if message else body

    # === PAYLOADS === #

    @api.model
    def _qbo_settled_documents(self, payment):
        """Return ``{move: amount in the payment's currency}`` of the documents the payment is reconciled with."""
        result = {}
        for line in self.env["qbo.payment.pull"]._qbo_counterpart_lines(payment.move_id):
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
        if payment.currency_id.name != run.settings["home_currency"]:
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

    # === VOID === #

    @api.model
    def _qbo_void_one(self, client, payment):
        """Void one payment's QuickBooks copy; return the values of its sync log."""
        entity, qbo_id = payment.qbo_entity, payment.qbo_id
        requestid = f"{self._qbo_requestid_prefix(payment.company_id)}-p{payment.id}-v{payment.qbo_export_generation}"
        start = time.monotonic()
        try:
            current = client.read(entity, qbo_id)
            client.void(entity, {"Id": current["Id"], "SyncToken": current["SyncToken"]}, requestid=requestid)
            operation = "void"
            note = _("Voided in QuickBooks (%(entity)s %(id)s): the documents it paid are open again there.",
                     entity=entity, id=qbo_id)
        except QboApiError as error:
            if error.code != NOT_FOUND:
                raise UserError(_("QuickBooks: %(payment)s could not be voided in QuickBooks (%(entity)s %(id)s), so "
                                  "it is not cancelled here either: %(error)s", payment=payment.display_name,
                                  entity=entity, id=qbo_id, error=self.env["qbo.fault"]._qbo_explain(
                                      error, company=payment.company_id, record=payment, entity=entity))) from None
            operation = "delete"
            note = _("Already deleted in QuickBooks (%(entity)s %(id)s).", entity=entity, id=qbo_id)
        payment.write({
            "qbo_id": False, "qbo_sync_token": False, "qbo_snapshot": False, "qbo_state": "not_synced",
            "qbo_error": False, "qbo_synced_at": fields.Datetime.now(), "qbo_retry_count": 0,
            "qbo_next_attempt": False, "qbo_export_generation": payment.qbo_export_generation + 1,
            "qbo_remote_change": False, "qbo_remote_difference": False, "qbo_remote_snapshot": False,
            "qbo_remote_sync_token": False,
        })
        self.env["qbo.payment.pull"]._qbo_close_review(payment)
        payment._message_log(body=note)
        return {
            "company_id": payment.company_id.id, "direction": "export", "operation": operation, "qbo_entity": entity,
            "qbo_id": qbo_id, "res_model": payment._name, "res_id": payment.id, "res_name": payment.display_name,
            "status": "success", "requestid": requestid, "duration": time.monotonic() - start,
        }
