from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# What QuickBooks did to a document Odoo holds, noted until someone reviews it (or exports Odoo's version).
QBO_REMOTE_CHANGES = [
    ("changed", "Changed in QuickBooks"),
    ("voided", "Voided in QuickBooks"),
    ("deleted", "Deleted in QuickBooks"),
]
# The one status every QuickBooks badge shows; each model maps its own ``qbo_state`` onto it.
QBO_STATUSES = [
    ("not_exported", "Not in QuickBooks"),
    ("to_export", "To export"),
    ("retry", "Will be retried"),
    ("changed", "Changed in Odoo"),
    ("exported", "Exported"),
    ("imported", "From QuickBooks"),
    ("remote_changed", "Changed in QuickBooks"),
    ("remote_voided", "Voided in QuickBooks"),
    ("remote_deleted", "Deleted in QuickBooks"),
    ("error", "Error"),
    ("voided", "Voided"),
    ("removed", "Removed from QuickBooks"),
]


class QboSyncMixin(models.AbstractModel):
    """The QuickBooks bookkeeping of a record Odoo and QuickBooks both hold (moves, payments,
    expenses): its QuickBooks Id and version, what the export engine needs to retry it safely, and
    the writes of these fields.

    Each model declares its own ``qbo_state`` (its states differ), maps it onto the badge's status
    (``_qbo_status_by_state``) and is adapted to the export engine by a ``qbo.*.export`` model. A
    change QuickBooks made to the record (found by webhooks, change data capture or a pull) is noted
    in ``qbo_remote_change`` until it is reviewed, applied or overwritten by an export.
    """

    _name = "qbo.sync.mixin"
    _description = "QuickBooks Synchronized Record"

    # qbo_state -> qbo_status, for the states that are not the status of the same name.
    _qbo_status_by_state = {"to_send": "to_export"}

    qbo_id = fields.Char(string="QuickBooks ID", copy=False, readonly=True, index=True)
    qbo_sync_token = fields.Char(string="QuickBooks SyncToken", copy=False, readonly=True)
    qbo_error = fields.Text(string="QuickBooks Error", copy=False, readonly=True)
    qbo_export_generation = fields.Integer(
        string="QuickBooks Export Generation", copy=False, readonly=True,
        help="Part of the requestid of a creation: a new generation starts after a refused creation, so a "
             "corrected record is really sent again, while a retry after a lost answer replays.",
    )
    qbo_pending_requestid = fields.Char(
        string="QuickBooks Pending Request", copy=False, readonly=True,
        help="requestid of a creation whose answer was lost: the next attempt sends it again so that "
             "QuickBooks replays it instead of creating a second copy.",
    )
    qbo_retry_count = fields.Integer(string="QuickBooks Attempts", copy=False, readonly=True)
    qbo_next_attempt = fields.Datetime(string="QuickBooks Next Attempt", copy=False, readonly=True)
    qbo_remote_change = fields.Selection(
        QBO_REMOTE_CHANGES, string="QuickBooks Change", copy=False, readonly=True, index=True,
        help="QuickBooks changed, voided or deleted this record after Odoo last synchronized it; nothing was "
             "changed in Odoo.",
    )
    qbo_remote_difference = fields.Text(string="Difference in QuickBooks", copy=False, readonly=True)
    qbo_status = fields.Selection(
        QBO_STATUSES, string="QuickBooks Status", compute="_compute_qbo_status",
        help="Where the record stands with QuickBooks: a change made there first, then a failure, then its "
             "export.",
    )
    qbo_url = fields.Char(string="Open in QuickBooks", compute="_compute_qbo_url")

    # === COMPUTE METHODS === #

    @api.depends("qbo_state", "qbo_error", "qbo_remote_change")
    def _compute_qbo_status(self):
        for record in self:
            if record.qbo_remote_change:
                record.qbo_status = f"remote_{record.qbo_remote_change}"
            elif record.qbo_state == "to_send" and record.qbo_error:
                # A temporary failure: the export job tries again by itself.
                record.qbo_status = "retry"
            else:
                record.qbo_status = record._qbo_status_by_state.get(record.qbo_state, record.qbo_state)

    @api.depends("qbo_id", "company_id")
    def _compute_qbo_url(self):
        for record in self:
            record.qbo_url = record.company_id.sudo()._qbo_document_url(record._qbo_document_entity(),
                                                                        record.qbo_id)

    # === ACTION METHODS === #

    def action_qbo_open(self):
        """Open the record in QuickBooks (a new tab)."""
        self.ensure_one()
        self._qbo_check_access("user")
        return self._qbo_open_url(self.qbo_url)

    def action_qbo_open_logs(self):
        """Open the QuickBooks exchanges of this record."""
        self.ensure_one()
        self._qbo_check_access("user")
        action = self.env["ir.actions.act_window"]._for_xml_id("quickbooks_connector.action_qbo_sync_log")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    # === TOOLING === #

    def _qbo_write(self, values):
        """Write QuickBooks bookkeeping fields (``qbo_*``) straight to their columns.

        Nothing depends on them: the checks of ``write`` (a move's balance and lock dates, an
        expense's state) have nothing to check, an export of thousands of records would pay them
        for each one, and a record must not look edited by hand either.
        """
        self._qbo_write_each(dict.fromkeys(self.ids, values))

    @api.model
    def _qbo_write_each(self, values_by_id):
        """Like ``_qbo_write``, with values of its own for each record: ``{record id: values}``.

        One UPDATE for all the records given the same fields (an export settles 30 records at once).
        """
        groups = defaultdict(dict)
        for record_id, values in values_by_id.items():
            groups[tuple(sorted(values))][record_id] = values
        for names, group in groups.items():
            if any(not name.startswith("qbo_") or not self._fields.get(name) or not self._fields[name].store
                   for name in names):
                raise ValueError(f"_qbo_write only writes QuickBooks fields (stored ones), not {list(names)}")
            records = self.browse(list(group))
            records.flush_recordset(list(names))
            fields_ = [self._fields[name] for name in names]
            row = "(%s, " + ", ".join(f"%s::{field.column_type[1]}" for field in fields_) + ")"
            rows = SQL(", ").join(
                SQL(row, record.id, *(field.convert_to_column(group[record.id][field.name], record)
                                      for field in fields_))
                for record in records
            )
            self.env.cr.execute(SQL(
                "UPDATE %s AS target SET %s, write_uid = %s, write_date = %s "
                "FROM (VALUES %s) AS qbo(id, %s) WHERE target.id = qbo.id",
                SQL.identifier(self._table),
                SQL(", ").join(SQL("%s = qbo.%s", SQL.identifier(name), SQL.identifier(name)) for name in names),
                self.env.uid, self.env.cr.now(), rows, SQL(", ").join(SQL.identifier(name) for name in names),
            ))
            records.invalidate_recordset([*names, "write_uid", "write_date"])
            # What is computed from them (e.g. the "Open in QuickBooks" address) is computed again.
            records.modified(names)

    def _qbo_document_entity(self):
        """The QuickBooks entity of this record's copy (for its address in QuickBooks), or None."""
        self.ensure_one()
        return None

    def _qbo_clear_remote_change(self):
        """Forget the change QuickBooks made: reviewed in Odoo, or overwritten by Odoo's version."""
        self._qbo_write({"qbo_remote_change": False, "qbo_remote_difference": False})

    @api.model
    def _qbo_notification(self, message, notification_type):
        return self.env["res.company"]._qbo_notification(message, notification_type)

    def _qbo_open_url(self, url):
        """Open a QuickBooks address in a new tab."""
        if not url:
            raise UserError(_("QuickBooks: this record is not in QuickBooks."))
        return {"type": "ir.actions.act_url", "url": url, "target": "new"}
