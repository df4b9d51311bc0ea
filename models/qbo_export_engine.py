import hashlib
import json
import logging
import threading
import time
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import BATCH_SIZE, MAX_ATTEMPTS, REFRESH_NOTIFICATION, RETRY_DELAYS, STALE_OBJECT
from ..qbo_client import QboApiError, QboClient
from ..qbo_payload.account_move import PayloadError, amounts_differ, qbo_amounts, replay_is_stale, update_payload

_logger = logging.getLogger(__name__)

# Requests sent at once by a large export: Intuit serves 10 at a time per app and realm, and the pull
# jobs (one run per stream), webhooks and users call the realm meanwhile (the rate budget paces calls,
# not their overlap). Six in flight still send 10 calls a second with up to 0.6 s per answer.
PARALLEL_REQUESTS = 6
# Records exported per call of the export job (per kind of record).
CRON_BATCH_SIZE = 1000
# Seconds a call of the export job starts requests for: the records left wait for its next call, so that
# no call outlives Odoo's time limit of cron workers (--limit-time-real-cron, by default 120 s) and
# another company's turn comes soon.
CRON_CALL_SECONDS = 20
# Seconds worth waiting for the next batch call of a realm rather than sending creations one by one.
BATCH_PATIENCE = 0.5


def _call(client, request):
    """Send one request (no ORM here: it may run in a worker thread).

    :param tuple request: ``(operation, [(bId, entity, payload)], requestid, batch)``
    :return: ``([(doc or None, QboApiError or None)] per item, seconds)``
    """
    operation, items, requestid, batch = request
    start = time.monotonic()
    try:
        if batch:
            responses = client.batch([{"bId": bid, "operation": operation, entity: payload}
                                      for bid, entity, payload in items], requestid=requestid)
            results = []
            for (_bid, entity, _payload), response in zip(items, responses):
                if entity in response:
                    results.append((response[entity], None))
                else:
                    results.append((None, QboApiError.from_fault(response.get("Fault") or {}, status=400,
                                                                 intuit_tid=client.last_intuit_tid)))
        else:
            _bid, entity, payload = items[0]
            send = client.create if operation == "create" else client.update
            results = [(send(entity, payload, requestid=requestid), None)]
    except QboApiError as error:
        results = [(None, error)] * len(items)
    return results, time.monotonic() - start


class SyncReport:
    """What an exchange did, counted for the message the user gets; adapters word it their way."""

    def __init__(self, env):
        self.env = env
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.sent = 0
        self.locked = 0
        self.retry = 0
        self.waiting = 0
        self.busy = []  # names of the companies another run was synchronizing
        self.errors = []  # (record label, message)
        self.work = 0  # records handled by a pull (its batch bound)
        self.remaining = 0  # records a pull left for the next call

    @property
    def exported(self):
        return self.created + self.updated

    def message(self):
        """Return e.g. "3 records read, 1 failed (...)"; adapters word their own."""
        return ", ".join([self.env._("%s records read", self.work), *self.common_parts()])

    def common_parts(self):
        """The parts of the message every kind of exchange words the same way."""
        _ = self.env._
        parts = []
        if self.locked:
            parts.append(_("%s skipped: being exported by another process", self.locked))
        if self.retry:
            parts.append(_("%s will be retried automatically", self.retry))
        if self.errors:
            details = "; ".join(f"{label}: {message}" for label, message in self.errors[:5])
            parts.append(_("%(count)s failed (%(details)s)", count=len(self.errors), details=details))
        if self.busy:
            parts.append(_("%s: another synchronization is running, try again in a minute", ", ".join(self.busy)))
        return parts

    def notification_type(self):
        if self.errors:
            return "danger" if not (self.exported or self.sent) else "warning"
        return "warning" if self.retry or self.locked or self.busy else "success"


class ExportReport(SyncReport):
    """What an export of documents did."""

    def message(self, skipped=0, from_expenses=0):
        """Return e.g. "12 exported, 2 skipped: not posted"."""
        _ = self.env._
        parts = []
        if self.exported or not (self.unchanged or self.errors or self.retry or self.sent):
            parts.append(_("%s exported", self.exported))
        if self.updated:
            parts.append(_("%s of them updated", self.updated))
        if self.sent:
            parts.append(_("%s emailed by QuickBooks", self.sent))
        if self.unchanged:
            parts.append(_("%s already up to date", self.unchanged))
        if skipped:
            parts.append(_("%s skipped: not posted", skipped))
        if from_expenses:
            parts.append(_("%s skipped: exported with their expense report", from_expenses))
        return ", ".join(parts + self.common_parts())


class ExportRun:
    """One export of a company's records: the client, the QuickBooks settings, what to record."""

    def __init__(self, company, report, deadline=None):
        self.company = company
        self.report = report
        self.deadline = deadline  # time.monotonic() after which no request is started
        self.client = None
        self.settings = None
        self.logs = []
        self.notes = {}  # record id -> Markup
        self.values = {}  # record id -> QuickBooks bookkeeping values to write
        self.retry_at = None  # when the export cron should try the temporary failures again
        self.fault_cache = {}  # what explaining the run's faults read from QuickBooks (qbo.fault)
        self.linked = {}  # (record id, model) -> the records its payload links to (an invoice: its sales orders...)


class QboExportEngine(models.AbstractModel):
    """Sends Odoo records to QuickBooks Online: one engine for invoices, credit notes, bills,
    refunds, expenses and payments.

    The records' rows are locked (those another transaction is exporting or editing are skipped),
    what they refer to is resolved for the whole selection at once (the adapter's
    ``_qbo_resolve``), creations go by batches of 30 and updates by batches of 30 (a record alone:
    a single call), each with a requestid that is stable across retries: a creation's names the
    record and its export generation, which changes only after QuickBooks refused it, so a retry
    after a lost answer is replayed by QuickBooks instead of creating a copy, even when Odoo's
    own transaction was rolled back in between. Several requests are in flight at once. QuickBooks'
    totals are checked to the cent; a temporary failure (throttling, outage, lost answer) is
    retried automatically with a growing delay, a permanent one is an error on the record; one
    record that fails never stops the others. Outcomes are written in one UPDATE per batch, sync
    logs and chatter notes in one go each.

    An adapter inherits this model, sets ``_qbo_model``, ``_qbo_requestid_tag`` and
    ``_qbo_retry_cron``, and implements ``_qbo_resolve``, ``_qbo_build`` and the hooks below.
    """

    _name = "qbo.export.engine"
    _description = "QuickBooks Export"

    _qbo_model = None  # the Odoo model exported
    _qbo_requestid_tag = ""  # between the prefix and the record id in requestids
    _qbo_retry_cron = None  # xmlid of the job that exports what waits for a retry

    # === ENTRY POINTS === #

    @api.model
    def _qbo_export(self, records, report=None, deadline=None):
        """Export ``records`` (any companies) and return the report.

        :param float deadline: ``time.monotonic()`` after which no request is started (the records
            left wait for the next export)
        """
        report = report if report is not None else self._qbo_new_report()
        for company, company_records in records.grouped("company_id").items():
            self._qbo_export_company(company, company_records, report, deadline=deadline)
        return report

    @api.model
    def _cron_qbo_export_all(self):
        """Export what waits of every kind of record (each adapter) of one company, for at most
        ``CRON_CALL_SECONDS``: the company served least recently among those with records waiting and
        no other lane of the job exporting them. While some are left, the call ends the job's run
        (Odoo's runner would call it up to ten times in one run, past the time limit of cron workers)
        and triggers the lanes again: they serve the companies side by side, in turn."""
        adapters = [self.env[name] for name in self.env.registry.descendants([self._name], "_inherit") - {self._name}]
        waiting = self.env["res.company"]
        for adapter in adapters:
            waiting |= adapter._qbo_waiting_companies()
        cursors = self.env["qbo.sync.cursor"]
        deadline = time.monotonic() + CRON_CALL_SECONDS
        done = 0
        for company in cursors._qbo_least_recently_run(waiting, "export"):
            cursor = cursors._qbo_acquire(company, "export")
            if not cursor:
                continue  # another lane is exporting this company's records
            cursor.last_run_at = fields.Datetime.now()
            for adapter in adapters:
                done += len(adapter._qbo_cron_export(company=company, deadline=deadline)[0])
            # The lanes busy with the other companies trigger the job again when they end.
            if any(adapter._qbo_waiting_companies() for adapter in adapters):
                self.env.ref(adapters[0]._qbo_retry_cron)._qbo_trigger_lanes()
            break
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    @api.model
    def _qbo_waiting_companies(self):
        """The companies with records of this kind waiting to be exported now."""
        groups = self.env[self._qbo_model]._read_group(self._qbo_queued_domain(), ["company_id"])
        return self.env["res.company"].browse(company.id for (company,) in groups)

    @api.model
    def _qbo_cron_export(self, limit=CRON_BATCH_SIZE, company=None, deadline=None):
        """Export one bounded batch of the records queued or waiting for a retry (of ``company``, or
        of any: each company on its own, one company's failure never stops another's export), starting
        no request after ``deadline`` (``time.monotonic()``).

        :return: ``(records exported, how many are left)``
        """
        model = self.env[self._qbo_model]
        domain = self._qbo_queued_domain()
        if company:
            domain.append(("company_id", "=", company.id))
        records = model.search(domain, order="id", limit=limit)
        if records:
            self._qbo_export(records, deadline=deadline)
            self._qbo_refresh_views(records)
        remaining = model.search_count(domain)
        if not remaining:
            later = model.search(
                [*self._qbo_queued_domain(due=False), ("qbo_next_attempt", ">", fields.Datetime.now())],
                order="qbo_next_attempt", limit=1)
            if later:
                self.env.ref(self._qbo_retry_cron)._qbo_trigger_lanes(at=later.qbo_next_attempt)
        return records, remaining

    @api.model
    def _qbo_refresh_views(self, records):
        """Tell the QuickBooks users of these records' companies that their states changed: the lists
        and forms they have open reload (``static/src/views/qbo_refresh.js``)."""
        companies = records.company_id
        users = self.env.ref("quickbooks_connector.group_qbo_user").sudo().users.filtered(
            lambda user: user.company_ids & companies)
        users._bus_send(REFRESH_NOTIFICATION, {"model": records._name, "ids": records.ids})

    @api.model
    def _qbo_queued_domain(self, due=True):
        domain = [("qbo_state", "=", "to_send"), *self._qbo_exportable_domain()]
        if due:
            domain += ["|", ("qbo_next_attempt", "=", False), ("qbo_next_attempt", "<=", fields.Datetime.now())]
        return domain

    # === EXPORT === #

    @api.model
    def _qbo_export_company(self, company, records, report, deadline=None):
        run = ExportRun(company, report, deadline=deadline)
        if not self._qbo_export_begin(run):
            report.busy.append(company.name)
            return
        records = self._qbo_lock(records, report)
        records = self._qbo_prepare(run, records)
        if not records:
            self._qbo_flush(run)
            return
        try:
            run.client = company._qbo_get_client()
            run.settings = company._qbo_export_settings(run.client)
            resolved = self._qbo_resolve(run, records)
        except (UserError, QboApiError) as error:
            for record in records:
                self._qbo_apply_failure(run, record, self._qbo_operation(record), error)
            self._qbo_flush(run)
            return
        self._qbo_send(run, records, resolved)
        self._qbo_export_after(run, records)
        self._qbo_flush(run)

    @api.model
    def _qbo_lock(self, records, report):
        """Lock the records' rows, skipping those another transaction is exporting or editing."""
        if not records:
            return records
        self.env.cr.execute(f'SELECT id FROM "{records._table}" WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED',
                            [tuple(records.ids)])
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        skipped = records.filtered(lambda record: record.id not in locked_ids)
        if skipped:
            report.locked += len(skipped)
            _logger.info("QuickBooks: %s %s are being exported elsewhere, skipped", records._name, skipped.ids)
        return records - skipped

    # === SENDING === #

    @api.model
    def _qbo_units(self, run, records):
        """Split the records into the requests whose shape is set, and the creations still free to group.

        A record whose creation was sent already (its answer lost, or its transaction rolled back
        since) is sent again in the same request, with the same requestid and its companions still
        waiting, so QuickBooks replays it instead of creating a copy.

        :return: ``([(operation, records, requestid or None)], creations to group)``
        """
        updates = records.filtered(lambda record: self._qbo_operation(record) == "update")
        creates = records - updates
        sent = self.env["qbo.export.attempt"]._qbo_sent_requestids(creates)
        replays = creates.grouped(lambda record: record.qbo_pending_requestid or sent.get(record.id))
        fresh = replays.pop(None, creates.browse())
        units = [("create", group, requestid) for requestid, group in replays.items()]
        units += [("update", updates[start:start + BATCH_SIZE], None) for start in range(0, len(updates), BATCH_SIZE)]
        return units, fresh

    @api.model
    def _qbo_next_unit(self, run, units, fresh):
        """The next request to send: a replay or an update, else the next creations, by 30 in a batch
        call when the realm's batch budget allows one now, else one alone (single calls spend the
        realm's other budget meanwhile: Intuit allows 40 batch calls but 500 calls a minute)."""
        if units:
            return units.pop(0), fresh
        pacer = run.client.pacer
        size = BATCH_SIZE if len(fresh) > 1 and (not pacer or pacer.book_batch(within=BATCH_PATIENCE)) else 1
        return ("create", fresh[:size], None), fresh[size:]

    @api.model
    def _qbo_send(self, run, records, resolved):
        """Build, send and settle the records, request by request.

        Several requests are in flight at once (up to ``PARALLEL_REQUESTS``), sent by worker
        threads while this thread builds the next payloads and settles the answers already back,
        in order. Only this thread touches the database: each worker thread keeps a client of its
        own (and its connection), holding the access token read here. Past the run's deadline no
        request is started: the records left keep waiting, untouched, for the next run.
        """
        units, fresh = self._qbo_units(run, records)
        if not (units or fresh):
            return
        first, fresh = self._qbo_next_unit(run, units, fresh)
        if not (units or fresh):
            operation, items, requestid, batch = self._qbo_job(run, *first, resolved)
            if items:
                self._qbo_settle(run, operation, items, requestid, _call(run.client, self._qbo_request(
                    operation, items, requestid, batch)))
            return
        units.insert(0, first)
        token = run.client.get_access_token()
        client = run.client
        workers = threading.local()
        sessions = []

        def call(request):
            # One client per worker thread: its connection is kept from one request to the next.
            if not hasattr(workers, "client"):
                workers.client = QboClient(client.base_url, client.realm_id, lambda: token,
                                           minorversion=client.minorversion, timeout=client.timeout,
                                           max_retries=client.max_retries, sleep=client.sleep, pacer=client.pacer)
                sessions.append(workers.client.session)
            return _call(workers.client, request)

        queue = []
        try:
            with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
                while units or fresh:
                    if queue and run.deadline and time.monotonic() > run.deadline:
                        break
                    unit, fresh = self._qbo_next_unit(run, units, fresh)
                    operation, items, requestid, batch = self._qbo_job(run, *unit, resolved)
                    if items:
                        queue.append((operation, items, requestid,
                                      pool.submit(call, self._qbo_request(operation, items, requestid, batch))))
                    # The shape of the next request is chosen when a worker thread is free to send it.
                    while queue and (queue[0][3].done() or sum(not entry[3].done() for entry in queue)
                                     >= PARALLEL_REQUESTS):
                        if not queue[0][3].done():
                            futures.wait([entry[3] for entry in queue], return_when=futures.FIRST_COMPLETED)
                            continue
                        self._qbo_settle_head(run, queue)
                while queue:
                    if not queue[0][3].done():
                        # While QuickBooks answers, record what is settled already.
                        self._qbo_flush(run)
                    self._qbo_settle_head(run, queue)
        finally:
            for session in sessions:
                session.close()

    @api.model
    def _qbo_settle_head(self, run, queue):
        operation, items, requestid, future = queue.pop(0)
        self._qbo_settle(run, operation, items, requestid, future.result())

    @api.model
    def _qbo_job(self, run, operation, records, requestid, resolved):
        """Build the payloads of one request; return ``(operation, items, requestid, batch)``.

        Records that cannot be built are settled as failures here and left out.
        """
        items = []
        for record in records:
            try:
                entity, payload, expected = self._qbo_build(run, record, resolved)
            except (PayloadError, UserError, QboApiError) as error:
                self._qbo_apply_failure(run, record, operation, error)
                continue
            if operation == "update":
                payload = update_payload(payload, record.qbo_id, record.qbo_sync_token or "0")
            items.append((record, entity, payload, expected))
        if not items:
            return operation, items, requestid, False
        if requestid:
            return operation, items, requestid, requestid.startswith(self._qbo_requestid_prefix(run.company) + "b")
        batch = len(items) > 1
        sent = records.browse([item[0].id for item in items])
        if operation == "update":
            requestid = (self._qbo_batch_requestid(run.company, sent, operation, [item[2] for item in items])
                         if batch else self._qbo_update_requestid(sent, items[0][2]))
        else:
            requestid = (self._qbo_batch_requestid(run.company, sent, operation) if batch
                         else self._qbo_create_requestid(sent))
            self.env["qbo.export.attempt"]._qbo_record(sent, requestid)
        return operation, items, requestid, batch

    @staticmethod
    def _qbo_request(operation, items, requestid, batch):
        return operation, [(str(record.id), entity, payload) for record, entity, payload, _expected in items], \
            requestid, batch

    @api.model
    def _qbo_settle(self, run, operation, items, requestid, answer):
        results, duration = answer
        for (record, entity, payload, expected), (doc, error) in zip(items, results):
            self._qbo_outcome(run, operation, record, entity, payload, expected, requestid, duration / len(items),
                              doc=doc, error=error)

    @api.model
    def _qbo_outcome(self, run, operation, record, entity, payload, expected, requestid, duration, doc=None,
                     error=None):
        """Settle one record's answer: stale SyncToken and replayed old versions are resent once."""
        if error is not None and operation == "update" and error.code == STALE_OBJECT:
            doc, error = self._qbo_reapply(run, record, entity, payload)
        elif doc is not None and operation == "create" and replay_is_stale(payload, doc):
            # A replayed creation of an earlier version of the record: bring it up to date.
            doc, error = self._qbo_reapply(run, record, entity, payload, current=doc)
        if error is not None:
            self._qbo_apply_failure(run, record, operation, error, requestid=requestid, duration=duration,
                                    entity=entity, payload=payload)
        else:
            self._qbo_apply_success(run, record, operation, entity, doc, expected, requestid, duration)

    @api.model
    def _qbo_reapply(self, run, record, entity, payload, current=None):
        """Re-read the QuickBooks copy, apply the payload at its current SyncToken, send once more.

        :return: ``(doc, None)`` or ``(None, error)``
        """
        try:
            current = current or run.client.read(entity, record.qbo_id)
            body = update_payload({key: value for key, value in payload.items()
                                   if key not in ("Id", "SyncToken", "sparse")}, current["Id"], current["SyncToken"])
            return run.client.update(entity, body, requestid=self._qbo_update_requestid(record, body)), None
        except QboApiError as retry_error:
            return None, retry_error

    # === OUTCOMES === #

    @api.model
    def _qbo_apply_success(self, run, record, operation, entity, doc, expected, requestid, duration):
        values = {
            "qbo_id": str(doc["Id"]),
            "qbo_sync_token": str(doc.get("SyncToken", "")),
            "qbo_pending_requestid": False,
            "qbo_retry_count": 0,
            "qbo_next_attempt": False,
            **self._qbo_success_values(run, record, entity, doc),
        }
        difference = self._qbo_amounts_differ(doc, expected)
        if difference:
            message = self._qbo_difference_message(difference)
            values.update(qbo_state="error", qbo_error=message)
            run.report.errors.append((record.display_name, message))
        else:
            values.update(qbo_state=self._qbo_done_state(), qbo_error=False)
            if operation == "create":
                run.report.created += 1
            else:
                run.report.updated += 1
        run.values.setdefault(record.id, {}).update(values)
        run.logs.append(self._qbo_log_values(run, record, operation, entity, "error" if difference else "success",
                                             difference and message, requestid, duration, doc["Id"],
                                             doc_number=doc.get("DocNumber") or False))
        run.notes[record.id] = self._qbo_success_note(run, record, operation, entity, doc,
                                                      difference and message)

    @api.model
    def _qbo_apply_failure(self, run, record, operation, error, requestid=None, duration=0.0, entity=None,
                           payload=None):
        """Record a failure: a temporary one is retried automatically later (up to ``MAX_ATTEMPTS``),
        a permanent one is an error on the record; a refused creation starts a new export generation
        (a new requestid: the corrected record is really sent again, not replayed). The message says
        what the user can fix (``qbo.fault``)."""
        entity = entity or self._qbo_entity(record)
        retryable = isinstance(error, QboApiError) and error.retryable
        attempts = record.qbo_retry_count + 1
        retry_at = None
        if retryable and attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            retry_at = fields.Datetime.now() + timedelta(minutes=delay)
        message = self._qbo_error_message(run, record, error, entity=entity, payload=payload, retry_at=retry_at)
        values = {"qbo_error": message}
        if retry_at:
            values.update(qbo_state="to_send", qbo_retry_count=attempts, qbo_next_attempt=retry_at)
            if operation == "create" and requestid:
                values["qbo_pending_requestid"] = requestid
            status = "retry"
            run.report.retry += 1
            run.retry_at = min(filter(None, (run.retry_at, values["qbo_next_attempt"])))
        else:
            values.update(qbo_state="error", qbo_retry_count=0, qbo_next_attempt=False)
            if operation == "create" and not retryable:
                values.update(qbo_pending_requestid=False, qbo_export_generation=record.qbo_export_generation + 1)
            elif operation == "create" and requestid:
                values["qbo_pending_requestid"] = requestid
            status = "error"
            run.report.errors.append((record.display_name, message))
        run.values.setdefault(record.id, {}).update(values)
        run.logs.append(self._qbo_log_values(run, record, operation, entity, status, message, requestid, duration,
                                             record.qbo_id, error=error,
                                             doc_number=(payload or {}).get("DocNumber")))
        run.notes[record.id] = Markup("%s %s") % (
            _("QuickBooks export delayed:") if status == "retry" else _("QuickBooks export failed:"), message)

    @api.model
    def _qbo_flush(self, run):
        """Write the run's outcomes on the records, its sync logs and chatter notes, in one go each,
        and schedule the retries."""
        model = self.env[self._qbo_model]
        if run.values:
            model._qbo_write_each(run.values)
            run.values = {}
        if run.retry_at:
            self.env.ref(self._qbo_retry_cron)._qbo_trigger_lanes(at=run.retry_at)
            run.retry_at = None
        if run.logs:
            self.env["qbo.sync.log"]._qbo_log(run.logs)
            run.logs = []
        if run.notes:
            # Records without a chatter (timesheets) have their story in the sync log only.
            if isinstance(model, self.pool["mail.thread"]):
                model.browse(list(run.notes))._message_log_batch(bodies=run.notes)
            run.notes = {}

    @api.model
    def _qbo_log_values(self, run, record, operation, entity, status, message, requestid, duration, qbo_id,
                        error=None, doc_number=None):
        """The sync log of one exchange (``error``: the ``QboApiError`` QuickBooks answered, kept for support)."""
        if not doc_number and "qbo_doc_number" in record._fields:
            doc_number = record.qbo_doc_number
        return {
            "company_id": run.company.id,
            "direction": "export",
            "operation": operation,
            "qbo_entity": entity,
            "qbo_id": qbo_id or False,
            "res_model": record._name,
            "res_id": record.id,
            "res_name": record.display_name,
            "status": status,
            "message": message or False,
            "requestid": requestid or False,
            "duration": duration,
            "qbo_doc_number": doc_number or False,
            "error": error,
        }

    @api.model
    def _qbo_check_home_currency(self, run, company):
        """Refuse a document of a company whose currency is not QuickBooks' home currency: its amounts could not be
        converted.

        :raise PayloadError: naming both currencies
        """
        if run.settings["home_currency"] != company.currency_id.name:
            raise PayloadError(_("QuickBooks keeps its books in %(qbo)s and %(company)s in %(odoo)s: amounts "
                                 "cannot be converted", qbo=run.settings["home_currency"],
                                 company=company.name, odoo=company.currency_id.name))

    @api.model
    def _qbo_payload_settings(self, run, tax_maps):
        """The QuickBooks settings a payload is built with, and the tax code of each Odoo tax mapped."""
        return dict(run.settings, tax_codes={
            tax_id: {"code": tax_map.qbo_tax_code_id, "line_code": tax_map.qbo_line_code}
            for tax_id, tax_map in tax_maps.items()})

    @api.model
    def _qbo_difference_message(self, difference):
        return _("Amounts differ: QuickBooks total %(qbo_total)s (tax %(qbo_tax)s), Odoo total %(odoo_total)s "
                 "(tax %(odoo_tax)s).", **{key: str(value) for key, value in difference.items()})

    @api.model
    def _qbo_link(self, run, entity, doc):
        """Return the document's number, linked to the QuickBooks web app when it has an address."""
        label = doc.get("DocNumber") or doc["Id"]
        url = run.company.sudo()._qbo_document_url(entity, doc["Id"])
        if url:
            return Markup('<a href="%s" target="_blank">%s</a>') % (url, label)
        return label

    # === REQUEST IDS === #

    @api.model
    def _qbo_requestid_prefix(self, company):
        """``q<database digest>-<company>``: requestids are unique per QuickBooks company, and two Odoo
        databases (a production and its copy) linked to one must never replay each other's calls."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"q{hashlib.sha1(uuid.encode()).hexdigest()[:6]}-{company.id}"

    @api.model
    def _qbo_create_requestid(self, record):
        """The requestid of a record's creation: stable for one export generation."""
        return (f"{self._qbo_requestid_prefix(record.company_id)}-{self._qbo_requestid_tag}{record.id}"
                f"-g{record.qbo_export_generation}")

    @api.model
    def _qbo_update_requestid(self, record, payload):
        """The requestid of an update: the SyncToken it applies to and a digest of what it sends."""
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return (f"{self._qbo_requestid_prefix(record.company_id)}-{self._qbo_requestid_tag}{record.id}"
                f"-u{payload.get('SyncToken')}-{digest}")

    @api.model
    def _qbo_batch_requestid(self, company, records, operation, payloads=()):
        """The requestid of a batch (at most 36 characters): its records and their generations."""
        content = [self._qbo_model, [(record.id, record.qbo_export_generation) for record in records]]
        if payloads:
            content.append([json.dumps(payload, sort_keys=True, default=str) for payload in payloads])
        digest = hashlib.sha1(json.dumps(content).encode()).hexdigest()[:16]
        return f"{self._qbo_requestid_prefix(company)}b{operation[0]}{digest}"

    # === HOOKS OF THE ADAPTERS === #

    @api.model
    def _qbo_new_report(self):
        return ExportReport(self.env)

    @api.model
    def _qbo_exportable_domain(self):
        """What the retry job may export besides ``qbo_state = to_send`` (e.g. posted documents)."""
        return []

    @api.model
    def _qbo_export_begin(self, run):
        """Return False when the company's records cannot be exported now (another run holds them)."""
        return True

    @api.model
    def _qbo_prepare(self, run, records):
        """Return the records to send; the adapter settles the others itself (up to date, waiting, ...)."""
        return records

    @api.model
    def _qbo_operation(self, record):
        """``create`` or ``update``: whether the record has a QuickBooks copy to update."""
        return "update" if record.qbo_id else "create"

    @api.model
    def _qbo_resolve(self, run, records):
        """Resolve what the records refer to (customers, items, accounts...) for the whole selection.

        :raise UserError: (or ``QboApiError``) when nothing can be resolved: every record then fails
        """
        raise NotImplementedError()

    @api.model
    def _qbo_build(self, run, record, resolved):
        """Return ``(entity, payload, expected)`` of one record (``expected``: what to compare the
        answer with, e.g. ``{"total", "tax"}``).

        :raise PayloadError: (or ``UserError``) when the record cannot be expressed in QuickBooks
        """
        raise NotImplementedError()

    @api.model
    def _qbo_entity(self, record):
        """The QuickBooks entity of a record (for a failure's log)."""
        raise NotImplementedError()

    @api.model
    def _qbo_amounts_differ(self, doc, expected):
        return amounts_differ(doc, expected)

    @api.model
    def _qbo_success_values(self, run, record, entity, doc):
        """Bookkeeping values of the record once QuickBooks holds ``doc`` (besides Id and SyncToken)."""
        qbo_total, qbo_tax = qbo_amounts(doc)
        return {"qbo_exported_at": fields.Datetime.now(), "qbo_amount_total": float(qbo_total)}

    @api.model
    def _qbo_done_state(self):
        return "exported"

    @api.model
    def _qbo_success_note(self, run, record, operation, entity, doc, message):
        label = _("Exported to QuickBooks") if operation == "create" else _("Updated in QuickBooks")
        body = Markup("%s: %s %s") % (label, entity, self._qbo_link(run, entity, doc))
        return body + Markup("<br/>") + message if message else body

    @api.model
    def _qbo_error_message(self, run, record, error, entity=None, payload=None, retry_at=None):
        """What the user reads on the record, in the notification and in the sync log."""
        return self.env["qbo.fault"]._qbo_explain(error, company=run.company, record=record, entity=entity,
                                                  payload=payload, client=run.client, retry_at=retry_at,
                                                  cache=run.fault_cache)

    @api.model
    def _qbo_export_after(self, run, records):
        """What follows an export of these records (in the same run)."""
