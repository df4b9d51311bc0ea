import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import CDC_WINDOW, CURSOR_OVERLAP, QUERY_PAGE_SIZE
from ..qbo_client import QboApiError, parse_qbo_time, query_time
from ..qbo_payload.account_move import PayloadError
from .qbo_export_engine import SyncReport

_logger = logging.getLogger(__name__)

# Ids read again per run, at most (what failed earlier, what waits for a recheck).
RETRY_BATCH_SIZE = 50
# Ids per query when records are read by Id.
READ_CHUNK = 100
# Errors of one record: reported, the record read again later, the others go on.
RECORD_ERRORS = (UserError, ValidationError, AccessError, PayloadError)
# Records handled when the sync log's Retry reads a whole stream again (the job does the rest).
RETRY_STREAM_LIMIT = 500
# When QuickBooks is busy or down, the job tries the company again this much later.
BUSY_RETRY_DELAY = timedelta(minutes=5)


class PullRun:
    """One pull of one company's stream: the client, the cursor, what was seen, what to record."""

    def __init__(self, company, cursor, client, report, limit):
        self.company = company
        self.cursor = cursor
        self.client = client
        self.report = report
        self.limit = limit
        self.read_until = cursor.read_until  # as the previous runs left it
        self.since = cursor.read_until and cursor.read_until - CURSOR_OVERLAP
        self.retry_ids = [str(qbo_id) for qbo_id in cursor.retry_ids or []]
        self.server_time = None  # QuickBooks' clock at the first answer
        self.seen = set()  # QuickBooks ids handled in this run
        self.logs = []
        self.notes = {}  # record -> Markup


class QboPullEngine(models.AbstractModel):
    """Reads what changed in QuickBooks since a cursor, and hands each record to an adapter.

    One engine for every stream (customer payments, bill payments, expenses, change data capture):
    the cursor of the company's stream (``qbo.sync.cursor``) is locked first, before any call, so
    a run that is busy elsewhere is reported as such; the read starts a little before the cursor
    (``CURSOR_OVERLAP``: changes committed in QuickBooks while the last read ran) and goes page by
    page, oldest change first, within a bounded batch; each record is handled in a savepoint, and
    one that fails is reported, kept in the retry list and read again by Id by the next runs;
    once the read is complete, deletions come from change data capture and the cursor moves to
    QuickBooks' own clock. The cron handles one company per call (its own transaction), the least
    recently served first, so no company waits behind or fails with another.

    An adapter inherits this model and sets ``_qbo_stream`` and ``_qbo_entity``; it implements
    ``_qbo_pull_one`` and may override the hooks below.
    """

    _name = "qbo.pull.engine"
    _description = "QuickBooks Incremental Pull"

    _qbo_stream = None  # qbo.sync.cursor stream
    _qbo_entity = None  # the QuickBooks entity read

    # === ENTRY POINTS === #

    @api.model
    def _qbo_pull(self, company, limit, report=None):
        """Read what changed since the cursor (at most ``limit`` records handled) and move the cursor.

        :param report: the report to add to (a new one by default)
        :return: the report
        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read (what was handled until then is kept)
        """
        report = report if report is not None else self._qbo_new_report()
        cursor = self.env["qbo.sync.cursor"]._qbo_acquire(company, self._qbo_stream)
        if not cursor:
            report.busy.append(company.name)
            return report
        cursor.last_run_at = fields.Datetime.now()
        run = PullRun(company, cursor, company._qbo_get_client(), report, limit)
        try:
            self._qbo_pull_run(run)
        finally:
            self._qbo_pull_flush(run)
        self.env["qbo.sync.log"]._qbo_resolve_reads(company, self._qbo_entity)
        return report

    @api.model
    def _qbo_pull_now(self, company, docs):
        """Handle these QuickBooks records now (a webhook's change), under the stream's lock; the
        cursor does not move.

        :return: the report
        :raise UserError: if another run of the stream holds it
        """
        report = self._qbo_new_report()
        cursor = self.env["qbo.sync.cursor"]._qbo_acquire(company, self._qbo_stream)
        if not cursor:
            raise UserError(_("QuickBooks: %s is being synchronized; try again later.", company.name))
        run = PullRun(company, cursor, company._qbo_get_client(), report, len(docs))
        try:
            self._qbo_pull_docs(run, docs)
        finally:
            self._qbo_pull_flush(run)
        return report

    @api.model
    def _qbo_pull_again(self, company, qbo_ids=()):
        """Read again what failed (the sync log's Retry): these QuickBooks records now, by Id, or the
        stream from its cursor when no record is named.

        :return: the report
        :raise UserError: if the company is not connected or the stream is busy
        :raise QboApiError: if QuickBooks cannot be read
        """
        if not qbo_ids:
            return self._qbo_pull(company, RETRY_STREAM_LIMIT)
        docs = self._qbo_read_ids(company._qbo_get_client(), self._qbo_entity, qbo_ids)
        if not docs:
            raise UserError(_("QuickBooks: %(entity)s %(ids)s no longer exists in QuickBooks; there is nothing to "
                              "read again.", entity=self.env["qbo.fault"]._qbo_entity_label(self._qbo_entity),
                              ids=", ".join(qbo_ids)))
        return self._qbo_pull_now(company, docs)

    @api.model
    def _qbo_adapter(self, entity):
        """The import of QuickBooks records of ``entity`` (an adapter of this engine), or None."""
        for name in self.env.registry.descendants([self._name], "_inherit") - {self._name}:
            if self.env[name]._qbo_entity == entity:
                return self.env[name]
        return None

    @api.model
    def _qbo_cron_pull(self, limit):
        """Pull the stream of the connected company served least recently, one company per call,
        and tell the runner how much is left (it calls again, committing in between)."""
        report, left = self._qbo_cron_pull_step(limit)
        self.env["ir.cron"]._notify_progress(done=max(report.work, 1), remaining=report.remaining + left)
        return report

    @api.model
    def _qbo_cron_pull_step(self, limit):
        """Pull the stream of the due company served least recently (a failure is logged, not raised).

        :return: ``(report, how many companies are still due)``
        """
        report = self._qbo_new_report()
        for company in self._qbo_due_companies():
            try:
                self._qbo_pull(company, limit, report)
            except (UserError, QboApiError) as error:
                _logger.info("QuickBooks: %s pull of company %s failed: %s", self._qbo_stream, company.id, error)
                self._qbo_log_failure(company, error)
            if company.name not in report.busy:
                break
        return report, len(self._qbo_due_companies())

    # === THE RUN === #

    @api.model
    def _qbo_pull_run(self, run):
        # Taken off the list before they are read: those that fail again go back on it.
        retry, run.retry_ids = run.retry_ids[:RETRY_BATCH_SIZE], run.retry_ids[RETRY_BATCH_SIZE:]
        self._qbo_pull_ids(run, retry + self._qbo_pull_recheck_ids(run))
        stop = None
        for docs in self._qbo_pull_pages(run):
            stop = self._qbo_pull_docs(run, docs)
            if stop:
                break
        if stop:
            # The batch is full: the next call reads again from the first record not handled.
            run.cursor.write({"read_until": max(stop, run.cursor.read_until or stop), "more": True})
            run.report.remaining += max(self._qbo_pull_count(run, stop), 1)
            return
        if run.since:
            self._qbo_pull_deletions(run)
        run.cursor.write({"read_until": run.server_time, "more": False})

    @api.model
    def _qbo_pull_pages(self, run):
        """Yield the changed records page by page, oldest change first (``run.server_time`` is set)."""
        where = [*self._qbo_pull_conditions(run)]
        if run.since:
            where.append(f"MetaData.LastUpdatedTime > '{query_time(run.since)}'")
        statement = f"SELECT * FROM {self._qbo_entity}"
        if where:
            statement += " WHERE " + " AND ".join(where)
        start = 1
        while True:
            answer = run.client.query_answer(f"{statement} ORDERBY MetaData.LastUpdatedTime "
                                             f"STARTPOSITION {start} MAXRESULTS {QUERY_PAGE_SIZE}")
            run.server_time = run.server_time or parse_qbo_time(answer["time"])
            docs = (answer.get("QueryResponse") or {}).get(self._qbo_entity, [])
            yield docs
            if len(docs) < QUERY_PAGE_SIZE:
                return
            start += QUERY_PAGE_SIZE

    @api.model
    def _qbo_pull_docs(self, run, docs, context=None):
        """Hand each record to the adapter, each in a savepoint, until the batch is full.

        :param dict context: the page's ``_qbo_pull_context``, when the adapter read it already
        :return: the change time of the first record left for the next call, or None
        """
        context = context if context is not None else self._qbo_pull_context(run, docs)
        for doc in docs:
            qbo_id = str(doc["Id"])
            if qbo_id in run.seen:
                continue
            if run.report.work >= run.limit:
                return parse_qbo_time(doc["MetaData"]["LastUpdatedTime"])
            run.seen.add(qbo_id)
            try:
                with self.env.cr.savepoint():
                    if self._qbo_pull_one(run, doc, context):
                        run.report.work += 1
            except (*RECORD_ERRORS, QboApiError) as error:
                if isinstance(error, QboApiError) and error.retryable:
                    raise
                self._qbo_pull_failed(run, doc, error)
        return None

    @api.model
    def _qbo_currency(self, company, code):
        """The Odoo currency of a QuickBooks currency code (the company's when none).

        :raise UserError: if that currency is not active in Odoo
        """
        code = code or company.currency_id.name
        currency = self.env["res.currency"].with_context(active_test=False).search([("name", "=", code)], limit=1)
        if not currency.active:
            raise UserError(_("QuickBooks: the currency %s is not active in Odoo; activate it.", code))
        return currency

    @api.model
    def _qbo_pull_failed(self, run, doc, error):
        """One record could not be handled: report it, and read it again in the next runs."""
        message = self.env["qbo.fault"]._qbo_explain(error, company=run.company, entity=self._qbo_entity)
        run.report.errors.append((self._qbo_pull_label(doc), message))
        run.report.work += 1
        if str(doc["Id"]) not in run.retry_ids:
            run.retry_ids.append(str(doc["Id"]))
        run.logs.append(dict(self._qbo_pull_log_values(run, None, "create", "error", message, doc["Id"]),
                             qbo_doc_number=doc.get("DocNumber") or False, error=error))

    @api.model
    def _qbo_pull_ids(self, run, qbo_ids):
        """Read the records of these Ids again and handle them (deleted ones are left out)."""
        if qbo_ids:
            self._qbo_pull_docs(run, self._qbo_read_ids(run.client, self._qbo_entity, qbo_ids))

    @api.model
    def _qbo_read_ids(self, client, entity, qbo_ids, inactive=False):
        """Return the QuickBooks records of ``entity`` with these Ids (deleted ones are missing).

        :param bool inactive: include inactive records (name lists answer the active ones only by default)
        """
        qbo_ids = sorted({str(qbo_id) for qbo_id in qbo_ids})
        docs = []
        for start in range(0, len(qbo_ids), READ_CHUNK):
            where = "Id IN (%s)" % ", ".join(f"'{qbo_id}'" for qbo_id in qbo_ids[start:start + READ_CHUNK])
            if inactive:
                where += " AND Active IN (true, false)"
            docs += client.query_all(entity, where=where)
        return docs

    @api.model
    def _qbo_pull_count(self, run, stop):
        """How many records changed from ``stop`` on (what the next calls have left)."""
        answer = run.client.query_answer(f"SELECT COUNT(*) FROM {self._qbo_entity} WHERE "
                                         f"MetaData.LastUpdatedTime >= '{query_time(stop)}'")
        return (answer.get("QueryResponse") or {}).get("totalCount", 1)

    @api.model
    def _qbo_pull_deletions(self, run):
        """Hand the records deleted in QuickBooks since the cursor (change data capture) to the adapter."""
        entities = self._qbo_deleted_entities()
        since = max(run.since, run.server_time - CDC_WINDOW)
        answer = run.client.cdc(entities, since)
        deleted = {}
        for block in answer.get("CDCResponse") or []:
            for response in block.get("QueryResponse") or []:
                for entity in entities:
                    deleted.setdefault(entity, []).extend(
                        str(doc["Id"]) for doc in response.get(entity) or [] if doc.get("status") == "Deleted")
        for entity, qbo_ids in deleted.items():
            if qbo_ids:
                self._qbo_pull_deleted(run, entity, qbo_ids)

    @api.model
    def _qbo_pull_flush(self, run):
        """Write the run's logs, notes and retry list."""
        if run.logs:
            self.env["qbo.sync.log"]._qbo_log(run.logs)
            run.logs = []
        for record, body in run.notes.items():
            record._message_log(body=body)
        run.notes = {}
        retry = run.retry_ids or False
        if retry != (run.cursor.retry_ids or False):
            run.cursor.retry_ids = retry

    # === SCHEDULING === #

    @api.model
    def _qbo_due_companies(self):
        """The connected companies whose stream is due, least recently served first: those never
        pulled, those with more to read, and those not pulled since the job's previous run."""
        companies = self.env["res.company"].sudo().search([("qbo_state", "=", "connected")])
        cursors = self.env["qbo.sync.cursor"]._qbo_cursors(companies, self._qbo_stream)
        lastcall = self.env.context.get("lastcall")

        def is_due(company):
            cursor = cursors.get(company)
            return not cursor or not cursor.last_run_at or cursor.more or bool(
                lastcall and cursor.last_run_at <= lastcall)

        return self.env["qbo.sync.cursor"]._qbo_least_recently_run(companies.filtered(is_due), self._qbo_stream)

    # === HOOKS OF THE ADAPTERS === #

    @api.model
    def _qbo_new_report(self):
        return SyncReport(self.env)

    @api.model
    def _qbo_pull_conditions(self, run):
        """Query conditions besides the cursor's: by default, records dated from the start date on."""
        start = self._qbo_start_date(run.company)
        return [f"TxnDate >= '{start.isoformat()}'"] if start else []

    @api.model
    def _qbo_start_date(self, company):
        """The company's first day of records to read (None: all)."""
        return None

    @api.model
    def _qbo_pull_recheck_ids(self, run):
        """Ids to read again besides the failed ones (records waiting for a change to apply)."""
        return []

    @api.model
    def _qbo_pull_context(self, run, docs):
        """What the records of a page refer to, resolved for the whole page at once."""
        return {}

    @api.model
    def _qbo_pull_one(self, run, doc, context):
        """Handle one QuickBooks record; return whether it was work (imported, flagged, skipped).

        :raise UserError: (or another of ``RECORD_ERRORS``) when it cannot be handled now
        """
        raise NotImplementedError()

    @api.model
    def _qbo_deleted_entities(self):
        return [self._qbo_entity]

    @api.model
    def _qbo_pull_deleted(self, run, entity, qbo_ids):
        """Handle the records QuickBooks deleted (change data capture tombstones)."""

    @api.model
    def _qbo_pull_label(self, doc):
        return _("QuickBooks %(entity)s %(number)s",
                 entity=self.env["qbo.fault"]._qbo_entity_label(self._qbo_entity),
                 number=doc.get("DocNumber") or doc["Id"])

    @api.model
    def _qbo_pull_log_values(self, run, record, operation, status, message, qbo_id=None, label=None):
        """The sync log of one record read (``label``: what names it when no Odoo record does)."""
        return {
            "company_id": run.company.id,
            "direction": "import",
            "operation": operation,
            "qbo_entity": self._qbo_entity,
            "qbo_id": str(qbo_id) if qbo_id else (record and record.qbo_id) or False,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "res_name": record.display_name if record else label or False,
            "status": status,
            "message": message or False,
        }

    @api.model
    def _qbo_log_failure(self, company, error):
        """A run of the job could not read QuickBooks: logged; when QuickBooks is only busy or down,
        the job tries again a little later (a warning, not an error)."""
        retry_at = None
        if isinstance(error, QboApiError) and error.retryable:
            retry_at = fields.Datetime.now() + BUSY_RETRY_DELAY
            cron = self.env["ir.cron"].sudo().search([("model_id.model", "=", self._name)], limit=1)
            if cron:
                cron._qbo_trigger_lanes(at=retry_at)
            else:
                retry_at = None
        self.env["qbo.sync.log"]._qbo_log([{
            "company_id": company.id, "direction": "import", "operation": "read", "qbo_entity": self._qbo_entity,
            "status": "retry" if retry_at else "error", "error": error,
            "message": self.env["qbo.fault"]._qbo_explain(error, company=company, retry_at=retry_at)}])
