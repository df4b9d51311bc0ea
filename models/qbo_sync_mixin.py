from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class QboSyncMixin(models.AbstractModel):
    """The QuickBooks bookkeeping of a record Odoo and QuickBooks both hold (moves, payments,
    expenses): its QuickBooks Id and version, what the export engine needs to retry it safely, and
    the writes of these fields.

    Each model declares its own ``qbo_state`` (its states differ) and is adapted to the export
    engine by a ``qbo.*.export`` model.
    """

    _name = "qbo.sync.mixin"
    _description = "QuickBooks Synchronized Record"

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

    # === ACTION METHODS === #

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

    @api.model
    def _qbo_notification(self, message, notification_type):
        return self.env["res.company"]._qbo_notification(message, notification_type)

    def _qbo_open_url(self, url):
        """Open a QuickBooks address in a new tab."""
        if not url:
            raise UserError(_("QuickBooks: this record is not in QuickBooks."))
        return {"type": "ir.actions.act_url", "url": url, "target": "new"}
