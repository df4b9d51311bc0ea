import logging
from datetime import timedelta

from odoo import _, api, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import query_datetime
from .qbo_webhook_event import FOLLOWED_ENTITIES, parse_qbo_time

_logger = logging.getLogger(__name__)

# Change data capture looks back 30 days at most: an older cursor needs a full reconciliation.
CDC_WINDOW = timedelta(days=29)
# Each read starts this much before the cursor: changes committed in QuickBooks while the last read ran.
CURSOR_OVERLAP = timedelta(minutes=5)
CDC_MAX_OBJECTS = 1000
MAX_ROUNDS = 20


class QboCdcSync(models.AbstractModel):
    """Catch-up: what changed in QuickBooks since the last run becomes events, processed like webhooks.

    With webhooks off or after an outage, this alone brings Odoo to the same state: the changes go
    through the same processor, which reads each entity again. Within QuickBooks' 30-day window the
    ``cdc`` endpoint is used (deletions included); with no cursor or an older one, a full
    reconciliation queries every followed entity changed since the cursor.
    """

    _name = "qbo.cdc.sync"
    _description = "QuickBooks Change Data Capture"

    @api.model
    def _cron_qbo_catch_up(self):
        """Catch up every connected company; one company's failure does not stop the others."""
        companies = self.env["res.company"].search([("qbo_state", "=", "connected")])
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    message = self._qbo_catch_up(company)
                _logger.info("QuickBooks: catch-up of company %s: %s", company.id, message)
            except (UserError, QboApiError) as error:
                _logger.info("QuickBooks: catch-up of company %s failed: %s", company.id, error)
                self.env["qbo.sync.log"]._qbo_log([{
                    "company_id": company.id, "direction": "import", "operation": "read", "qbo_entity": "CDC",
                    "status": "error", "message": str(error)}])
        self.env["ir.cron"]._notify_progress(done=len(companies), remaining=0)

    @api.model
    def _qbo_catch_up(self, company):
        """Record the changes since the company's cursor as events, process them and move the cursor.

        :return: a short message for the user
        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read
        """
        client = company._qbo_get_client()
        last_cursor = company.qbo_cdc_cursor
        server_now = parse_qbo_time(client.request("GET", "preferences")["time"])
        if last_cursor and last_cursor - CURSOR_OVERLAP > server_now - CDC_WINDOW:
            docs = self._qbo_changes(client, last_cursor - CURSOR_OVERLAP)
            mode = _("changes")
        else:
            docs = self._qbo_reconcile(client, last_cursor and last_cursor - CURSOR_OVERLAP)
            mode = _("full reconciliation")
        events = self.env["qbo.webhook.event"]._qbo_record(company, [
            self._qbo_event_values(company, entity, doc) for entity, doc in docs])
        company.sudo().qbo_cdc_cursor = server_now
        self.env["qbo.event.processor"]._qbo_process(company)
        message = _("QuickBooks catch-up (%(mode)s): %(count)s new change(s) recorded and processed.",
                    mode=mode, count=len(events))
        self.env["qbo.sync.log"]._qbo_log([{
            "company_id": company.id, "direction": "import", "operation": "read", "qbo_entity": "CDC",
            "status": "success", "message": message}])
        return message

    @api.model
    def _qbo_changes(self, client, since):
        """Return ``[(entity, doc)]`` changed since ``since`` (tombstones included), oldest first."""
        docs = []
        for _round in range(MAX_ROUNDS):
            answer = client.cdc(FOLLOWED_ENTITIES, since)
            found = [(entity, doc) for block in answer.get("CDCResponse") or []
                     for response in block.get("QueryResponse") or []
                     for entity in FOLLOWED_ENTITIES for doc in response.get(entity) or []]
            docs += found
            if len(found) < CDC_MAX_OBJECTS:
                break
            # A full answer: read on from the latest change it holds.
            since = max(parse_qbo_time(doc["MetaData"]["LastUpdatedTime"]) for _entity, doc in found)
        return docs

    @api.model
    def _qbo_reconcile(self, client, since):
        """Return ``[(entity, doc)]`` of every followed entity (changed since ``since`` when given)."""
        where = since and f"MetaData.LastUpdatedTime > '{query_datetime(since)}'"
        return [(entity, doc) for entity in FOLLOWED_ENTITIES for doc in client.query_all(entity, where=where)]

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
