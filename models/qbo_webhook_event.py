from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Entities whose changes Odoo follows (webhooks and change data capture), besides the documents the import
# of documents reads (``qbo.webhook.event._qbo_followed_entities``); events of any other entity are
# acknowledged and ignored.
FOLLOWED_ENTITIES = ("Invoice", "Payment", "Purchase", "Customer", "Vendor", "Item")
# Webhooks also tell when the QuickBooks company's settings change (exports depend on them).
SETTINGS_ENTITY = "Preferences"
OPERATIONS = [("Create", "Create"), ("Update", "Update"), ("Delete", "Delete"), ("Merge", "Merge"),
              ("Void", "Void"), ("Emailed", "Emailed")]
# Processed events are kept this many days; failed and pending ones until they are handled.
RETENTION_DAYS = 90
EVENT_STATES = [("pending", "To process"), ("done", "Processed"), ("ignored", "Ignored"), ("error", "Error")]
# The Odoo documents a change may concern: per QuickBooks entity, the model and the domain finding the
# record of one QuickBooks Id (name lists are found through their links).
RECORD_MODELS = ("account.move", "account.payment", "hr.expense", "res.partner", "product.product")
DOCUMENT_MODELS = {
    "Invoice": ("account.move", [("move_type", "=", "out_invoice")]),
    "Payment": ("account.payment", [("qbo_entity", "=", "Payment")]),
    "Purchase": ("hr.expense", [("qbo_entity", "=", "Purchase")]),
}


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
    source = fields.Selection([("webhook", "Webhook"), ("cdc", "Catch-up")], string="Source",
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
    odoo_record = fields.Reference(selection="_selection_odoo_record", string="Odoo Document",
                                   compute="_compute_documents")
    qbo_document = fields.Char(string="QuickBooks Document", compute="_compute_documents")
    summary = fields.Char(string="Summary", compute="_compute_summary")

    _sql_constraints = [
        ("event_key_unique", "unique(company_id, event_key)", "This QuickBooks event is already recorded."),
    ]

    @api.model
    def _selection_odoo_record(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search(
            [("model", "in", self._qbo_record_models())])]

    @api.depends("company_id", "qbo_entity", "qbo_id", "res_model", "res_id")
    def _compute_documents(self):
        """The Odoo document a change concerns (the one it was applied to, else the one holding that
        QuickBooks record) and the QuickBooks record by its number or name: one query per entity."""
        found = {}  # (company, entity, QuickBooks Id) -> (Odoo record, QuickBooks name)
        document_models, record_models = self._qbo_document_models(), self._qbo_record_models()
        for (company, entity), events in self.grouped(lambda event: (event.company_id, event.qbo_entity)).items():
            qbo_ids = events.mapped("qbo_id")
            if entity in document_models:
                model, domain = document_models[entity]
                for record in self.env[model].sudo().search([("company_id", "=", company.id),
                                                             ("qbo_id", "in", qbo_ids), *domain], order="id"):
                    found.setdefault((company, entity, record.qbo_id), (record, None))
                continue
            for mapping in self.env["qbo.mapping"].sudo().search([
                    ("company_id", "=", company.id), ("qbo_entity", "=", entity), ("qbo_id", "in", qbo_ids)]):
                if mapping.res_model in record_models:
                    found[(company, entity, mapping.qbo_id)] = (
                        self.env[mapping.res_model].sudo().browse(mapping.res_id), mapping.qbo_name)
        fault = self.env["qbo.fault"]
        for event in self:
            record, name = found.get((event.company_id, event.qbo_entity, event.qbo_id), (None, None))
            if event.res_model in record_models and event.res_id:
                record = self.env[event.res_model].sudo().browse(event.res_id)
            record = record and record.exists()
            number = (f"'{name}'" if name else None) or (
                record and "qbo_doc_number" in record._fields and record.qbo_doc_number) or event.qbo_id
            event.qbo_document = f"{fault._qbo_entity_label(event.qbo_entity, title=True)} {number}"
            event.odoo_record = f"{record._name},{record.id}" if record else False

    @api.depends("operation", "qbo_document")
    def _compute_summary(self):
        operations = dict(self._fields["operation"]._description_selection(self.env))
        for event in self:
            event.summary = " ".join(filter(None, (event.qbo_document, operations.get(event.operation))))

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
        """Open the Odoo document the change concerns."""
        self.ensure_one()
        self._qbo_check_access("user")
        if not self.odoo_record:
            raise UserError(_("QuickBooks: this change concerns no Odoo document."))
        return {"type": "ir.actions.act_window", "res_model": self.odoo_record._name, "res_id": self.odoo_record.id,
                "view_mode": "form", "target": "current"}

    # === BUSINESS METHODS === #

    @api.model
    def _qbo_followed_entities(self):
        """The entities whose changes Odoo asks change data capture for and records from webhooks: the
        followed ones, every kind of document the import reads (whether a company imports it is the
        processor's question), and what bridge addons add."""
        imported = [adapter._qbo_entity for adapter in self.env["qbo.document.import"]._qbo_import_adapters()]
        return tuple(dict.fromkeys((*FOLLOWED_ENTITIES, *imported)))

    @api.model
    def _qbo_document_models(self):
        """Per QuickBooks entity, the Odoo model holding its copies and the domain finding them (bridge addons
        add theirs)."""
        return dict(DOCUMENT_MODELS)

    @api.model
    def _qbo_record_models(self):
        """The Odoo models a change may concern."""
        return RECORD_MODELS

    @api.model
    def _qbo_webhook_entities(self):
        return (*self._qbo_followed_entities(), SETTINGS_ENTITY)

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
