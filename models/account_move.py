from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..qbo_payload.account_move import ENTITY_BY_MOVE_TYPE, SENDABLE_ENTITIES

MANAGER_GROUP = "quickbooks_connector.group_qbo_manager"
QBO_MOVE_STATES = [
    ("not_exported", "Not exported"),
    ("to_send", "To export"),
    ("exported", "Exported"),
    ("changed", "Changed since export"),
    ("error", "Error"),
    ("voided", "Voided"),
]
# Fields of a posted move that change its QuickBooks copy when edited.
QBO_TRACKED_FIELDS = ("ref", "narration", "invoice_date_due")
# QuickBooks web app per environment (a custom environment is the local sandbox: its own address).


class AccountMove(models.Model):
    _inherit = "account.move"

    qbo_state = fields.Selection(
        QBO_MOVE_STATES, string="QuickBooks", default="not_exported", required=True, copy=False,
        readonly=True, index=True,
    )
    qbo_id = fields.Char(string="QuickBooks ID", copy=False, readonly=True, index=True)
    qbo_doc_number = fields.Char(string="QuickBooks Number", copy=False, readonly=True)
    qbo_sync_token = fields.Char(string="QuickBooks SyncToken", copy=False, readonly=True)
    qbo_error = fields.Text(string="QuickBooks Error", copy=False, readonly=True)
    qbo_export_generation = fields.Integer(
        string="QuickBooks Export Generation", copy=False, readonly=True,
        help="Part of the requestid of a creation: a new generation starts after a refused creation, so a "
             "corrected document is really sent again, while a retry after a lost answer replays.",
    )
    qbo_pending_requestid = fields.Char(
        string="QuickBooks Pending Request", copy=False, readonly=True,
        help="requestid of a creation whose answer was lost: the next attempt sends it again so that "
             "QuickBooks replays it instead of creating a second copy.",
    )
    qbo_retry_count = fields.Integer(string="QuickBooks Attempts", copy=False, readonly=True)
    qbo_next_attempt = fields.Datetime(string="QuickBooks Next Attempt", copy=False, readonly=True)
    qbo_exported_at = fields.Datetime(string="Exported to QuickBooks on", copy=False, readonly=True)
    qbo_sent_at = fields.Datetime(string="Emailed by QuickBooks on", copy=False, readonly=True)
    qbo_amount_total = fields.Monetary(string="QuickBooks Total", copy=False, readonly=True)
    qbo_amount_tax = fields.Monetary(string="QuickBooks Tax", copy=False, readonly=True)
    qbo_export_requested_by = fields.Many2one("res.users", string="QuickBooks Export Requested by", copy=False,
                                              readonly=True)
    qbo_url = fields.Char(string="Open in QuickBooks", compute="_compute_qbo_url")

    # === COMPUTE METHODS === #

    @api.depends("qbo_id", "move_type", "company_id")
    def _compute_qbo_url(self):
        for move in self:
            move.qbo_url = move.company_id.sudo()._qbo_document_url(
                ENTITY_BY_MOVE_TYPE.get(move.move_type), move.qbo_id)

    # === CRUD / OVERRIDES === #

    def write(self, vals):
        # EXTENDS 'account': an exported document edited after posting differs from its QuickBooks copy.
        if set(vals) & set(QBO_TRACKED_FIELDS) and "qbo_state" not in vals:
            changed = self.filtered(lambda move: move.state == "posted" and move.qbo_id
                                    and move.qbo_state in ("exported", "error"))
            result = super().write(vals)
            changed.filtered(lambda move: move.state == "posted").sudo()._qbo_write({"qbo_state": "changed"})
            return result
        return super().write(vals)

    def button_draft(self):
        # EXTENDS 'account': a document reset to draft differs (or will) from its QuickBooks copy.
        result = super().button_draft()
        exported = self.filtered(lambda move: move.qbo_id and move.qbo_state not in ("voided", "changed"))
        exported.sudo()._qbo_write({"qbo_state": "changed"})
        queued = self.filtered(lambda move: not move.qbo_id and move.qbo_state in ("to_send", "error"))
        queued.sudo()._qbo_write({"qbo_state": "not_exported", "qbo_export_requested_by": False})
        return result

    def button_cancel(self):
        # EXTENDS 'account': the QuickBooks copy of a cancelled document is voided first; if QuickBooks
        # refuses (payments applied there), nothing is cancelled.
        # Odoo cancels first: a refusal from QuickBooks then rolls the whole cancellation back.
        to_void = self.filtered(lambda move: move.qbo_id and move.qbo_state != "voided")
        result = super().button_cancel()
        if to_void:
            done = self.env["qbo.move.export"].sudo()._qbo_void_moves(to_void.sudo())
            for move, values in done.items():
                move._qbo_write(values)
        return result

    def _post(self, soft=True):
        # EXTENDS 'account': queue the export of posted documents when the company asks for it.
        posted = super()._post(soft=soft)
        to_queue = posted.filtered(lambda move: move._qbo_is_exportable_document()
                                   and move.company_id.qbo_export_on_post and move.company_id.qbo_realm_id)
        if to_queue:
            to_queue.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                        "qbo_next_attempt": False})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export_moves")._trigger()
        return posted

    # === ACTION METHODS === #

    def action_qbo_export(self):
        """Export the posted documents of the selection to QuickBooks (Action > Export to QBO).

        Drafts and cancelled documents are skipped and counted. Up to the company's limit the export
        runs now; larger selections are queued for the export cron, which notifies the user at the end.

        :return: a ``display_notification`` action with the counts
        :raise AccessError: if the user is not a QuickBooks manager
        :raise UserError: if a company of the selection is not connected to QuickBooks (nothing changes)
        """
        self._qbo_check_manager()
        from_expenses = self.filtered("expense_sheet_id")
        documents = (self - from_expenses).filtered(lambda move: move.move_type in ENTITY_BY_MOVE_TYPE)
        posted = documents.filtered(lambda move: move.state == "posted")
        skipped = len(self) - len(posted) - len(from_expenses)
        for company in posted.company_id.sudo():
            if company.qbo_state != "connected":
                raise UserError(company._qbo_not_connected_message())
        limit = max(posted.company_id.mapped("qbo_export_sync_limit") or [30])
        if len(posted) > limit:
            posted.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                      "qbo_next_attempt": False, "qbo_export_requested_by": self.env.uid})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export_moves")._trigger()
            message = _("%(count)s documents queued for export to QuickBooks; you will be notified when it is "
                        "done.", count=len(posted))
            if skipped:
                message += " " + _("%s skipped: not posted.", skipped)
            if from_expenses:
                message += " " + _("%s skipped: exported with their expense report.", len(from_expenses))
            return self._qbo_notification(message, "info")
        report = self.env["qbo.move.export"].sudo()._qbo_export_moves(posted.sudo())
        return self._qbo_notification(report.message(skipped, len(from_expenses)), report.notification_type())

    def action_qbo_retry(self):
        """Export again the documents whose export failed (or changed since their export)."""
        self._qbo_check_manager()
        return self.action_qbo_export()

    def action_qbo_send(self):
        """Have QuickBooks email the exported invoice or credit note to the customer's invoice address."""
        self._qbo_check_manager()
        moves = self.filtered(lambda move: move.qbo_id and move.qbo_state == "exported"
                              and ENTITY_BY_MOVE_TYPE.get(move.move_type) in SENDABLE_ENTITIES)
        if not moves:
            raise UserError(_("QuickBooks: export the invoices or credit notes first; only exported ones can be "
                              "emailed by QuickBooks."))
        report = self.env["qbo.move.export"].sudo()._qbo_send_moves(moves.sudo())
        return self._qbo_notification(report.message(len(self) - len(moves)), report.notification_type())

    def action_qbo_preview(self):
        """Show the exact JSON the export would send for this document, without sending it.

        :return: the preview wizard
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_manager()
        wizard = self.env["qbo.preview.wizard"].create(
            self.env["qbo.move.export"].sudo()._qbo_preview_values(self.sudo()))
        return {
            "type": "ir.actions.act_window",
            "name": _("QuickBooks Preview"),
            "res_model": "qbo.preview.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_qbo_open(self):
        """Open the document in QuickBooks."""
        self.ensure_one()
        if not self.qbo_url:
            raise UserError(_("QuickBooks: this document is not in QuickBooks."))
        return {"type": "ir.actions.act_url", "url": self.qbo_url, "target": "new"}

    def action_qbo_open_logs(self):
        """Open the QuickBooks exchanges of this document."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("quickbooks_connector.action_qbo_sync_log")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    # === CRON === #

    @api.model
    def _cron_qbo_export(self):
        """Export one bounded batch of queued documents and report progress; the runner calls again
        while some remain, and the users who queued them are notified when theirs are all done."""
        self.env["qbo.move.export"]._qbo_cron_export()

    # === TOOLING === #

    def _qbo_is_exportable_document(self):
        """Whether this move is a document exported on its own: the entries of expense reports go to
        QuickBooks with their expenses (as a Purchase or a Bill), never a second time as a move."""
        self.ensure_one()
        return self.move_type in ENTITY_BY_MOVE_TYPE and not self.expense_sheet_id

    def _qbo_write(self, values):
        """Write QuickBooks bookkeeping fields (``qbo_*``) straight to their columns.

        Nothing depends on them but ``qbo_url``: the accounting checks of ``write`` (balance, lock
        dates, dynamic lines) have nothing to check, and an export of thousands of documents would
        pay them for each one; a document must not look edited by hand either.
        """
        self._qbo_write_each(dict.fromkeys(self.ids, values))

    @api.model
    def _qbo_write_each(self, values_by_id):
        """Like ``_qbo_write``, with values of its own for each move: ``{move id: values}``.

        One UPDATE for all the moves given the same fields (an export settles 30 documents at once).
        """
        groups = defaultdict(dict)
        for move_id, values in values_by_id.items():
            groups[tuple(sorted(values))][move_id] = values
        for names, group in groups.items():
            if any(not name.startswith("qbo_") or name not in self._fields for name in names):
                raise ValueError(f"_qbo_write only writes QuickBooks fields, not {list(names)}")
            moves = self.browse(list(group))
            moves.flush_recordset(list(names))
            fields_ = [self._fields[name] for name in names]
            row = "(%s, " + ", ".join(f"%s::{field.column_type[1]}" for field in fields_) + ")"
            rows = SQL(", ").join(
                SQL(row, move.id, *(field.convert_to_column(group[move.id][field.name], move) for field in fields_))
                for move in moves
            )
            self.env.cr.execute(SQL(
                "UPDATE account_move AS move SET %s, write_uid = %s, write_date = %s "
                "FROM (VALUES %s) AS qbo(id, %s) WHERE move.id = qbo.id",
                SQL(", ").join(SQL("%s = qbo.%s", SQL.identifier(name), SQL.identifier(name)) for name in names),
                self.env.uid, self.env.cr.now(), rows, SQL(", ").join(SQL.identifier(name) for name in names),
            ))
            moves.invalidate_recordset([*names, "qbo_url", "write_uid", "write_date"])

    def _qbo_check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only QuickBooks managers can export documents to QuickBooks."))

    @api.model
    def _qbo_notification(self, message, notification_type):
        return self.env["res.company"]._qbo_notification(message, notification_type)
