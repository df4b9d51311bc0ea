from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Entities whose changes Odoo follows (webhooks and change data capture); events of any other entity are
# acknowledged and ignored.
FOLLOWED_ENTITIES = ("Invoice", "Payment", "Purchase", "Customer", "Vendor", "Item")
# Webhooks also tell when the QuickBooks company's settings change (exports depend on them).
WEBHOOK_ENTITIES = (*FOLLOWED_ENTITIES, "Preferences")
OPERATIONS = [("Create", "Create"), ("Update", "Update"), ("Delete", "Delete"), ("Merge", "Merge"),
              ("Void", "Void"), ("Emailed", "Emailed")]
# Processed events are kept this many days; failed and pending ones until they are handled.
RETENTION_DAYS = 90
EVENT_STATES = [("pending", "To process"), ("done", "Processed"), ("ignored", "Ignored"), ("error", "Error")]


class QboWebhookEvent(models.Model):
    """One change QuickBooks told about (a webhook event, or a change found by change data capture).

    Only a hint: the processor reads the entity again through the API. ``event_key`` makes a second
    delivery of the same event a no-op.
    """

    _name = "qbo.webhook.event"
    _description = "QuickBooks Change Event"
    _order = "event_time desc, id desc"
    _rec_name = "summary"

    company_id = fields.Many2one("res.company", string="Company", required=True, index=True, ondelete="cascade")
    realm_id = fields.Char(string="Realm ID", required=True)
    qbo_entity = fields.Char(string="QuickBooks Entity", required=True, index=True)
    qbo_id = fields.Char(string="QuickBooks ID", required=True, index=True)
    operation = fields.Selection(OPERATIONS, string="Operation", required=True)
    deleted_id = fields.Char(string="Merged Away ID", help="For a merge: the id of the record merged into this one.")
    event_time = fields.Datetime(string="Changed in QuickBooks on", required=True, index=True)
    event_key = fields.Char(string="Event ID", required=True, help="Intuit's event id, or a digest of the event.")
    source = fields.Selection([("webhook", "Webhook"), ("cdc", "Change data capture")], string="Source",
                              required=True, default="webhook")
    state = fields.Selection(EVENT_STATES, string="Status", required=True, default="pending", index=True)
    processed_at = fields.Datetime(string="Processed on", readonly=True)
    action_taken = fields.Char(string="Action", readonly=True)
    error = fields.Text(string="Error", readonly=True)
    detail = fields.Text(string="What Differed", readonly=True,
                         help="The difference reported on the Odoo record: the same one is never reported twice.")
    qbo_sync_token = fields.Char(string="SyncToken Seen", readonly=True,
                                 help="Version of the entity read when the event was processed.")
    res_model = fields.Char(string="Odoo Model", readonly=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", readonly=True)
    summary = fields.Char(string="Summary", compute="_compute_summary")

    _sql_constraints = [
        ("event_key_unique", "unique(company_id, event_key)", "This QuickBooks event is already recorded."),
    ]

    @api.depends("operation", "qbo_entity", "qbo_id")
    def _compute_summary(self):
        for event in self:
            event.summary = f"{event.qbo_entity or ''} {event.qbo_id or ''} {event.operation or ''}".strip()

    # === ACTION METHODS === #

    def action_retry(self):
        """Process these failed events again now."""
        self._qbo_check_access("manager", "write")
        failed = self.filtered(lambda event: event.state == "error")
        if not failed:
            raise UserError(_("QuickBooks: only events in error can be processed again."))
        failed.sudo().write({"state": "pending", "error": False})
        self.env["qbo.event.processor"].sudo()._qbo_process(failed.company_id.sudo())
        return True

    def action_open_record(self):
        """Open the Odoo record the event was applied to."""
        self.ensure_one()
        self._qbo_check_access("user")
        if not self.res_model or not self.res_id:
            raise UserError(_("QuickBooks: this event concerns no Odoo record."))
        return {"type": "ir.actions.act_window", "res_model": self.res_model, "res_id": self.res_id,
                "view_mode": "form", "target": "current"}

    # === BUSINESS METHODS === #

    @api.model
    def _qbo_record(self, company, events):
        """Record new events of ``company`` (dicts of field values), skipping those already recorded.

        One INSERT ... ON CONFLICT DO NOTHING: an event recorded by a concurrent delivery of the same
        notification is waited for and skipped (if that transaction commits after this one's
        snapshot, PostgreSQL asks for a retry, which Odoo does; the retry finds it recorded).

        :return: the new events
        """
        fresh = {}
        for event in events:
            fresh.setdefault(event["event_key"], event)
        if not fresh:
            return self.browse()
        now = self.env.cr.now()
        rows = SQL(", ").join(
            SQL("(%s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s, %s)", company.id, event["realm_id"],
                event["qbo_entity"], event["qbo_id"], event["operation"], event.get("deleted_id") or None,
                event["event_time"], event["event_key"], event.get("source", "webhook"),
                self.env.uid, now, self.env.uid, now)
            for event in fresh.values())
        self.env.cr.execute(SQL(
            "INSERT INTO qbo_webhook_event (company_id, realm_id, qbo_entity, qbo_id, operation, deleted_id, "
            "event_time, event_key, source, state, create_uid, create_date, write_uid, write_date) "
            "VALUES %s ON CONFLICT (company_id, event_key) DO NOTHING RETURNING id", rows))
        return self.sudo().browse([row[0] for row in self.env.cr.fetchall()])

    @api.autovacuum
    def _gc_qbo_webhook_event(self):
        """Forget events processed or ignored more than ``RETENTION_DAYS`` ago."""
        limit = fields.Datetime.now() - timedelta(days=RETENTION_DAYS)
        self.sudo().search([("state", "in", ("done", "ignored")), ("processed_at", "<", limit)]).unlink()
