import logging
import time
import zlib
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import QUERY_PAGE_SIZE
from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import (
    CREDIT_DOCUMENTS,
    PAYMENT_ENTITIES,
    PaymentPayloadError,
    amounts_differ,
    build_payment_payload,
    cents,
    changes,
    memo,
    odoo_marker,
    parse_payment,
    parse_qbo_datetime,
    query_datetime,
    snapshot,
    to_decimal,
)

_logger = logging.getLogger(__name__)

# Each read starts this much before the cursor: changes committed in QuickBooks while the last read ran.
CURSOR_OVERLAP = timedelta(minutes=5)
# Change Data Capture looks back 30 days at most.
CDC_LOOKBACK = timedelta(days=29)
CURSOR_FIELDS = {"Payment": "qbo_payment_cursor", "BillPayment": "qbo_bill_payment_cursor"}
PAYMENT_KINDS = {"Payment": ("inbound", "customer"), "BillPayment": ("outbound", "supplier")}
DOCUMENT_MOVE_TYPES = {"Invoice": "out_invoice", "CreditMemo": "out_refund", "Bill": "in_invoice",
                       "VendorCredit": "in_refund"}
# The Odoo documents a payment registered in Odoo may settle, per QuickBooks entity.
PUSHED_DOCUMENTS = {"Payment": ("out_invoice", "Invoice"), "BillPayment": ("in_invoice", "Bill")}
COUNTERPART_TYPES = ("asset_receivable", "liability_payable")
REMOTE_OPERATIONS = {"changed": "update", "voided": "void", "deleted": "delete"}
PUSH_BATCH_SIZE = 100
RETRY_BATCH_SIZE = 50
MAX_ATTEMPTS = 5
# Minutes before the next attempt after a temporary failure (by attempt number), and while the
# documents a payment settles wait for their own export.
RETRY_DELAYS = (1, 5, 15, 60)
EXPORT_WAIT = 5
# One advisory lock per company serializes the runs (pull and push) of payments.
LOCK_NAMESPACE = zlib.crc32(b"quickbooks_connector.payments") & 0x7FFFFFFF
ACTIVITY_TYPE = "quickbooks_connector.mail_activity_type_qbo_payment_change"
MANAGER_GROUP = "quickbooks_connector.group_qbo_manager"
UNIQUE_CONSTRAINT = "account_payment_qbo_payment_unique"


class PaymentSyncReport:
    """What a synchronization of payments did, counted for the message the user gets."""

    def __init__(self, env):
        self.env = env
        self.pulled = False  # whether QuickBooks payments were read (the count of imports is then told)
        self.imported = 0
        self.pushed = 0
        self.flagged = 0
        self.retry = 0
        self.waiting = 0
        self.skipped = {}  # reason -> count
        self.errors = []  # (payment label, message)
        self.busy = []  # names of the companies another run was synchronizing
        self.work = 0  # payments handled (the batch bound)
        self.remaining = 0  # payments left for the next call

    def skip(self, reason):
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def message(self):
        """Return e.g. "3 payments imported, 1 skipped: invoice not exported"."""
        _ = self.env._
        parts = []
        if self.pulled or self.imported:
            parts.append(_("1 payment imported") if self.imported == 1 else
                         _("%s payments imported", self.imported))
        if self.pushed:
            parts.append(_("%s sent to QuickBooks", self.pushed))
        if self.flagged:
            parts.append(_("%s changed in QuickBooks, to review", self.flagged))
        for reason, count in sorted(self.skipped.items()):
            parts.append(_("%(count)s skipped: %(reason)s", count=count, reason=reason))
        if self.waiting:
            parts.append(_("%s waiting for the export of their invoices or bills", self.waiting))
        if self.retry:
            parts.append(_("%s will be retried automatically", self.retry))
        if self.errors:
            details = "; ".join(f"{label}: {message}" for label, message in self.errors[:5])
            parts.append(_("%(count)s failed (%(details)s)", count=len(self.errors), details=details))
        if self.busy:
            parts.append(_("%s: another synchronization of payments is running, try again in a minute",
                           ", ".join(self.busy)))
        if self.remaining:
            parts.append(_("more are being imported in the background"))
        return ", ".join(parts) or _("Nothing to do.")

    def notification_type(self):
        if self.errors:
            return "danger" if not (self.imported or self.pushed) else "warning"
        return "warning" if self.busy or self.flagged or self.retry else "success"


class PaymentRun:
    """One synchronization of a company's payments: the client, what was seen, what to record."""

    def __init__(self, company, client, report):
        self.company = company
        self.client = client
        self.report = report
        self.logs = []
        self.seen = set()  # (entity, QuickBooks id) handled in this run
        self.retry = {entity: list(ids) for entity, ids in (company.qbo_payment_retry or {}).items()}
        self._home_currency = None

    def home_currency(self):
        """The QuickBooks company's home currency (read once per run, when a foreign payment needs it)."""
        if self._home_currency is None:
            prefs = self.client.preferences()
            self._home_currency = ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value") \
                or self.company.currency_id.name
        return self._home_currency


class QboPaymentSync(models.AbstractModel):
    """Payments both ways between a company and its QuickBooks realm.

    Pull: the QuickBooks Payments and BillPayments changed since the last run (a cursor per company
    and entity, read again with a small overlap, page by page, within a bounded batch) become posted
    ``account.payment`` records reconciled with the exported invoices and bills they pay, each in its
    own savepoint; a payment already in Odoo that QuickBooks changed, voided or deleted is flagged
    for the managers, never changed silently. Push: payments registered in Odoo on exported documents
    are created in QuickBooks with a replay-safe requestid. One advisory lock per company serializes
    the runs, and a unique (company, entity, QuickBooks id) constraint makes a second copy impossible.
    """

    _name = "qbo.payment.sync"
    _description = "QuickBooks Payment Synchronization"

    # === ENTRY POINTS === #

    @api.model
    def _qbo_sync(self, company, limit):
        """Send the company's queued payments, then import what changed in QuickBooks (at most ``limit``).

        :return: the ``PaymentSyncReport``
        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read
        """
        report = PaymentSyncReport(self.env)
        if not self._qbo_try_lock(company):
            report.busy.append(company.name)
            return report
        run = PaymentRun(company, company._qbo_get_client(), report)
        try:
            self._qbo_push_queued(run)
            for entity in PAYMENT_ENTITIES:
                self._qbo_pull(run, entity, limit)
        except (UserError, QboApiError):
            self._qbo_flush(run)
            raise
        self._qbo_flush(run)
        return report

    @api.model
    def _qbo_push_payments(self, payments):
        """Send ``payments`` (registered in Odoo) to QuickBooks now; return the ``PaymentSyncReport``."""
        report = PaymentSyncReport(self.env)
        for company, company_payments in payments.grouped("company_id").items():
            if not self._qbo_try_lock(company):
                report.busy.append(company.name)
                continue
            run = PaymentRun(company, company._qbo_get_client(), report)
            for payment in company_payments:
                self._qbo_push_one(run, payment)
            self._qbo_flush(run)
        return report

    @api.model
    def _qbo_apply_remote_change(self, payment):
        """Book the pending QuickBooks version of ``payment`` (the managers' explicit action).

        :raise UserError: if the new version pays documents not exported from Odoo, or Odoo refuses
        """
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

    # === PULL === #

    @api.model
    def _qbo_pull(self, run, entity, limit):
        """Import the ``entity`` payments changed since the cursor, page by page, and move the cursor."""
        company = run.company
        cursor = company[CURSOR_FIELDS[entity]]
        run.report.pulled = True
        self._qbo_pull_retries(run, entity)
        where = f" WHERE MetaData.LastUpdatedTime > '{query_datetime(cursor - CURSOR_OVERLAP)}'" if cursor else ""
        start, server_time, stop_at = 1, None, None
        while True:
            answer = self._qbo_query(run, f"SELECT * FROM {entity}{where} ORDERBY MetaData.LastUpdatedTime "
                                          f"STARTPOSITION {start} MAXRESULTS {QUERY_PAGE_SIZE}")
            server_time = server_time or parse_qbo_datetime(answer["time"])
            docs = (answer.get("QueryResponse") or {}).get(entity, [])
            stop_at = self._qbo_pull_page(run, entity, docs, cursor, limit)
            if stop_at or len(docs) < QUERY_PAGE_SIZE:
                break
            start += QUERY_PAGE_SIZE
        if stop_at:
            # The batch is full: the next call reads again from the first payment not handled.
            new_cursor = max(stop_at, cursor) if cursor else stop_at
            count = self._qbo_query(run, f"SELECT COUNT(*) FROM {entity} WHERE MetaData.LastUpdatedTime >= "
                                         f"'{query_datetime(stop_at)}'")["QueryResponse"].get("totalCount", 1)
            run.report.remaining += max(count, 1)
        else:
            if cursor:
                self._qbo_pull_deletions(run, entity, max(cursor - CURSOR_OVERLAP, server_time - CDC_LOOKBACK))
            new_cursor = server_time
        company.sudo().write({CURSOR_FIELDS[entity]: new_cursor})

    @api.model
    def _qbo_query(self, run, statement):
        """Run a query and return the whole answer (its ``time`` is QuickBooks' clock)."""
        return run.client.request("POST", "query", data=statement.encode(), idempotent=True,
                                  headers={"Content-Type": "application/text"})

    @api.model
    def _qbo_pull_page(self, run, entity, docs, cursor, limit):
        """Handle one page of payments; return the time of the first one left for the next call, if any."""
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", entity),
            ("qbo_id", "in", [str(doc["Id"]) for doc in docs]),
        ])
        existing = {payment.qbo_id: payment for payment in payments}
        for doc in docs:
            parsed = parse_payment(entity, doc)
            if (entity, parsed["id"]) in run.seen:
                continue
            if run.report.work >= limit:
                return parsed["updated"]
            self._qbo_pull_one(run, parsed, existing.get(parsed["id"]), cursor)
        return None

    @api.model
    def _qbo_pull_retries(self, run, entity):
        """Read again the payments whose import failed in an earlier run."""
        ids = run.retry.pop(entity, [])
        for qbo_id in ids[:RETRY_BATCH_SIZE]:
            try:
                doc = run.client.read(entity, qbo_id)
            except QboApiError as error:
                if error.code == "610":  # deleted in QuickBooks since: nothing to import
                    continue
                raise
            parsed = parse_payment(entity, doc)
            existing = self.env["account.payment"].search([
                ("company_id", "=", run.company.id), ("qbo_entity", "=", entity), ("qbo_id", "=", parsed["id"])])
            self._qbo_pull_one(run, parsed, existing, None)
        if ids[RETRY_BATCH_SIZE:]:
            run.retry.setdefault(entity, []).extend(ids[RETRY_BATCH_SIZE:])

    @api.model
    def _qbo_pull_one(self, run, parsed, payment, cursor):
        """Import one QuickBooks payment, recognise one sent from Odoo, or check one already imported."""
        entity = parsed["entity"]
        run.seen.add((entity, parsed["id"]))
        if payment:
            self._qbo_check_remote(run, payment, parsed)
            return
        own = self._qbo_own_payment(run, parsed)
        if own:
            self._qbo_link_own(run, own, parsed)
            return
        if parsed["voided"]:
            return  # voided before Odoo ever saw it: nothing to book
        documents, missing = self._qbo_documents(run.company, parsed)
        if not documents or missing:
            # Reported once: a payment read again in the overlap of the cursor was counted before.
            if not cursor or parsed["updated"] > cursor:
                reason = _("invoice not exported") if entity == "Payment" else _("bill not exported")
                run.report.skip(reason)
                run.report.work += 1
                run.logs.append(self._qbo_log_values(run.company, None, "import", "read", entity, "success",
                                                     _("Skipped: %s", reason), qbo_id=parsed["id"]))
            return
        try:
            with self.env.cr.savepoint():
                parsed["rate"] = self._qbo_usable_rate(run, parsed)
                payment, note = self._qbo_import(parsed, documents)
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != UNIQUE_CONSTRAINT:
                raise
            _logger.info("QuickBooks: %s %s was imported by another run", entity, parsed["id"])
            return
        except (UserError, ValidationError, QboApiError) as error:
            label = memo(entity, parsed["id"])
            run.report.errors.append((label, str(error)))
            run.report.work += 1
            run.retry.setdefault(entity, [])
            if parsed["id"] not in run.retry[entity]:
                run.retry[entity].append(parsed["id"])
            run.logs.append(self._qbo_log_values(run.company, None, "import", "create", entity, "error", str(error),
                                                 qbo_id=parsed["id"]))
            return
        run.report.imported += 1
        run.report.work += 1
        payment._message_log(body=note)
        run.logs.append(self._qbo_log_values(run.company, payment, "import", "create", entity, "success", False))

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
    def _qbo_usable_rate(self, run, parsed):
        """QuickBooks' exchange rate when it converts into the Odoo company's currency, else None."""
        currency = run.company.currency_id.name
        if not parsed["rate"] or not parsed["currency"] or parsed["currency"] == currency:
            return None
        return parsed["rate"] if run.home_currency() == currency else None

    # === IMPORT === #

    @api.model
    def _qbo_import(self, parsed, documents):
        """Create, post and reconcile the Odoo payment of a QuickBooks payment.

        :return: ``(payment, chatter note)``
        :raise UserError: if the payment cannot be booked (currency, journal, lock date, ...)
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
        parts = [(documents[(item["type"], item["id"])], (-sign if item["type"] == credit_kind else sign) * item["amount"])
                 for item in booking["allocations"]]
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
            return dict(base, amount_currency=float(amount), debit=float(max(balance, 0)), credit=float(max(-balance, 0)),
                        **values)

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
    def _qbo_currency(self, company, code):
        code = code or company.currency_id.name
        currency = self.env["res.currency"].with_context(active_test=False).search([("name", "=", code)], limit=1)
        if not currency.active:
            raise UserError(_("QuickBooks: the currency %s is not active in Odoo; activate it.", code))
        return currency

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

    # === CHANGES MADE IN QUICKBOOKS === #

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

    # === PUSH === #

    @api.model
    def _qbo_push_queued(self, run):
        payments = self.env["account.payment"].search([
            ("company_id", "=", run.company.id), ("qbo_state", "=", "to_send"), ("state", "in", ("in_process", "paid")),
            "|", ("qbo_next_attempt", "=", False), ("qbo_next_attempt", "<=", fields.Datetime.now()),
        ], order="id", limit=PUSH_BATCH_SIZE)
        for payment in payments:
            self._qbo_push_one(run, payment)

    @api.model
    def _qbo_push_one(self, run, payment):
        """Create one Odoo payment in QuickBooks, linked to the exported documents it settles."""
        if payment.qbo_id:
            self._qbo_save(run, payment, {"qbo_state": "synced", "qbo_error": False})
            return
        self.env.cr.execute("SELECT id FROM account_payment WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                            [payment.id])
        if not self.env.cr.fetchone():
            return  # another transaction is sending or editing it
        entity = payment._qbo_entity()
        documents = self._qbo_settled_documents(payment)
        if any(move.qbo_state == "to_send" and not move.qbo_id for move in documents):
            # Its invoices are queued for export: send the payment once they are in QuickBooks.
            self._qbo_save(run, payment, {"qbo_next_attempt": fields.Datetime.now() + timedelta(minutes=EXPORT_WAIT)})
            run.report.waiting += 1
            return
        exported = {move: amount for move, amount in documents.items() if move.qbo_id and move.qbo_state != "voided"}
        if not exported:
            # It settles nothing QuickBooks knows: it stays an Odoo-only payment.
            self._qbo_save(run, payment, {"qbo_state": "not_synced", "qbo_error": False})
            return
        requestid = f"{self._qbo_requestid_prefix(run.company)}-p{payment.id}-g{payment.qbo_export_generation}"
        try:
            missing = [move for move in documents if move not in exported]
            if missing:
                raise UserError(_("it also settles %s, not in QuickBooks: export them first",
                                  ", ".join(move.name for move in missing)))
            values = self._qbo_push_values(run, payment, entity, exported)
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
        """Return the plain values of the payload of ``payment`` (see ``build_payment_payload``)."""
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
        party_id = sync._qbo_resolve_partner(company, partner, as_entity="Customer" if entity == "Payment" else "Vendor",
                                             client=run.client)[partner.id]
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
    def _qbo_push_failure(self, run, payment, entity, error, requestid=None, duration=0.0):
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
            if requestid and not retryable:
                # QuickBooks refused the creation: the corrected payment is a new request, not a replay.
                values["qbo_export_generation"] = payment.qbo_export_generation + 1
            status = "error"
            run.report.errors.append((payment.name, str(error)))
        if not self._qbo_save(run, payment, values):
            return
        run.logs.append(self._qbo_log_values(run.company, payment, "export", "create", entity, status, str(error),
                                             requestid=requestid, duration=duration))
        payment._message_log(body=_("QuickBooks: the payment was not sent (%s).", error) if status == "error" else
                             _("QuickBooks: the payment was not sent yet (%s); it will be retried.", error))

    @api.model
    def _qbo_own_payment(self, run, parsed):
        """The Odoo payment a QuickBooks payment was created from, when its answer never reached Odoo."""
        if not parsed["marker"]:
            return None
        prefix, payment_id = parsed["marker"]
        if prefix != self._qbo_requestid_prefix(run.company):
            return None
        payment = self.env["account.payment"].browse(payment_id).exists()
        if payment and payment.company_id == run.company and not payment.qbo_id:
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

    # === TOOLING === #

    @api.model
    def _qbo_try_lock(self, company):
        """Take the company's payment lock for this transaction; False if another run holds it."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, company.id])
        return self.env.cr.fetchone()[0]

    @api.model
    def _qbo_requestid_prefix(self, company):
        return self.env["qbo.move.export"]._qbo_requestid_prefix(company)

    @api.model
    def _qbo_save(self, run, payment, values):
        """Write QuickBooks fields of a payment in a savepoint; a refusal is reported, the run goes on."""
        try:
            with self.env.cr.savepoint():
                payment.write(values)
        except (UserError, ValidationError, psycopg2.IntegrityError) as error:
            run.report.errors.append((payment.display_name, str(error)))
            return False
        return True

    @api.model
    def _qbo_flush(self, run):
        """Write the run's sync logs and the list of payments to read again."""
        if run.logs:
            self.env["qbo.sync.log"]._qbo_log(run.logs)
            run.logs = []
        retry = {entity: ids for entity, ids in run.retry.items() if ids}
        if retry != (run.company.qbo_payment_retry or {}):
            run.company.sudo().qbo_payment_retry = retry or False

    @api.model
    def _qbo_log_failure(self, company, error):
        self.env["qbo.sync.log"]._qbo_log([self._qbo_log_values(company, None, "import", "read", "Payment", "error",
                                                                str(error))])

    @api.model
    def _qbo_log_values(self, company, payment, direction, operation, entity, status, message, qbo_id=None,
                        requestid=None, duration=0.0):
        return {
            "company_id": company.id,
            "direction": direction,
            "operation": operation,
            "qbo_entity": entity,
            "qbo_id": qbo_id or (payment and payment.qbo_id) or False,
            "res_model": payment and "account.payment" or False,
            "res_id": payment and payment.id or False,
            "res_name": payment and payment.name or False,
            "status": status,
            "message": message or False,
            "requestid": requestid or False,
            "duration": duration,
        }

    @api.model
    def _qbo_html_lines(self, text):
        return Markup("<br/>").join((text or "").split("\n"))
