import logging

from odoo import _, api, models

from ..const import CDC_WINDOW
from ..qbo_client import parse_qbo_time, query_time
from .qbo_export_engine import SyncReport

_logger = logging.getLogger(__name__)

# Change data capture answers at most this many records per call.
CDC_MAX_OBJECTS = 1000
MAX_ROUNDS = 20


class CatchUpReport(SyncReport):
    """What a catch-up did: the changes recorded (``work``) and how they were read."""

    def __init__(self, env):
        super().__init__(env)
        self.mode = None  # "changes" (change data capture) or "full reconciliation"


class QboCdcPull(models.AbstractModel):
    """Catch-up: what changed in QuickBooks since the last run becomes events, processed like
    webhooks; an adapter of the pull engine.

    With webhooks off or after an outage, this alone brings Odoo to the same state: the changes go
    through the same processor, which reads each entity again. Within QuickBooks' 30-day window the
    ``cdc`` endpoint is used (deletions included); with no cursor or an older one, a full
    reconciliation queries every followed entity changed since the cursor.
    """

    _name = "qbo.cdc.pull"
    _inherit = "qbo.pull.engine"
    _description = "QuickBooks Change Data Capture"

    _qbo_stream = "cdc"
    _qbo_entity = "CDC"

    @api.model
    def _cron_qbo_catch_up(self):
        """Catch up the connected company served least recently (one per call)."""
        self._qbo_cron_pull(limit=None)

    @api.model
    def _qbo_catch_up(self, company):
        """Record the changes since the company's cursor as events, process them and move the cursor.

        :return: a short message for the user
        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read
        """
        report = self._qbo_pull(company, limit=None)
        if report.busy:
            return report.common_parts()[0]
        return _("QuickBooks catch-up (%(mode)s): %(count)s new change(s) recorded and processed.",
                 mode=report.mode, count=report.work)

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return CatchUpReport(self.env)

    @api.model
    def _qbo_pull_run(self, run):
        # Change data capture carries its own deletions; the events are processed at once.
        for docs in self._qbo_pull_pages(run):
            self._qbo_pull_docs(run, docs)
        run.cursor.write({"read_until": run.server_time, "more": False})
        self.env["qbo.event.processor"]._qbo_process(run.company)
        message = _("QuickBooks catch-up (%(mode)s): %(count)s new change(s) recorded and processed.",
                    mode=run.report.mode, count=run.report.work)
        run.logs.append({"company_id": run.company.id, "direction": "import", "operation": "read",
                         "qbo_entity": "CDC", "status": "success", "message": message})

    @api.model
    def _qbo_pull_pages(self, run):
        """Yield ``[(entity, doc)]`` changed since the cursor, oldest first (tombstones included)."""
        run.server_time = parse_qbo_time(run.client.request("GET", "preferences")["time"])
        followed = self.env["qbo.webhook.event"]._qbo_followed_entities()
        if run.since and run.since > run.server_time - CDC_WINDOW:
            run.report.mode = _("changes")
            since = run.since
            for _round in range(MAX_ROUNDS):
                answer = run.client.cdc(followed, since)
                found = [(entity, doc) for block in answer.get("CDCResponse") or []
                         for response in block.get("QueryResponse") or []
                         for entity in followed for doc in response.get(entity) or []]
                yield found
                if len(found) < CDC_MAX_OBJECTS:
                    return
                # A full answer: read on from the latest change it holds.
                since = max(parse_qbo_time(doc["MetaData"]["LastUpdatedTime"]) for _entity, doc in found)
        else:
            run.report.mode = _("full reconciliation")
            where = run.since and f"MetaData.LastUpdatedTime > '{query_time(run.since)}'"
            for entity in followed:
                yield [(entity, doc) for doc in run.client.query_all(entity, where=where)]

    @api.model
    def _qbo_pull_docs(self, run, docs):
        """Record the changes as events (a change recorded before is not recorded again)."""
        events = self.env["qbo.webhook.event"]._qbo_record(run.company, [
            self._qbo_event_values(run.company, entity, doc) for entity, doc in docs])
        run.report.work += len(events)

    @api.model
    def _qbo_event_values(self, company, entity, doc):
        deleted = doc.get("status") == "Deleted"
        updated = (doc.get("MetaData") or {}).get("LastUpdatedTime")
        version = "deleted" if deleted else doc.get("SyncToken")
        return {
            "realm_id": company.qbo_realm_id, "qbo_entity": entity, "qbo_id": str(doc["Id"]),
            "operation": "Delete" if deleted else "Update", "event_time": parse_qbo_time(updated),
            "event_key": f"cdc:{entity}:{doc['Id']}:{version}:{updated}", "source": "cdc",
        }
