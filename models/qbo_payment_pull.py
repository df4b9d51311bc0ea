import logging

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..const import MANAGER_GROUP
from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import (
    CREDIT_DOCUMENTS,
    changes,
    memo,
    parse_payment,
    snapshot,
)
from ..qbo_payload.money import cents, to_decimal
from .qbo_export_engine import SyncReport

_logger = logging.getLogger(__name__)

PAYMENT_KINDS = {"Payment": ("inbound", "customer"), "BillPayment": ("outbound", "supplier")}
DOCUMENT_MOVE_TYPES = {"Invoice": "out_invoice", "CreditMemo": "out_refund", "Bill": "in_invoice",
                       "VendorCredit": "in_refund"}
COUNTERPART_TYPES = ("asset_receivable", "liability_payable")
UNIQUE_CONSTRAINT = "account_payment_qbo_payment_unique"
ACTIVITY_TYPE = "quickbooks_connector.mail_activity_type_qbo_payment_change"
REMOTE_OPERATIONS = {"changed": "update", "voided": "void", "deleted": "delete"}
# Payments read per company in one call of the cron, or of the button.
CRON_BATCH_SIZE = 100
MANUAL_BATCH_SIZE = 300


class PaymentSyncReport(SyncReport):
    """What a synchronization of payments did, counted for the message the user gets."""

    def __init__(self, env):
        super().__init__(env)
        self.pulled = False  # whether QuickBooks payments were read (the count of imports is then told)
        self.imported = 0
        self.flagged = 0
        self.skipped = {}  # reason -> count

    def skip(self, reason):
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def message(self):
        """Return e.g. "3 payments imported, 1 skipped: invoice not exported"."""
        _ = self.env._
        parts = []
        if self.pulled or self.imported:
            parts.append(_("1 payment imported") if self.imported == 1 else
                         _("%s payments imported", self.imported))
        if self.exported:
            parts.append(_("%s sent to QuickBooks", self.exported))
        if self.flagged:
            parts.append(_("%s changed in QuickBooks, to review", self.flagged))
        for reason, count in sorted(self.skipped.items()):
            parts.append(_("%(count)s skipped: %(reason)s", count=count, reason=reason))
        if self.waiting:
            parts.append(_("%s waiting for the export of their invoices or bills", self.waiting))
        parts += self.common_parts()
        if self.remaining:
            parts.append(_("more are being imported in the background"))
        return ", ".join(parts) or _("Nothing to do.")

    def notification_type(self):
        if self.errors:
            return "danger" if not (self.imported or self.exported) else "warning"
        return "warning" if self.busy or self.flagged or self.retry or self.locked else "success"


class QboPaymentPull(models.AbstractModel):
    """QuickBooks customer payments become posted Odoo payments reconciled with what they pay.

    An adapter of the pull engine: each QuickBooks Payment changed since the cursor is imported
    (reconciled with the exported invoices and credit notes it applies to, each to its exact
    amount), recognised as one sent from Odoo whose answer was lost, or compared with the Odoo
    payment already imported: a change, void or deletion made in QuickBooks afterwards is flagged
    with the difference and an activity for the QuickBooks managers, and applied only by their
    explicit "Apply QuickBooks Change". A unique (company, entity, QuickBooks id) constraint makes a
    second copy impossible. ``qbo.bill.payment.pull`` does the same for bill payments.
    """

    _name = "qbo.payment.pull"
    _inherit = "qbo.pull.engine"
    _description = "QuickBooks Import of Customer Payments"

    _qbo_stream = "payment"
    _qbo_entity = "Payment"

    # === ENTRY POINTS === #

    @api.model
    def _qbo_sync(self, company, limit):
        """Send the company's queued Odoo payments, then import the customer and bill payments
        changed in QuickBooks (at most ``limit`` of each).

        :return: the ``PaymentSyncReport``
        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read
        """
        report = PaymentSyncReport(self.env)
        # Pushes and pulls of a company's payments never overlap: a pull could link a payment being sent.
        cursors = self.env["qbo.sync.cursor"]
        if not all(cursors._qbo_acquire(company, stream) for stream in ("payment", "bill_payment")):
            report.busy.append(company.name)
            return report
        self.env["qbo.payment.export"]._qbo_export_queued(company, report)
        report.pulled = True
        for model in ("qbo.payment.pull", "qbo.bill.payment.pull"):
            self.env[model]._qbo_pull(company, limit, report)
        return report

    @api.model
    def _qbo_sync_button(self, company):
        """Sync Customer Payment: a larger batch now, the rest in the background.

        :raise UserError: if the company is not connected or QuickBooks cannot be read (said in words
            the user can act on)
        """
        try:
            report = self._qbo_sync(company, MANUAL_BATCH_SIZE)
        except QboApiError as error:
            raise UserError(self.env["qbo.fault"]._qbo_explain(error, company=company)) from None
        if report.remaining:
            self.env.ref("quickbooks_connector.ir_cron_qbo_pull_payments")._qbo_trigger_lanes()
        return report

    @api.model
    def _cron_qbo_sync_payments(self):
        """For the connected company served least recently: send its queued Odoo payments and import
        one bounded batch of its QuickBooks payments; the runner calls again while some are left."""
        report = PaymentSyncReport(self.env)
        for company in self._qbo_due_companies():
            try:
                report = self._qbo_sync(company, CRON_BATCH_SIZE)
            except (UserError, QboApiError) as error:
                _logger.info("QuickBooks: payment sync of company %s failed: %s", company.id, error)
                self._qbo_log_failure(company, error)
            if not report.busy:
                break
        self.env["ir.cron"]._notify_progress(done=max(report.work, 1),
                                             remaining=report.remaining + len(self._qbo_due_companies()))

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return PaymentSyncReport(self.env)

    @api.model
    def _qbo_pull_context(self, run, docs):
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", self._qbo_entity),
            ("qbo_id", "in", [str(doc["Id"]) for doc in docs]),
        ])
        return {"existing": {payment.qbo_id: payment for payment in payments}}

    @api.model
    def _qbo_pull_one(self, run, doc, context):
        """Import one QuickBooks payment, recognise one sent from Odoo, or check one already imported."""
        parsed = parse_payment(self._qbo_entity, doc)
        payment = context["existing"].get(parsed["id"])
        if payment:
            return self._qbo_check_remote(run, payment, parsed)
        own = self._qbo_own_payment(run, parsed)
        if own:
            return self._qbo_link_own(run, own, parsed)
        if parsed["voided"]:
            return False  # voided before Odoo ever saw it: nothing to book
        documents, missing = self._qbo_documents(run.company, parsed)
        if not documents or missing:
            # Reported once: a payment read again in the overlap of the cursor was counted before.
            if run.cursor.read_until and parsed["updated"] <= run.cursor.read_until:
                return False
            reason = _("invoice not exported") if self._qbo_entity == "Payment" else _("bill not exported")
            run.report.skip(reason)
            run.logs.append(self._qbo_pull_log_values(run, None, "read", "success", _("Skipped: %s", reason),
                                                      parsed["id"]))
            return True
        parsed["rate"] = self._qbo_usable_rate(run.company, parsed)
        try:
            with self.env.cr.savepoint():
                payment, note = self._qbo_import(parsed, documents)
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != UNIQUE_CONSTRAINT:
                raise
            _logger.info("QuickBooks: %s %s was imported by another run", self._qbo_entity, parsed["id"])
            return False
        run.report.imported += 1
        payment._message_log(body=note)
        run.logs.append(self._qbo_pull_log_values(run, payment, "create", "success", False))
        return True

    @api.model
    def _qbo_pull_deleted(self, run, entity, qbo_ids):
        """Flag the payments deleted in QuickBooks."""
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", entity), ("qbo_id", "in", qbo_ids),
            ("state", "!=", "canceled"), ("qbo_remote_change", "!=", "deleted"),
        ])
        for payment in payments:
            self._qbo_flag(run, payment, "deleted", [("deleted", None, None, None)], None, None)

    # === IMPORT === #

    @api.model
    def _qbo_documents(self, company, parsed):
        """Return ``({(type, id): move}, [allocations of documents not exported])`` for a payment's allocations."""
        found = {}
        by_type = {}
        for item in parsed["allocations"]:
            by_type.setdefault(item["type"], []).append(item["id"])
        for kind, qbo_ids in by_type.items():
            moves = self.env["account.move"].search([
                ("company_id", "=", company.id), ("move_type", "=", DOCUMENT_MOVE_TYPES[kind]),
                ("qbo_id", "in", qbo_ids), ("state", "=", "posted"),
            ])
            found.update({(kind, move.qbo_id): move for move in moves})
        missing = [item for item in parsed["allocations"] if (item["type"], item["id"]) not in found]
        return found, missing

    @api.model
    def _qbo_usable_rate(self, company, parsed):
        """QuickBooks' exchange rate when it converts into the Odoo company's currency, else None."""
        currency = company.currency_id.name
        if not parsed["rate"] or not parsed["currency"] or parsed["currency"] == currency:
            return None
        return parsed["rate"] if (company.qbo_home_currency or currency) == currency else None

    @api.model
    def _qbo_import(self, parsed, documents):
        """Create, post and reconcile the Odoo payment of a QuickBooks payment.

        :return: ``(payment, chatter note)``
        :raise UserError: if the payment cannot be booked (currency, journal, partner, ...)
        """
        moves = self.env["account.move"].union(*documents.values())
        company = moves.company_id
        payment_type, partner_type = PAYMENT_KINDS[parsed["entity"]]
        currency = self._qbo_currency(company, parsed["currency"])
        wrong_currency = moves.filtered(lambda move: move.currency_id != currency)
        if wrong_currency:
            raise UserError(_("QuickBooks: the payment is in %(currency)s but %(documents)s are not.",
                              currency=currency.name, documents=", ".join(wrong_currency.mapped("name"))))
        partner = moves.commercial_partner_id
        if len(partner) != 1:
            raise UserError(_("QuickBooks: the documents this payment pays belong to several partners in Odoo (%s).",
                              ", ".join(partner.mapped("display_name"))))
        journal = self._qbo_journal(company, parsed["account_id"])
        method_line = journal._get_available_payment_method_lines(payment_type)[:1]
        if not method_line:
            raise UserError(_("QuickBooks: the journal %s has no payment method for this payment.", journal.name))
        paid = next((move for (kind, _qbo_id), move in documents.items() if kind not in CREDIT_DOCUMENTS.values()),
                    moves[:1])
        payment = self.env["account.payment"].with_company(company).with_context(qbo_no_push=True).create({
            "payment_type": payment_type,
            "partner_type": partner_type,
            "partner_id": partner.id,
            "amount": float(parsed["total"]),
            "currency_id": currency.id,
            "journal_id": journal.id,
            "payment_method_line_id": method_line.id,
            "date": parsed["date"],
            "memo": memo(parsed["entity"], parsed["id"], parsed["reference"]),
            "company_id": company.id,
            "destination_account_id": self._qbo_counterpart_lines(paid).account_id[:1].id,
            "invoice_ids": [Command.set(moves.ids)],
            "qbo_entity": parsed["entity"],
            "qbo_id": parsed["id"],
            "qbo_sync_token": parsed["sync_token"],
            "qbo_origin": "qbo",
            "qbo_state": "synced",
            "qbo_synced_at": fields.Datetime.now(),
            "qbo_snapshot": snapshot(parsed),
        })
        line_values, part_moves = self._qbo_move_line_values(payment, parsed, documents)
        payment._generate_journal_entry(line_ids=[Command.create(values) for values in line_values])
        payment.with_context(qbo_no_push=True).action_post()
        left = self._qbo_reconcile(payment, part_moves)
        return payment, self._qbo_import_note(payment, parsed, documents, left)

    @api.model
    def _qbo_move_line_values(self, payment, booking, documents):
        """Return the journal items of a QuickBooks payment and the document each counterpart settles.

        One counterpart line per document (its exact applied amount, so partial payments over several
        documents reconcile as QuickBooks applied them), one for the unapplied amount (the partner's
        outstanding credit). Company-currency amounts use QuickBooks' rate when it is usable.

        :return: ``(values list, [move or None per counterpart line])``
        """
        company = payment.company_id
        currency = payment.currency_id
        liquidity, counterpart = payment._prepare_move_line_default_vals()[:2]
        sign = -1 if payment.payment_type == "inbound" else 1  # counterpart of a paid document
        credit_kind = CREDIT_DOCUMENTS[payment.qbo_entity]
        parts = [(documents[(item["type"], item["id"])],
                  (-sign if item["type"] == credit_kind else sign) * item["amount"]) for item in booking["allocations"]]
        if booking["unapplied"]:
            parts.append((None, sign * booking["unapplied"]))

        def to_company(amount):
            if currency == company.currency_id:
                return amount
            if booking.get("rate"):
                return cents(amount * to_decimal(booking["rate"]))
            return cents(currency._convert(float(amount), company.currency_id, company, payment.date))

        liquidity_balance = -sign * to_company(booking["total"])
        balances = [to_company(abs(amount)) * (1 if amount > 0 else -1) for _move, amount in parts]
        if balances:
            # Rounding per line: the largest line takes the cent that makes the entry balance.
            largest = max(range(len(balances)), key=lambda index: abs(balances[index]))
            balances[largest] += -liquidity_balance - sum(balances)

        def line(base, amount, balance, **values):
            return dict(base, amount_currency=float(amount), debit=float(max(balance, 0)),
                        credit=float(max(-balance, 0)), **values)

        values = [line(liquidity, -sign * booking["total"], liquidity_balance)]
        for (move, amount), balance in zip(parts, balances):
            if move:
                values.append(line(counterpart, amount, balance, name=f"{counterpart['name']} - {move.name}",
                                   account_id=self._qbo_counterpart_lines(move).account_id[:1].id))
            else:
                values.append(line(counterpart, amount, balance, account_id=payment.destination_account_id.id))
        return values, [move for move, _amount in parts]

    @api.model
    def _qbo_reconcile(self, payment, part_moves):
        """Reconcile each counterpart line with its document; return ``[(document, amount left open)]``."""
        lines = payment.move_id.line_ids.sorted("id")[1:]
        if len(lines) != len(part_moves):
            raise UserError(_("QuickBooks: the journal entry of %s does not have the expected lines.",
                              payment.display_name))
        left = []
        for line, move in zip(lines, part_moves):
            if not move:
                continue
            targets = self._qbo_counterpart_lines(move).filtered(
                lambda target: target.account_id == line.account_id and not target.reconciled)
            (line | targets).reconcile()
            if not line.currency_id.is_zero(line.amount_residual_currency):
                left.append((move, abs(line.amount_residual_currency)))
        return left

    @api.model
    def _qbo_counterpart_lines(self, move):
        return move.line_ids.filtered(lambda line: line.account_id.account_type in COUNTERPART_TYPES)

    @api.model
    def _qbo_import_note(self, payment, parsed, documents, left):
        currency = payment.currency_id
        lines = [_("Imported from QuickBooks: %(memo)s.", memo=payment.memo)]
        for item in parsed["allocations"]:
            lines.append(_("Applied to %(document)s: %(amount)s", document=documents[(item["type"], item["id"])].name,
                           amount=currency.format(float(item["amount"]))))
        if parsed["unapplied"]:
            lines.append(_("Not applied: %s, left as the partner's outstanding credit.",
                           currency.format(float(parsed["unapplied"]))))
        for move, amount in left:
            lines.append(_("%(amount)s applied to %(document)s in QuickBooks is still open in Odoo: the document was "
                           "already paid here.", amount=currency.format(amount), document=move.name))
        return self._qbo_html_lines("\n".join(lines))

    @api.model
    def _qbo_journal(self, company, qbo_account_id):
        """The journal whose account is the QuickBooks deposit (or bank) account, else the default one."""
        if qbo_account_id:
            account = self.env["qbo.mapping"]._records_for(company, "Account", [qbo_account_id]).get(qbo_account_id)
            if account:
                journal = self.env["account.journal"].search([
                    ("company_id", "=", company.id), ("type", "in", ("bank", "cash", "credit")),
                    ("default_account_id", "=", account.id)], limit=1)
                if journal:
                    return journal
        return company._qbo_payment_journal()

    # === PAYMENTS SENT FROM ODOO === #

    @api.model
    def _qbo_own_payment(self, run, parsed):
        """The Odoo payment a QuickBooks payment was created from, when its answer never reached Odoo
        (a posted one: a payment cancelled meanwhile in Odoo does not take it, nor a voided copy)."""
        if not parsed["marker"]:
            return None
        prefix, payment_id = parsed["marker"]
        if prefix != self.env["qbo.export.engine"]._qbo_requestid_prefix(run.company):
            return None
        payment = self.env["account.payment"].browse(payment_id).exists()
        if payment and payment.company_id == run.company and not payment.qbo_id and not parsed["voided"] \
                and payment.state in ("in_process", "paid"):
            return payment
        return None

    @api.model
    def _qbo_link_own(self, run, payment, parsed):
        parsed["rate"] = self._qbo_usable_rate(run.company, parsed)
        values = {"qbo_entity": parsed["entity"], "qbo_id": parsed["id"], "qbo_sync_token": parsed["sync_token"],
                  "qbo_origin": "odoo", "qbo_state": "synced", "qbo_error": False, "qbo_retry_count": 0,
                  "qbo_next_attempt": False, "qbo_synced_at": fields.Datetime.now(), "qbo_snapshot": snapshot(parsed)}
        payment.write(values)
        run.report.created += 1
        payment._message_log(body=_("Found in QuickBooks as %(entity)s %(id)s (sent earlier, its answer was lost): "
                                    "linked, not imported again.", entity=parsed["entity"], id=parsed["id"]))
        run.logs.append(self._qbo_pull_log_values(run, payment, "read", "success",
                                                  _("Linked to the Odoo payment it was sent from.")))
        return True

    # === CHANGES MADE IN QUICKBOOKS === #

    @api.model
    def _qbo_check_remote(self, run, payment, parsed):
        """Compare a payment already in Odoo with its QuickBooks version; flag a difference, change nothing.

        :return: whether it was work (a change flagged)
        """
        if parsed["sync_token"] in (payment.qbo_sync_token, payment.qbo_remote_sync_token):
            return False
        parsed["rate"] = self._qbo_usable_rate(run.company, parsed)
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
            payment.write(values)
            return False
        self._qbo_flag(run, payment, "voided" if parsed["voided"] else "changed", difference, new,
                       parsed["sync_token"])
        return True

    @api.model
    def _qbo_flag(self, run, payment, kind, difference, new_snapshot, sync_token):
        """Record a QuickBooks change on the payment and ask the managers to review it."""
        text = self._qbo_describe(payment, difference)
        payment.write({"qbo_remote_change": kind, "qbo_remote_difference": text, "qbo_remote_snapshot": new_snapshot,
                       "qbo_remote_sync_token": sync_token})
        summary = dict(payment._fields["qbo_remote_change"].selection)[kind]
        self._qbo_schedule_review(payment, summary, text)
        payment._message_log(body=Markup("<strong>%s</strong><br/>%s<br/>%s") % (
            summary, self._qbo_html_lines(text),
            _("Nothing was changed in Odoo: a QuickBooks manager applies it with \"Apply QuickBooks Change\".")))
        run.report.flagged += 1
        run.logs.append(self._qbo_pull_log_values(run, payment, REMOTE_OPERATIONS[kind], "success",
                                                  _("Flagged for review: %s", text)))

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
        self.env["qbo.sync.log"]._qbo_log([{
            "company_id": payment.company_id.id, "direction": "import", "operation": REMOTE_OPERATIONS[kind],
            "qbo_entity": payment.qbo_entity, "qbo_id": payment.qbo_id, "res_model": payment._name,
            "res_id": payment.id, "res_name": payment.display_name, "status": "success",
            "message": _("Change applied in Odoo.")}])

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

    # === TOOLING === #

    @api.model
    def _qbo_html_lines(self, text):
        return Markup("<br/>").join((text or "").split("\n"))
