import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..qbo_client import QboApiError
from ..qbo_master_data import KINDS, SyncSummary
from ..qbo_payload.account_move import APP_PAGES

_logger = logging.getLogger(__name__)

# Successful exchanges are kept this many days; failed ones until someone deletes them.
SUCCESS_RETENTION_DAYS = 90
MESSAGE_MAX = 2000
# The action that sends a record of each kind to QuickBooks again (it checks who may).
RETRY_ACTIONS = {"account.move": "action_qbo_retry", "hr.expense": "action_qbo_export",
                 "account.payment": "action_qbo_retry"}
# What the log holds, by Odoo model first, else by QuickBooks entity.
RECORD_KINDS = [("document", "Invoices and Bills"), ("payment", "Payments"), ("expense", "Expenses"),
                ("master", "Master Data"), ("other", "Company and Catch-up")]
KIND_BY_MODEL = {"account.move": "document", "account.payment": "payment", "hr.expense": "expense"}
KIND_BY_ENTITY = {"Invoice": "document", "CreditMemo": "document", "Bill": "document", "VendorCredit": "document",
                  "Payment": "payment", "BillPayment": "payment", "Purchase": "expense", "Customer": "master",
                  "Vendor": "master", "Employee": "master", "Item": "master", "Account": "master", "Term": "master",
                  "PaymentMethod": "master", "TaxCode": "master"}
STATUSES = [("success", "Success"), ("retry", "Will be retried"), ("error", "Error")]


class QboSyncLog(models.Model):
    """One exchange with QuickBooks Online: what, for which record, how it went and how long it took.

    Rows hold ids, statuses and messages only: never a token nor a QuickBooks payload. A failed
    exchange is marked resolved when a later one of the same record succeeds (set as that one is
    logged: no scan of the table).
    """

    _name = "qbo.sync.log"
    _description = "QuickBooks Sync Log"
    _order = "id desc"
    _rec_name = "summary"

    company_id = fields.Many2one("res.company", string="Company", required=True, index=True, ondelete="cascade",
                                 default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user, ondelete="set null")
    direction = fields.Selection(
        [("export", "To QuickBooks"), ("import", "From QuickBooks")],
        string="Direction", required=True, default="export",
    )
    operation = fields.Selection(
        [("create", "Create"), ("update", "Update"), ("void", "Void"), ("delete", "Delete"), ("send", "Send"),
         ("read", "Read")],
        string="Operation", required=True,
    )
    record_kind = fields.Selection(RECORD_KINDS, string="Kind", compute="_compute_record_kind", store=True)
    qbo_entity = fields.Char(string="QuickBooks Entity", required=True)
    qbo_id = fields.Char(string="QuickBooks ID", index=True)
    qbo_doc_number = fields.Char(string="QuickBooks Number", help="The document's number (or a record's name).")
    qbo_document = fields.Char(string="QuickBooks Document", compute="_compute_qbo_document")
    qbo_url = fields.Char(string="Open in QuickBooks", compute="_compute_qbo_document")
    res_model = fields.Char(string="Odoo Model", index=True)
    res_id = fields.Many2oneReference(string="Odoo Record", model_field="res_model", index=True)
    res_name = fields.Char(string="Odoo Record Name", help="The record's name when the exchange took place.")
    status = fields.Selection(STATUSES, string="Outcome", required=True, index=True)
    resolved_at = fields.Datetime(string="Resolved on", readonly=True,
                                  help="A later exchange of the same record or document succeeded.")
    state = fields.Selection([*STATUSES, ("resolved", "Resolved")], string="Status", compute="_compute_state")
    message = fields.Text(string="Message")
    fault_code = fields.Char(string="Intuit Error Code")
    fault_detail = fields.Text(string="Intuit's Answer", help="Intuit's message, as given (for Intuit support).")
    intuit_tid = fields.Char(string="Intuit Transaction ID", help="intuit_tid: quote it to Intuit support.")
    requestid = fields.Char(string="Request ID", help="Idempotency key sent with the call: a retry replays it.")
    duration = fields.Float(string="Duration (s)", digits=(16, 3))
    summary = fields.Char(string="Summary", compute="_compute_summary")

    def init(self):
        # Resolving looks up the unresolved failures of one record (or QuickBooks document): few rows.
        self.env.cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS qbo_sync_log_unresolved_record_idx ON qbo_sync_log "
            "(company_id, res_model, res_id) WHERE status != 'success' AND resolved_at IS NULL"))
        self.env.cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS qbo_sync_log_unresolved_document_idx ON qbo_sync_log "
            "(company_id, qbo_entity, qbo_id) WHERE status != 'success' AND resolved_at IS NULL"))

    @api.depends("res_model", "qbo_entity")
    def _compute_record_kind(self):
        for log in self:
            log.record_kind = KIND_BY_MODEL.get(log.res_model) or (
                "master" if log.res_model else KIND_BY_ENTITY.get(log.qbo_entity, "other"))

    @api.depends("qbo_entity", "qbo_id", "qbo_doc_number", "company_id")
    def _compute_qbo_document(self):
        fault = self.env["qbo.fault"]
        for log in self:
            label = fault._qbo_entity_label(log.qbo_entity or "", title=True)
            number = log.qbo_doc_number or log.qbo_id
            log.qbo_document = f"{label} {number}" if number else label
            # The QuickBooks web app opens the transactions whose page is known, by their Id.
            log.qbo_url = log.qbo_id and log.qbo_entity in APP_PAGES and \
                log.company_id.sudo()._qbo_document_url(log.qbo_entity, log.qbo_id)

    @api.depends("status", "resolved_at")
    def _compute_state(self):
        for log in self:
            log.state = "resolved" if log.resolved_at and log.status != "success" else log.status

    @api.depends("operation", "qbo_document", "res_name")
    def _compute_summary(self):
        operations = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            log.summary = " ".join(filter(None, (operations.get(log.operation), log.qbo_document, log.res_name)))

    # === ACTION METHODS === #

    def action_retry(self):
        """Exchange again what these failed exchanges were about, each through the engine that did it:
        invoices and bills, payments and expenses are exported again (their own Retry), master data
        created again, QuickBooks records read again (a change reported by QuickBooks processed again).

        :return: one notification telling what was done for each kind
        :raise UserError: if none of the exchanges failed, or all are resolved already
        """
        self._qbo_check_access("manager")
        failed = self.filtered(lambda log: log.status != "success" and not log.resolved_at)
        if not failed:
            raise UserError(_("QuickBooks: these exchanges did not fail, or a later one succeeded; there is nothing "
                              "to retry."))
        outcomes = []
        exported = failed.filtered(lambda log: log.direction == "export" and log.res_model and log.res_id)
        for res_model, logs in exported.grouped("res_model").items():
            outcomes.append(self._qbo_retry_export(res_model, logs))
        imported = failed.filtered(lambda log: log.direction == "import")
        for (company, entity), logs in imported.grouped(lambda log: (log.company_id, log.qbo_entity)).items():
            outcomes.append(self._qbo_retry_import(company, entity, logs))
        outcomes = [outcome for outcome in outcomes if outcome]
        if not outcomes:
            raise UserError(_("QuickBooks: what these exchanges were about no longer exists, or cannot be sent "
                              "again from here."))
        types = [notification_type for _message, notification_type in outcomes]
        worst = next((kind for kind in ("danger", "warning", "info") if kind in types), "success")
        return self.env["res.company"]._qbo_notification(" ".join(message for message, _type in outcomes), worst)

    def action_open_record(self):
        """Open the Odoo record of this exchange."""
        self.ensure_one()
        self._qbo_check_access("user")
        if not self.res_model or not self.res_id:
            raise UserError(_("QuickBooks: this exchange concerns no Odoo record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }

    def action_open_qbo(self):
        """Open the QuickBooks document of this exchange in QuickBooks."""
        self.ensure_one()
        self._qbo_check_access("user")
        if not self.qbo_url:
            raise UserError(_("QuickBooks: this exchange names no QuickBooks document that can be opened."))
        return {"type": "ir.actions.act_url", "url": self.qbo_url, "target": "new"}

    # === RETRIES === #

    def _qbo_retry_export(self, res_model, logs):
        """Send the records of these failed exports again; return ``(message, type)`` or None."""
        records = self.env[res_model].browse(logs.mapped("res_id")).exists()
        if not records:
            return None
        method = RETRY_ACTIONS.get(res_model)
        sent = logs.filtered(lambda log: log.operation == "send")
        if res_model == "account.move" and sent and sent == logs:
            method = "action_qbo_send"
        if method:
            action = getattr(records, method)()
            return action["params"]["message"], action["params"]["type"]
        return self._qbo_retry_master_data(records, logs)

    def _qbo_retry_master_data(self, records, logs):
        """Create (or link) again in QuickBooks the master data these failed exports were about."""
        records._qbo_check_access("manager")
        kinds = {(spec.model, spec.entity): kind for kind, spec in KINDS.items()}
        sync = self.env["qbo.master.data.sync"].sudo()
        summary = SyncSummary()
        for (company, entity), group in logs.grouped(lambda log: (log.company_id, log.qbo_entity)).items():
            kind = kinds.get((records._name, entity))
            if kind:
                sync._qbo_export(company.sudo(), kind, records.browse(group.mapped("res_id")).exists().sudo(),
                                 summary)
        return sync._qbo_summary_message(summary), "warning" if summary.errors else "success"

    def _qbo_retry_import(self, company, entity, logs):
        """Read again what these failed imports were about: the changes QuickBooks reported that failed,
        else the records by Id through their import, else the whole stream from its cursor."""
        company._qbo_check_access("manager")
        company = company.sudo()
        qbo_ids = [qbo_id for qbo_id in dict.fromkeys(logs.mapped("qbo_id")) if qbo_id]
        events = self.env["qbo.webhook.event"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "=", entity), ("qbo_id", "in", qbo_ids),
            ("state", "in", ("error", "pending"))]) if qbo_ids else self.env["qbo.webhook.event"]
        if events:
            events.write({"state": "pending", "error": False})
            self.env["qbo.event.processor"].sudo()._qbo_process(company)
            failed = events.filtered(lambda event: event.state in ("error", "pending"))
            message = _("%s change(s) from QuickBooks processed again.", len(events))
            if failed:
                reasons = dict.fromkeys(event.error or _("still to process") for event in failed)
                message = _("%(message)s Not done: %(reasons)s", message=message, reasons="; ".join(reasons))
            return message, "warning" if failed else "success"
        pull = self.env["qbo.pull.engine"]._qbo_adapter(entity)
        if pull is None:
            return None
        try:
            report = pull.sudo()._qbo_pull_again(company, qbo_ids)
        except QboApiError as error:
            raise UserError(self.env["qbo.fault"]._qbo_explain(error, company=company, entity=entity)) from None
        return report.message(), report.notification_type()

    # === BUSINESS METHODS === #

    @api.model
    def _qbo_log(self, entries):
        """Record exchanges (as superuser: who may export may leave a trace) and log them in short;
        the failures a success follows are marked resolved.

        :param list entries: dicts of field values (``company_id``, ``operation``, ``qbo_entity``,
            ``status`` required); ``message`` is cut to a reasonable length; an ``error`` (the
            ``QboApiError``) leaves Intuit's code, answer and intuit_tid for support
        :return: the new logs
        """
        for entry in entries:
            error = entry.pop("error", None)
            if isinstance(error, QboApiError):
                entry.update(fault_code=error.code or (error.status and str(error.status)) or False,
                             fault_detail=str(error)[:MESSAGE_MAX], intuit_tid=error.intuit_tid or False)
            if entry.get("message"):
                entry["message"] = str(entry["message"])[:MESSAGE_MAX]
            entry.setdefault("user_id", self.env.uid)
            _logger.log(logging.DEBUG if entry["status"] == "success" else logging.INFO,
                        "QuickBooks %s %s %s (%s %s): %s", entry["operation"], entry["qbo_entity"],
                        entry.get("qbo_id") or "-", entry.get("res_model") or "-", entry.get("res_id") or "-",
                        entry["status"])
        logs = self.sudo().create(entries)
        logs.filtered(lambda log: log.status == "success")._qbo_resolve_earlier()
        return logs

    def _qbo_resolve_earlier(self):
        """Mark resolved the earlier failures these successes make good: same company and direction,
        same Odoo record or same QuickBooks document, and an email only by an email (one UPDATE)."""
        keys = [SQL("(%s::int, %s::int, %s::varchar, %s::bool, %s::varchar, %s::int, %s::varchar, %s::varchar)",
                    log.id, log.company_id.id, log.direction, log.operation == "send", log.res_model or None,
                    log.res_id or None, log.qbo_entity, log.qbo_id or None)
                for log in self if (log.res_model and log.res_id) or log.qbo_id]
        if not keys:
            return
        self.env.cr.execute(SQL(
            """UPDATE qbo_sync_log AS log SET resolved_at = %s
                 FROM (VALUES %s) AS ok(id, company_id, direction, send, res_model, res_id, qbo_entity, qbo_id)
                WHERE log.status != 'success' AND log.resolved_at IS NULL AND log.id < ok.id
                  AND log.company_id = ok.company_id AND log.direction = ok.direction
                  AND (log.operation = 'send') = ok.send
                  AND ((log.res_model = ok.res_model AND log.res_id = ok.res_id)
                       OR (log.qbo_entity = ok.qbo_entity AND log.qbo_id = ok.qbo_id))""",
            self.env.cr.now(), SQL(", ").join(keys)))
        if self.env.cr.rowcount:
            self.invalidate_model(["resolved_at"])

    @api.model
    def _qbo_resolve_reads(self, company, entity):
        """A read of a whole stream went through: its earlier failed reads are resolved."""
        self.env.cr.execute(SQL(
            """UPDATE qbo_sync_log SET resolved_at = %s
                WHERE company_id = %s AND qbo_entity = %s AND qbo_id IS NULL AND direction = 'import'
                  AND operation = 'read' AND status != 'success' AND resolved_at IS NULL""",
            self.env.cr.now(), company.id, entity))
        if self.env.cr.rowcount:
            self.invalidate_model(["resolved_at"])

    @api.model
    def _qbo_last_success(self, company):
        """The company's last successful exchange with QuickBooks (among the logs this environment may read)."""
        return self.search([("company_id", "=", company.id), ("status", "=", "success")], order="id desc", limit=1)

    @api.autovacuum
    def _gc_qbo_sync_log(self):
        """Forget successful exchanges, and failures resolved since, older than ``SUCCESS_RETENTION_DAYS``."""
        limit = fields.Datetime.now() - timedelta(days=SUCCESS_RETENTION_DAYS)
        self.sudo().search(["|", ("status", "=", "success"), ("resolved_at", "!=", False),
                            ("create_date", "<", limit)]).unlink()
