import logging
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
    cents,
    memo,
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
COUNTERPART_TYPES = ("asset_receivable", "liability_payable")
RETRY_BATCH_SIZE = 50
# One advisory lock per company serializes the runs (pull and push) of payments.
LOCK_NAMESPACE = zlib.crc32(b"quickbooks_connector.payments") & 0x7FFFFFFF
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
        self.retry_ids = {entity: list(ids) for entity, ids in (company.qbo_payment_retry or {}).items()}
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
        ids = run.retry_ids.pop(entity, [])
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
            run.retry_ids.setdefault(entity, []).extend(ids[RETRY_BATCH_SIZE:])

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
            run.retry_ids.setdefault(entity, [])
            if parsed["id"] not in run.retry_ids[entity]:
                run.retry_ids[entity].append(parsed["id"])
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
        retry = {entity: ids for entity, ids in run.retry_ids.items() if ids}
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
