import logging
import time
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

from ..qbo_client import QboApiError
from ..qbo_payload.account_move import ENTITY_BY_MOVE_TYPE
from ..qbo_payload.money import cents

_logger = logging.getLogger(__name__)

# What is compared: (QuickBooks entity, Odoo move type, party reference, whether QuickBooks keeps a Balance).
DOCUMENT_KINDS = [
    ("Invoice", "out_invoice", "CustomerRef", True),
    ("CreditMemo", "out_refund", "CustomerRef", True),
    ("SalesReceipt", "out_invoice", "CustomerRef", False),
    ("RefundReceipt", "out_refund", "CustomerRef", False),
    ("Bill", "in_invoice", "VendorRef", True),
    ("VendorCredit", "in_refund", "VendorRef", True),
]
# Payments compared: (QuickBooks entity, party reference).
PAYMENT_KINDS = [("Payment", "CustomerRef"), ("BillPayment", "VendorRef")]
# How a document of each entity counts in the period's sales or purchases.
SIGNS = {"Invoice": 1, "SalesReceipt": 1, "CreditMemo": -1, "RefundReceipt": -1, "Bill": 1, "VendorCredit": -1}
SALES = ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt")
# Partner balances: (QuickBooks report, party entity, Odoo account type, sign of Odoo's balance).
PARTNER_REPORTS = [
    ("CustomerBalance", "Customer", "asset_receivable", 1),
    ("VendorBalance", "Vendor", "liability_payable", -1),
]
# QuickBooks documents read in one query (Intuit's page size), and Odoo documents looked up in one.
QBO_PAGE = 1000
ODOO_PAGE = 100
# A call of the job runs steps for this long, then ends (the runner calls again while checks run).
CRON_CALL_SECONDS = 20


class QboBooksCheck(models.Model):
    """"Are the two books in step?": one comparison of a company's Odoo and QuickBooks books for a period.

    Documents: every linked invoice, credit note, receipt, bill and vendor credit dated in the period is
    compared with its QuickBooks copy (total, tax, open balance, date, partner, voided or deleted), and
    the documents of the period held on one side only are listed. Partners: each linked customer's and
    vendor's open balance at the end of the period against QuickBooks' Customer / Vendor Balance
    reports. Only differences become lines, each with both figures; repairs are a separate, explicit
    step (``qbo.books.repair``): comparing changes nothing.

    The comparison runs in steps (one QuickBooks page each) from the books-check job, its position kept
    on the check itself (its only writer is the job), so 20,000 documents take bounded memory.
    """

    _name = "qbo.books.check"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "QuickBooks Books in Step"
    _order = "create_date desc, id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one("res.company", string="Company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(string="From", required=True, default=lambda self: self._default_dates()[0])
    date_to = fields.Date(string="To", required=True, default=lambda self: self._default_dates()[1])
    state = fields.Selection([("draft", "New"), ("running", "Comparing"), ("done", "Compared"),
                              ("failed", "Failed")], default="draft", required=True, readonly=True, tracking=True)
    checked_at = fields.Datetime(string="Compared on", readonly=True)
    stage = fields.Integer(readonly=True, help="The comparison's position: the stage it is at...")
    position = fields.Integer(readonly=True, help="...and where in that stage (a QuickBooks page, an Odoo id).")
    document_count = fields.Integer(string="Documents Compared", readonly=True)
    in_step_count = fields.Integer(string="Documents in Step", readonly=True)
    partner_count = fields.Integer(string="Partners Compared", readonly=True)
    progress = fields.Char(compute="_compute_progress")
    # The period's totals on both sides (company currency): documents net of credits, and open balances.
    odoo_sales = fields.Monetary(readonly=True)
    qbo_sales = fields.Monetary(readonly=True)
    odoo_purchases = fields.Monetary(readonly=True)
    qbo_purchases = fields.Monetary(readonly=True)
    odoo_receivable = fields.Monetary(readonly=True)
    qbo_receivable = fields.Monetary(readonly=True)
    odoo_payable = fields.Monetary(readonly=True)
    qbo_payable = fields.Monetary(readonly=True)
    totals_html = fields.Html(string="Totals", compute="_compute_totals_html", sanitize=False)
    line_ids = fields.One2many("qbo.books.check.line", "check_id", string="Differences", readonly=True)
    difference_count = fields.Integer(string="Open Differences", compute="_compute_difference_count")
    error = fields.Text(readonly=True)

    @api.model
    def _default_dates(self):
        """The last month: the month-end question."""
        first = fields.Date.context_today(self).replace(day=1)
        return first - relativedelta(months=1), first - timedelta(days=1)

    @api.depends("date_from", "date_to", "company_id")
    def _compute_name(self):
        for check in self:
            check.name = _("%(company)s: %(start)s to %(end)s", company=check.company_id.name,
                           start=format_date(self.env, check.date_from), end=format_date(self.env, check.date_to))

    @api.depends("state", "stage", "document_count")
    def _compute_progress(self):
        stages = self._qbo_stages()
        labels = {"_qbo_step_quickbooks": _("QuickBooks documents"), "_qbo_step_odoo": _("Odoo documents"),
                  "_qbo_step_unsent": _("Odoo documents not sent"), "_qbo_step_partners": _("partner balances"),
                  "_qbo_step_payments_quickbooks": _("QuickBooks payments"),
                  "_qbo_step_payments_odoo": _("Odoo payments"), "_qbo_step_expenses": _("expenses")}
        for check in self:
            if check.state != "running":
                check.progress = False
                continue
            method, argument = stages[min(check.stage, len(stages) - 1)]
            what = argument[0] if isinstance(argument, tuple) else argument or _("all")
            check.progress = _("Step %(step)s of %(steps)s: %(stage)s (%(what)s); %(count)s documents compared so far",
                               step=check.stage + 1, steps=len(stages), stage=labels[method], what=what,
                               count=check.document_count)

    @api.depends("state", "line_ids.state", "odoo_sales", "qbo_sales", "odoo_purchases", "qbo_purchases",
                 "odoo_receivable", "qbo_receivable", "odoo_payable", "qbo_payable")
    def _compute_totals_html(self):
        """Each total on both sides, their difference, and how much of it the differences listed show
        (what they do not is left: a document or partner the comparison cannot see, e.g. an expense)."""
        for check in self:
            if check.state != "done":
                check.totals_html = False
                continue
            rows = []
            for label, odoo, qbo, shown in (
                    (_("Sales (net of credits)"), check.odoo_sales, check.qbo_sales, check._qbo_shown(True)),
                    (_("Purchases (net of credits)"), check.odoo_purchases, check.qbo_purchases,
                     check._qbo_shown(False)),
                    (_("Receivable"), check.odoo_receivable, check.qbo_receivable, check._qbo_shown_balance("Customer")),
                    (_("Payable"), check.odoo_payable, check.qbo_payable, check._qbo_shown_balance("Vendor"))):
                difference = check.currency_id.round(odoo - qbo)
                rest = check.currency_id.round(difference - shown)
                rows.append(Markup("<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                                   "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>") % (
                    label, check._qbo_money(odoo), check._qbo_money(qbo), check._qbo_money(difference),
                    check._qbo_money(rest) if rest else _("all of it") if difference else "-"))
            check.totals_html = Markup(
                "<table class='table table-sm'><thead><tr><th></th><th class='text-end'>%s</th>"
                "<th class='text-end'>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th></tr></thead>"
                "<tbody>%s</tbody></table>") % (_("Odoo"), _("QuickBooks"), _("Difference"),
                                                _("Not shown by the differences"), Markup("").join(rows))

    def _qbo_shown(self, sales):
        """How much of the sales (or purchases) difference the document lines show."""
        return sum(SIGNS[line.qbo_entity] * (line.odoo_amount - line.qbo_amount) for line in self.line_ids
                   if line.kind == "document" and (line.qbo_entity in SALES) == sales)

    def _qbo_shown_balance(self, entity):
        return sum(line.odoo_amount - line.qbo_amount for line in self.line_ids
                   if line.kind == "partner" and line.qbo_entity == entity)

    @api.depends("line_ids.state")
    def _compute_difference_count(self):
        for check in self:
            check.difference_count = len(check.line_ids.filtered(lambda line: line.state == "open"))

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for check in self:
            if check.date_from > check.date_to:
                raise UserError(_("QuickBooks: the comparison's start date comes after its end date."))

    # === ACTIONS === #

    def action_qbo_run(self):
        """Compare (again) in the background: the job reads QuickBooks page by page; reopen to follow.

        :raise AccessError: if the user is not a QuickBooks manager of the company
        :raise UserError: if the company is not connected
        """
        self._qbo_check_access("manager", "write")
        for check in self:
            if check.company_id.sudo().qbo_state != "connected":
                raise UserError(check.company_id._qbo_not_connected_message())
        self.sudo()._qbo_start()
        return self.company_id._qbo_notification(
            _("QuickBooks: the books are being compared in the background; the differences appear here."), "info")

    def _qbo_start(self):
        self.line_ids.filtered(lambda line: line.state == "open").unlink()
        self.write({"state": "running", "stage": 0, "position": 0, "document_count": 0, "in_step_count": 0,
                    "partner_count": 0, "error": False, "qbo_sales": 0.0, "qbo_purchases": 0.0})
        self.env.ref("quickbooks_connector.ir_cron_qbo_books_check")._trigger()

    # === JOBS === #

    @api.model
    def _cron_qbo_books_check_weekly(self):
        """Compare the last month of every connected company (the weekly job)."""
        companies = self.env["res.company"].search([("qbo_realm_id", "!=", False)]).filtered(
            lambda company: company.qbo_state == "connected")
        self.create([{"company_id": company.id} for company in companies])._qbo_start()

    @api.model
    def _cron_qbo_books_check(self):
        """Run the comparisons under way, step by step, for at most ``CRON_CALL_SECONDS``."""
        deadline = time.monotonic() + CRON_CALL_SECONDS
        checks = self.search([("state", "=", "running")], order="id")
        for check in checks:
            while check.state == "running" and time.monotonic() < deadline:
                check._qbo_step()
        self.env["ir.cron"]._notify_progress(done=len(checks), remaining=self.search_count(
            [("state", "=", "running")]))

    def _qbo_run_all(self):
        """Compare now, to the end (tests, and the bench)."""
        self._qbo_start()
        for check in self:
            while check.state == "running":
                check._qbo_step()

    # === THE COMPARISON === #

    def _qbo_stages(self):
        """The stages in order: ``(method, argument)``."""
        return ([("_qbo_step_quickbooks", kind) for kind in DOCUMENT_KINDS]
                + [("_qbo_step_odoo", kind) for kind in DOCUMENT_KINDS]
                + [("_qbo_step_unsent", move_type) for move_type in ("out_invoice", "out_refund", "in_invoice",
                                                                      "in_refund")]
                + [("_qbo_step_payments_quickbooks", kind) for kind in PAYMENT_KINDS]
                + [("_qbo_step_payments_odoo", kind) for kind in PAYMENT_KINDS]
                + [("_qbo_step_expenses", None)]
                + [("_qbo_step_partners", report) for report in PARTNER_REPORTS])

    def _qbo_step(self):
        """One step: a page of one stage; the check ends after the last stage."""
        self.ensure_one()
        stages = self._qbo_stages()
        if self.stage >= len(stages):
            return self._qbo_finish()
        method, argument = stages[self.stage]
        try:
            client = self.company_id._qbo_get_client()
            with self.env.cr.savepoint():
                position = getattr(self, method)(client, argument, self.position)
        except (UserError, QboApiError) as error:
            _logger.info("QuickBooks: books check %s failed: %s", self.id, error)
            message = self.env["qbo.fault"]._qbo_explain(error, company=self.company_id) \
                if isinstance(error, QboApiError) else str(error)
            self.write({"state": "failed", "error": message})
            return False
        if position is None:
            self.write({"stage": self.stage + 1, "position": 0})
        else:
            self.position = position
        return True

    def _qbo_finish(self):
        totals = dict(self.env["account.move"]._read_group(
            [("company_id", "=", self.company_id.id), ("state", "=", "posted"), ("expense_sheet_id", "=", False),
             ("move_type", "in", ("out_invoice", "out_refund", "in_invoice", "in_refund")),
             ("invoice_date", ">=", self.date_from), ("invoice_date", "<=", self.date_to)],
            ["move_type"], ["amount_total_signed:sum"]))
        self.write({
            "state": "done", "checked_at": fields.Datetime.now(),
            "odoo_sales": (totals.get("out_invoice") or 0.0) + (totals.get("out_refund") or 0.0),
            "odoo_purchases": -(totals.get("in_invoice") or 0.0) - (totals.get("in_refund") or 0.0),
        })
        differences = self.difference_count
        body = _("%(documents)s documents and %(partners)s partners compared: %(count)s differences.",
                 documents=self.document_count, partners=self.partner_count, count=differences) if differences \
            else _("%(documents)s documents and %(partners)s partners compared: the books are in step.",
                   documents=self.document_count, partners=self.partner_count)
        self.message_post(body=body)
        if differences:
            managers = self.env.ref("quickbooks_connector.group_qbo_manager").users.filtered(
                lambda user: self.company_id in user.company_ids and not user.share)
            for user in managers:
                self.activity_schedule("mail.mail_activity_data_todo", user_id=user.id, note=body,
                                       summary=_("Review the differences with QuickBooks"))
        return False

    def _qbo_period_page(self, client, entity, start):
        """A page of QuickBooks' ``entity`` records dated in the period, from ``start`` (1-based)."""
        period = f"TxnDate >= '{self.date_from.isoformat()}' AND TxnDate <= '{self.date_to.isoformat()}'"
        return client.query(f"SELECT * FROM {entity} WHERE {period} ORDERBY Id STARTPOSITION {start} "
                            f"MAXRESULTS {QBO_PAGE}").get(entity, [])

    @api.model
    def _qbo_read_ids(self, client, entity, qbo_ids):
        """``{Id: record}`` of QuickBooks' ``entity`` records among ``qbo_ids`` (at most ``ODOO_PAGE``), in one
        query; those QuickBooks no longer holds are absent."""
        quoted = ", ".join(f"'{qbo_id}'" for qbo_id in qbo_ids if qbo_id.isdigit())
        if not quoted:
            return {}
        return {str(doc["Id"]): doc for doc in client.query(
            f"SELECT * FROM {entity} WHERE Id IN ({quoted}) MAXRESULTS {ODOO_PAGE}").get(entity, [])}

    def _qbo_unseen(self, client, entity, records, cancelled):
        """Split a page of Odoo records of the period by what became of their QuickBooks copies, which the
        QuickBooks pass did not see: deleted there (counted here, unless ``cancelled`` in Odoo too), or
        dated outside the period (to compare).

        :return: ``(records deleted in QuickBooks, [(record, its QuickBooks copy)])``
        """
        docs = self._qbo_read_ids(client, entity, records.mapped("qbo_id"))
        deleted = records.filtered(lambda record: record.qbo_id not in docs and not cancelled(record))
        self.document_count += len(deleted)
        return deleted, [(record, docs[record.qbo_id]) for record in records if record.qbo_id in docs
                         and not self.date_from.isoformat() <= docs[record.qbo_id]["TxnDate"] <= self.date_to.isoformat()]

    def _qbo_kind_domain(self, entity, move_type):
        """The Odoo documents linked to QuickBooks documents of ``entity``."""
        # Documents exported from Odoo carry no QuickBooks type: what their move type is there by default.
        of_entity = ([("qbo_imported_entity", "in", [False, entity])] if ENTITY_BY_MOVE_TYPE[move_type] == entity
                     else [("qbo_imported_entity", "=", entity)])
        return [("company_id", "=", self.company_id.id), ("move_type", "=", move_type), ("qbo_id", "!=", False),
                ("state", "in", ("posted", "cancel")), *of_entity]

    def _qbo_step_quickbooks(self, client, kind, position):
        """A page of the QuickBooks documents of the period: each compared with its Odoo document, or
        listed as held in QuickBooks only."""
        entity, move_type, _party, _balance = kind
        start = position or 1
        docs = self._qbo_period_page(client, entity, start)
        total = sum(SIGNS[entity] * self._qbo_home(doc) for doc in docs)
        self["qbo_sales" if entity in SALES else "qbo_purchases"] += float(total)
        ids = [str(doc["Id"]) for doc in docs]
        moves = {move.qbo_id: move for move in self.env["account.move"].search(
            [("company_id", "=", self.company_id.id), ("move_type", "=", move_type), ("qbo_id", "in", ids)])}
        pairs = [(moves[str(doc["Id"])], doc) for doc in docs if str(doc["Id"]) in moves]
        self._qbo_compare(kind, pairs)
        self.env["qbo.books.check.line"].create([
            self._qbo_line_values(kind, None, doc, "missing_in_odoo", [_("Held in QuickBooks only: %(total)s",
                                                                        total=self._qbo_money(doc["TotalAmt"]))])
            for doc in docs if str(doc["Id"]) not in moves and not self.env["qbo.event.processor"]._qbo_is_voided(doc)
        ])
        return start + QBO_PAGE if len(docs) == QBO_PAGE else None

    def _qbo_step_odoo(self, client, kind, position):
        """A page of the Odoo documents of the period whose QuickBooks copy the QuickBooks pass did not
        see: deleted there, or dated outside the period."""
        entity, move_type, _party, _balance = kind
        moves = self.env["account.move"].search(
            self._qbo_kind_domain(entity, move_type) + [("invoice_date", ">=", self.date_from),
                                                        ("invoice_date", "<=", self.date_to), ("id", ">", position)],
            order="id", limit=ODOO_PAGE)
        if not moves:
            return None
        deleted, pairs = self._qbo_unseen(client, entity, moves, lambda move: move.state == "cancel")
        self.env["qbo.books.check.line"].create([self._qbo_line_values(
            kind, move, None, "deleted", [_("Deleted in QuickBooks; posted in Odoo: %(total)s",
                                            total=self._qbo_money(move.amount_total, move.currency_id))])
            for move in deleted])
        self._qbo_compare(kind, pairs)
        return moves[-1].id

    def _qbo_step_unsent(self, client, move_type, position):
        """A page of the documents posted in Odoo in the period that QuickBooks does not hold."""
        moves = self.env["account.move"].search([
            ("company_id", "=", self.company_id.id), ("move_type", "=", move_type), ("state", "=", "posted"),
            ("qbo_id", "=", False), ("expense_sheet_id", "=", False), ("invoice_date", ">=", self.date_from),
            ("invoice_date", "<=", self.date_to), ("id", ">", position)], order="id", limit=ODOO_PAGE)
        if not moves:
            return None
        kind = next(kind for kind in DOCUMENT_KINDS if kind[1] == move_type)
        self.env["qbo.books.check.line"].create([self._qbo_line_values(
            kind, move, None, "missing_in_qbo", [_("Posted in Odoo only: %(total)s",
                                                   total=self._qbo_money(move.amount_total, move.currency_id))])
            for move in moves])
        return moves[-1].id

    def _qbo_step_payments_quickbooks(self, client, kind, position):
        """A page of the QuickBooks payments of the period: each compared with its Odoo payment, or listed
        as held in QuickBooks only."""
        entity, _party = kind
        start = position or 1
        docs = self._qbo_period_page(client, entity, start)
        payments = {payment.qbo_id: payment for payment in self.env["account.payment"].search([
            ("company_id", "=", self.company_id.id), ("qbo_entity", "=", entity),
            ("qbo_id", "in", [str(doc["Id"]) for doc in docs])])}
        self._qbo_compare_payments(kind, [(payments[str(doc["Id"])], doc) for doc in docs
                                          if str(doc["Id"]) in payments])
        self.env["qbo.books.check.line"].create([
            self._qbo_payment_values(entity, None, doc, "missing_in_odoo", [
                _("Held in QuickBooks only: %(total)s", total=self._qbo_money(doc["TotalAmt"]))])
            for doc in docs if str(doc["Id"]) not in payments and not self.env["qbo.event.processor"]._qbo_is_voided(doc)
        ])
        return start + QBO_PAGE if len(docs) == QBO_PAGE else None

    def _qbo_step_payments_odoo(self, client, kind, position):
        """A page of the Odoo payments of the period whose QuickBooks copy the QuickBooks pass did not see."""
        entity, _party = kind
        payments = self.env["account.payment"].search([
            ("company_id", "=", self.company_id.id), ("qbo_entity", "=", entity), ("qbo_id", "!=", False),
            ("state", "!=", "draft"), ("date", ">=", self.date_from), ("date", "<=", self.date_to),
            ("id", ">", position)], order="id", limit=ODOO_PAGE)
        if not payments:
            return None
        deleted, pairs = self._qbo_unseen(client, entity, payments, lambda payment: payment.state == "canceled")
        self.env["qbo.books.check.line"].create([self._qbo_payment_values(entity, payment, None, "deleted", [
            _("Deleted in QuickBooks; in Odoo: %(total)s", total=self._qbo_money(payment.amount, payment.currency_id))])
            for payment in deleted])
        self._qbo_compare_payments(kind, pairs)
        return payments[-1].id

    def _qbo_compare_payments(self, kind, pairs):
        """Compare linked payments: amount, date, partner, voided or cancelled."""
        entity, party_field = kind
        parties = self._qbo_parties(party_field, pairs)
        is_voided = self.env["qbo.event.processor"]._qbo_is_voided
        values = []
        for payment, doc in pairs:
            self.document_count += 1
            currency = payment.currency_id
            cancelled, voided = payment.state == "canceled", is_voided(doc)
            found = []
            if voided != cancelled:
                found.append(("voided" if voided else "cancelled", _("Voided in QuickBooks; in Odoo: %(total)s",
                              total=self._qbo_money(payment.amount, currency)) if voided else _(
                    "Cancelled in Odoo; in QuickBooks: %(total)s", total=self._qbo_money(doc["TotalAmt"], currency))))
            elif not voided:
                if cents(payment.amount) != cents(doc.get("TotalAmt") or 0):
                    found.append(("amount", _("Amount: %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                                              odoo=self._qbo_money(payment.amount, currency),
                                              qbo=self._qbo_money(doc.get("TotalAmt"), currency))))
                found += self._qbo_date_and_partner(payment.date, payment.partner_id, doc, party_field, parties)
            if found:
                values.append(self._qbo_payment_values(entity, payment, doc, found[0][0],
                                                       [text for _issue, text in found]))
            else:
                self.in_step_count += 1
        self.env["qbo.books.check.line"].create(values)

    def _qbo_payment_values(self, entity, payment, doc, issue, details):
        return {
            "check_id": self.id, "kind": "payment", "issue": issue, "qbo_entity": entity,
            "qbo_id": str(doc["Id"]) if doc else payment.qbo_id,
            "qbo_name": doc and (doc.get("PaymentRefNum") or doc.get("DocNumber") or doc["Id"]) or False,
            "payment_id": payment.id if payment else False,
            "partner_id": payment.partner_id.id if payment else False,
            "odoo_amount": abs(payment.amount_company_currency_signed) if payment and payment.state != "canceled"
            else 0.0,
            "qbo_amount": float(self._qbo_home(doc)) if doc else 0.0,
            "detail": "\n".join(details),
        }

    def _qbo_step_expenses(self, client, _argument, position):
        """A page of the QuickBooks purchases and bills Odoo expenses of the period went to: the expenses of
        each (one report may make one QuickBooks document) against its total."""
        groups = self.env["hr.expense"]._read_group(
            [("company_id", "=", self.company_id.id), ("qbo_id", "!=", False), ("date", ">=", self.date_from),
             ("date", "<=", self.date_to)],
            ["qbo_entity", "qbo_id"], ["total_amount:sum", "id:recordset"], order="qbo_entity, qbo_id",
            offset=position, limit=ODOO_PAGE)
        if not groups:
            return None
        docs = {}
        for entity in {entity for entity, _qbo_id, _total, _expenses in groups}:
            found = self._qbo_read_ids(client, entity, [qbo_id for group_entity, qbo_id, _total, _expenses in groups
                                                        if group_entity == entity])
            docs.update({(entity, qbo_id): doc for qbo_id, doc in found.items()})
        values = []
        for entity, qbo_id, total, expenses in groups:
            self.document_count += 1
            doc = docs.get((entity, qbo_id))
            odoo = cents(total or 0)
            qbo = self._qbo_home(doc) if doc else cents(0)
            if doc is not None and odoo == qbo:
                self.in_step_count += 1
                continue
            detail = _("Total: %(odoo)s in Odoo (%(count)s expenses), %(qbo)s in QuickBooks",
                       odoo=self._qbo_money(odoo), count=len(expenses), qbo=self._qbo_money(qbo)) if doc else \
                _("Deleted in QuickBooks; %(count)s expenses in Odoo: %(odoo)s", count=len(expenses),
                  odoo=self._qbo_money(odoo))
            values.append({
                "check_id": self.id, "kind": "expense", "issue": "amount" if doc else "deleted", "qbo_entity": entity,
                "qbo_id": qbo_id, "qbo_name": doc and (doc.get("DocNumber") or doc["Id"]) or qbo_id,
                "expense_id": expenses[:1].id, "partner_id": False, "odoo_amount": float(odoo), "qbo_amount": float(qbo),
                "date": expenses[:1].date, "detail": detail,
            })
        self.env["qbo.books.check.line"].create(values)
        return position + len(groups)

    def _qbo_step_partners(self, client, report, position):
        """Each linked partner's open balance at the end of the period against QuickBooks' report."""
        name, entity, account_type, sign = report
        answer = client.report(name, report_date=self.date_to.isoformat())
        remote = {str(row["ColData"][0]["id"]): (row["ColData"][0]["value"], cents(row["ColData"][1]["value"]))
                  for row in (answer.get("Rows") or {}).get("Row", []) if row.get("ColData")}
        links = self.env["qbo.mapping"].search([("company_id", "=", self.company_id.id), ("qbo_entity", "=", entity)])
        partners = {link.qbo_id: self.env["res.partner"].browse(link.res_id) for link in links}
        # Every partner's balance (their sum is the period's receivable or payable), in one query.
        balances = dict(self.env["account.move.line"]._read_group(
            [("company_id", "=", self.company_id.id), ("parent_state", "=", "posted"),
             ("account_id.account_type", "=", account_type), ("date", "<=", self.date_to)],
            ["partner_id"], ["balance:sum"]))
        values = []
        for qbo_id, partner in partners.items():
            odoo = cents(sign * (balances.get(partner) or 0))
            qbo = remote.get(qbo_id, (None, cents(0)))[1]
            if odoo != qbo:
                values.append(self._qbo_partner_values(entity, qbo_id, partner, odoo, qbo))
        for qbo_id, (qbo_name, qbo) in remote.items():
            if qbo_id not in partners:
                values.append(self._qbo_partner_values(entity, qbo_id, None, cents(0), qbo, qbo_name))
        self.env["qbo.books.check.line"].create(values)
        self.partner_count += len(partners)
        grand = next((row["Summary"]["ColData"][1]["value"] for row in (answer.get("Rows") or {}).get("Row", [])
                      if row.get("group") == "GrandTotal"), 0)
        side = "receivable" if entity == "Customer" else "payable"
        self.write({f"odoo_{side}": sign * sum(balance or 0.0 for balance in balances.values()),
                    f"qbo_{side}": float(cents(grand or 0))})
        return None

    def _qbo_compare(self, kind, pairs):
        """Compare linked documents; a line per document that differs, with every difference and both figures."""
        entity, _move_type, party_field, has_balance = kind
        parties = self._qbo_parties(party_field, pairs)
        is_voided = self.env["qbo.event.processor"]._qbo_is_voided
        values = []
        for move, doc in pairs:
            self.document_count += 1
            currency = move.currency_id
            voided = is_voided(doc)
            if voided or move.state == "cancel":
                if voided and move.state != "cancel":
                    values.append(self._qbo_line_values(kind, move, doc, "voided", [
                        _("Voided in QuickBooks; posted in Odoo: %(total)s",
                          total=self._qbo_money(move.amount_total, currency))]))
                elif move.state == "cancel" and not voided:
                    values.append(self._qbo_line_values(kind, move, doc, "cancelled", [
                        _("Cancelled in Odoo; open in QuickBooks: %(total)s",
                          total=self._qbo_money(doc["TotalAmt"], currency))]))
                else:
                    self.in_step_count += 1
                continue
            found = []
            qbo_tax = (doc.get("TxnTaxDetail") or {}).get("TotalTax") or 0
            figures = [("amount", _("Total"), move.amount_total, doc.get("TotalAmt") or 0),
                       ("tax", _("Tax"), move.amount_tax, qbo_tax)]
            if has_balance:
                figures.append(("balance", _("Open balance"), move.amount_residual, doc.get("Balance") or 0))
            for issue, label, odoo, qbo in figures:
                if cents(odoo) != cents(qbo):
                    found.append((issue, _("%(label)s: %(odoo)s in Odoo, %(qbo)s in QuickBooks", label=label,
                                           odoo=self._qbo_money(odoo, currency), qbo=self._qbo_money(qbo, currency))))
            found += self._qbo_date_and_partner(move.invoice_date, move.partner_id, doc, party_field, parties)
            if found:
                values.append(self._qbo_line_values(kind, move, doc, found[0][0], [text for _issue, text in found]))
            else:
                self.in_step_count += 1
        self.env["qbo.books.check.line"].create(values)

    def _qbo_parties(self, party_field, pairs):
        """``{QuickBooks Id: Odoo partner}`` of the customers (or vendors) the QuickBooks side of ``pairs`` names."""
        return self.env["qbo.mapping"]._records_for(
            self.company_id, "Customer" if party_field == "CustomerRef" else "Vendor",
            {str(doc[party_field]["value"]) for _record, doc in pairs if doc.get(party_field)})

    def _qbo_date_and_partner(self, odoo_date, partner, doc, party_field, parties):
        """``[(issue, text)]`` of a date or partner that differs between an Odoo record and its QuickBooks copy."""
        found = []
        if str(odoo_date) != doc.get("TxnDate"):
            found.append(("date", _("Date: %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                                    odoo=format_date(self.env, odoo_date),
                                    qbo=format_date(self.env, fields.Date.to_date(doc["TxnDate"])))))
        if parties.get(str((doc.get(party_field) or {}).get("value"))) not in (partner, partner.commercial_partner_id):
            found.append(("partner", _("Partner: %(odoo)s in Odoo, %(qbo)s in QuickBooks", odoo=partner.display_name,
                                       qbo=(doc.get(party_field) or {}).get("name") or _("another one"))))
        return found

    def _qbo_line_values(self, kind, move, doc, issue, details):
        """A document's difference; its amounts are the totals of both sides in the company's currency."""
        entity = kind[0]
        return {
            "check_id": self.id, "kind": "document", "issue": issue, "qbo_entity": entity,
            "qbo_id": str(doc["Id"]) if doc else move.qbo_id or False,
            "qbo_name": doc and (doc.get("DocNumber") or doc["Id"]) or False,
            "move_id": move.id if move else False,
            "partner_id": move.partner_id.id if move else False,
            "date": move.invoice_date if move else doc.get("TxnDate"),
            "odoo_amount": abs(move.amount_total_signed) if move and move.state == "posted" else 0.0,
            "qbo_amount": float(self._qbo_home(doc)) if doc else 0.0,
            "detail": "\n".join(details),
        }

    def _qbo_partner_values(self, entity, qbo_id, partner, odoo, qbo, qbo_name=None):
        label = _("Customer") if entity == "Customer" else _("Vendor")
        if partner:
            detail = _("%(label)s open balance: %(odoo)s in Odoo, %(qbo)s in QuickBooks", label=label,
                       odoo=self._qbo_money(odoo), qbo=self._qbo_money(qbo))
        else:
            detail = _("%(label)s %(name)s is linked to no Odoo contact; open balance in QuickBooks: %(qbo)s",
                       label=label, name=qbo_name or qbo_id, qbo=self._qbo_money(qbo))
        return {"check_id": self.id, "kind": "partner", "issue": "partner_balance", "qbo_entity": entity,
                "qbo_id": qbo_id, "qbo_name": qbo_name or (partner and partner.display_name) or qbo_id,
                "partner_id": partner.id if partner else False, "odoo_amount": float(odoo), "qbo_amount": float(qbo),
                "detail": detail}

    @api.model
    def _qbo_home(self, doc):
        """A QuickBooks document's total in the home currency."""
        if doc.get("HomeTotalAmt") is not None:
            return cents(doc["HomeTotalAmt"])
        return cents(cents(doc.get("TotalAmt") or 0) * Decimal(str(doc.get("ExchangeRate") or 1)))

    def _qbo_money(self, amount, currency=None):
        return format_amount(self.env, float(amount or 0), currency or self.company_id.currency_id)

    @api.model
    def _qbo_last_check(self, company):
        """The company's last finished comparison (among those this environment may read)."""
        return self.search([("company_id", "=", company.id), ("state", "=", "done")],
                           order="checked_at desc, id desc", limit=1)

    @api.model
    def _qbo_status(self, company):
        """What the company's QuickBooks tab says: in step as of the last comparison, or its differences."""
        check = self.sudo()._qbo_last_check(company)
        if not check:
            return _("Never compared")
        day = format_date(self.env, check.checked_at.date() if check.checked_at else date.today())
        if not check.difference_count:
            return _("In step as of %s", day)
        return _("%(count)s differences (compared on %(day)s)", count=check.difference_count, day=day)
