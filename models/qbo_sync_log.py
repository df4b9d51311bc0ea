import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# Successful exchanges are kept this many days; failed ones until someone deletes them.
SUCCESS_RETENTION_DAYS = 90
MESSAGE_MAX = 2000
# The action that sends a record of each kind to QuickBooks again (it checks who may).
RETRY_ACTIONS = {"account.move": "action_qbo_retry", "hr.expense": "action_qbo_export",
                 "account.payment": "action_qbo_retry"}


class QboSyncLog(models.Model):
    """One exchange with QuickBooks Online: what, for which record, how it went and how long it took.

    Rows hold ids, statuses and messages only: never a token nor a QuickBooks payload.
    """

    _name = "qbo.sync.log"
    _description = "QuickBooks Sync Log"
    _order = "id desc"
    _rec_name = "summary"

    company_id = fields.Many2one("res.company", string="Company", required=True, index=True, ondelete="cascade",
                                 default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user, ondelete="set null")
    direction = fields.Selection(
        [("export", "Odoo to QuickBooks"), ("import", "QuickBooks to Odoo")],
        string="Direction", required=True, default="export",
    )
    operation = fields.Selection(
        [("create", "Create"), ("update", "Update"), ("void", "Void"), ("delete", "Delete"), ("send", "Send"),
         ("read", "Read")],
        string="Operation", required=True,
    )
    qbo_entity = fields.Char(string="QuickBooks Entity", required=True)
    qbo_id = fields.Char(string="QuickBooks ID", index=True)
    res_model = fields.Char(string="Odoo Model", index=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", index=True)
    res_name = fields.Char(string="Odoo Record")
    status = fields.Selection(
        [("success", "Success"), ("retry", "Will be retried"), ("error", "Error")],
        string="Status", required=True, index=True,
    )
    message = fields.Text(string="Message")
    requestid = fields.Char(string="Request ID", help="Idempotency key sent with the call: a retry replays it.")
    duration = fields.Float(string="Duration (s)", digits=(16, 3))
    summary = fields.Char(string="Summary", compute="_compute_summary")

    @api.depends("operation", "qbo_entity", "res_name", "status")
    def _compute_summary(self):
        operations = dict(self._fields["operation"].selection)
        for log in self:
            log.summary = f"{operations.get(log.operation, '')} {log.qbo_entity or ''} {log.res_name or ''}".strip()

    # === ACTION METHODS === #

    def action_retry(self):
        """Send again the Odoo records of these failed exchanges (invoices and bills, expenses,
        payments), each through its own export action.

        :return: the notification of the export (of the first kind, when several are selected)
        :raise UserError: if none of the exchanges concerns a record that can be sent again
        """
        self._qbo_check_access("manager")
        actions = []
        for res_model, logs in self.filtered(lambda log: log.status != "success").grouped("res_model").items():
            method = RETRY_ACTIONS.get(res_model)
            records = method and self.env[res_model].browse(logs.mapped("res_id")).exists()
            if records:
                actions.append(getattr(records, method)())
        if not actions:
            raise UserError(_("QuickBooks: only failed exchanges of invoices, bills, expenses and payments can be "
                              "sent again."))
        return actions[0]

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

    # === BUSINESS METHODS === #

    @api.model
    def _qbo_log(self, entries):
        """Record exchanges (as superuser: who may export may leave a trace) and log them in short.

        :param list entries: dicts of field values (``company_id``, ``operation``, ``qbo_entity``,
            ``status`` required); ``message`` is cut to a reasonable length
        :return: the new logs
        """
        for entry in entries:
            if entry.get("message"):
                entry["message"] = str(entry["message"])[:MESSAGE_MAX]
            entry.setdefault("user_id", self.env.uid)
            _logger.log(logging.DEBUG if entry["status"] == "success" else logging.INFO,
                        "QuickBooks %s %s %s (%s %s): %s", entry["operation"], entry["qbo_entity"],
                         entry.get("qbo_id") or "-", entry.get("res_model") or "-", entry.get("res_id") or "-",
                         entry["status"])
        return self.sudo().create(entries)

    @api.autovacuum
    def _gc_qbo_sync_log(self):
        """Forget successful exchanges older than ``SUCCESS_RETENTION_DAYS``."""
        limit = fields.Datetime.now() - timedelta(days=SUCCESS_RETENTION_DAYS)
        self.sudo().search([("status", "=", "success"), ("create_date", "<", limit)]).unlink()
