from odoo import _, fields, models
from odoo.exceptions import UserError

from ..qbo_payload.account_move import ENTITY_BY_MOVE_TYPE, SENDABLE_ENTITIES

QBO_MOVE_STATES = [
    ("not_exported", "Not exported"),
    ("imported", "Imported from QuickBooks"),
    ("to_send", "To export"),
    ("exported", "Exported"),
    ("changed", "Changed in Odoo since export"),
    ("error", "Error"),
    ("voided", "Voided"),
]
# Fields of a posted move that change its QuickBooks copy when edited.
QBO_TRACKED_FIELDS = ("ref", "narration", "invoice_date_due")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "qbo.sync.mixin"]

    qbo_state = fields.Selection(
        QBO_MOVE_STATES, string="QuickBooks", default="not_exported", required=True, copy=False,
        readonly=True, index=True,
    )
    qbo_doc_number = fields.Char(string="QuickBooks Number", copy=False, readonly=True)
    qbo_exported_at = fields.Datetime(string="Exported to QuickBooks on", copy=False, readonly=True)
    qbo_sent_at = fields.Datetime(string="Emailed by QuickBooks on", copy=False, readonly=True)
    qbo_amount_total = fields.Monetary(string="QuickBooks Total", copy=False, readonly=True)
    qbo_amount_tax = fields.Monetary(string="QuickBooks Tax", copy=False, readonly=True)
    qbo_export_requested_by = fields.Many2one("res.users", string="QuickBooks Export Requested by", copy=False,
                                              readonly=True)
    qbo_imported = fields.Boolean(
        string="Created in QuickBooks", copy=False, readonly=True,
        help="Imported from QuickBooks: QuickBooks holds its reference version, Odoo never sends it back; "
             "change, void or delete it in QuickBooks.")
    qbo_imported_entity = fields.Char(
        string="QuickBooks Type", copy=False, readonly=True,
        help="What the document imported from QuickBooks is there (e.g. SalesReceipt for an invoice paid at once).")

    # === CRUD / OVERRIDES === #

    def write(self, vals):
        # EXTENDS 'account': an exported document edited after posting differs from its QuickBooks copy.
        if set(vals) & set(QBO_TRACKED_FIELDS) and "qbo_state" not in vals:
            changed = self.filtered(lambda move: move.state == "posted" and move.qbo_id and (
                move.qbo_state in ("exported", "error") or move.qbo_state == "imported" and move._qbo_sends_edits()))
            result = super().write(vals)
            changed.filtered(lambda move: move.state == "posted").sudo()._qbo_write({"qbo_state": "changed"})
            return result
        return super().write(vals)

    def button_draft(self):
        # EXTENDS 'account': a document reset to draft differs (or will) from its QuickBooks copy.
        self._qbo_check_not_imported()
        result = super().button_draft()
        exported = self.filtered(lambda move: move.qbo_id and (not move.qbo_imported or move._qbo_sends_edits())
                                 and move.qbo_state not in ("voided", "changed"))
        exported.sudo()._qbo_write({"qbo_state": "changed"})
        queued = self.filtered(lambda move: not move.qbo_id and move.qbo_state in ("to_send", "error"))
        queued.sudo()._qbo_write({"qbo_state": "not_exported", "qbo_export_requested_by": False})
        return result

    def button_cancel(self):
        # EXTENDS 'account': the QuickBooks copy of a cancelled document is voided first; if QuickBooks
        # refuses (payments applied there), nothing is cancelled.
        # Odoo cancels first: a refusal from QuickBooks then rolls the whole cancellation back.
        self._qbo_check_not_imported()
        to_void = self.filtered(lambda move: move.qbo_id and (not move.qbo_imported or move._qbo_sends_edits())
                                and move.qbo_state != "voided" and not self.env.context.get("qbo_import"))
        result = super().button_cancel()
        if to_void:
            done = self.env["qbo.move.export"].sudo()._qbo_void_moves(to_void.sudo())
            for move, values in done.items():
                # Voided on both sides: a change QuickBooks made before no longer matters.
                move._qbo_write({**values, "qbo_remote_change": False, "qbo_remote_difference": False})
        return result

    def _post(self, soft=True):
        # EXTENDS 'account': queue the export of posted documents when the company asks for it.
        posted = super()._post(soft=soft)
        to_queue = posted.filtered(lambda move: move._qbo_is_exportable_document()
                                   and move.company_id.qbo_export_on_post and move.company_id.qbo_realm_id)
        if self.env.context.get("qbo_import"):
            to_queue = to_queue.browse()  # posted as QuickBooks holds it
        if to_queue:
            to_queue.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                        "qbo_next_attempt": False})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
        return posted

    def _must_check_constrains_date_sequence(self):
        # EXTENDS 'account': the name of a document created in QuickBooks is its DocNumber, none of Odoo's
        # date-based sequences.
        return super()._must_check_constrains_date_sequence() and not self.qbo_imported

    # === ACTION METHODS === #

    def action_qbo_export(self):
        """Export the posted documents of the selection to QuickBooks (Action > Export to QuickBooks).

        Drafts and cancelled documents are skipped and counted. Up to the company's limit the export
        runs now; larger selections are queued for the export cron, which notifies the user at the end.

        :return: a ``display_notification`` action with the counts
        :raise AccessError: if the user is not a QuickBooks manager who may change these documents
        :raise UserError: if a company of the selection is not connected to QuickBooks (nothing changes)
        """
        self._qbo_check_access("manager", "write")
        from_expenses = self.filtered("expense_sheet_id")
        imported = self.filtered(lambda move: move.qbo_imported and not move._qbo_sends_edits())
        documents = (self - from_expenses - imported).filtered(lambda move: move.move_type in ENTITY_BY_MOVE_TYPE)
        posted = documents.filtered(lambda move: move.state == "posted")
        skipped = len(self) - len(posted) - len(from_expenses) - len(imported)
        if imported and not posted:
            raise UserError(_("QuickBooks: %s created in QuickBooks, never sent back by Odoo; change it in "
                              "QuickBooks.", ", ".join(imported.mapped("display_name"))))
        for company in posted.company_id.sudo():
            if company.qbo_state != "connected":
                raise UserError(company._qbo_not_connected_message())
        limit = max(posted.company_id.mapped("qbo_export_sync_limit") or [30])
        if len(posted) > limit:
            posted.sudo()._qbo_write({"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0,
                                      "qbo_next_attempt": False, "qbo_export_requested_by": self.env.uid})
            self.env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
            message = _("%(count)s documents queued for export to QuickBooks; you will be notified when it is "
                        "done.", count=len(posted))
            if skipped:
                message += " " + _("%s skipped: not posted.", skipped)
            if from_expenses:
                message += " " + _("%s skipped: exported with their expense report.", len(from_expenses))
            if imported:
                message += " " + _("%s skipped: created in QuickBooks.", len(imported))
            return self._qbo_notification(message, "info")
        report = self.env["qbo.move.export"].sudo()._qbo_export_moves(posted.sudo())
        message = report.message(skipped, len(from_expenses))
        if imported:
            message += ", " + _("%s skipped: created in QuickBooks", len(imported))
        return self._qbo_notification(message, report.notification_type())

    def action_qbo_retry(self):
        """Export again the documents whose export failed (or changed since their export)."""
        return self.action_qbo_export()

    def action_qbo_send(self):
        """Have QuickBooks email the exported invoice or credit note to the customer's invoice address."""
        self._qbo_check_access("manager", "write")
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
        self._qbo_check_access("manager")
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

    def action_qbo_clear_flags(self):
        """Mark the change QuickBooks made to these documents as reviewed: Odoo keeps its version.

        :raise AccessError: if the user is not a QuickBooks manager who may change these documents
        """
        self._qbo_check_access("manager", "write")
        flagged = self.filtered("qbo_remote_change")
        flagged.sudo()._qbo_clear_remote_change()
        for move in flagged:
            move._message_log(body=_("QuickBooks change reviewed: Odoo keeps its version."))

    # === TOOLING === #

    def _qbo_document_entity(self):
        self.ensure_one()
        return ENTITY_BY_MOVE_TYPE.get(self.move_type)

    def _qbo_is_exportable_document(self):
        """Whether this move is a document exported on its own: the entries of expense reports go to
        QuickBooks with their expenses (as a Purchase or a Bill), never a second time as a move."""
        self.ensure_one()
        return self.move_type in ENTITY_BY_MOVE_TYPE and not self.expense_sheet_id and (
            not self.qbo_imported or self._qbo_sends_edits())

    def _qbo_sends_edits(self):
        """Whether the edits of this document created in QuickBooks are exported back to it: the company's
        choice, for the kinds Odoo exports (a receipt, paid when made, is changed in QuickBooks only)."""
        self.ensure_one()
        return self.qbo_imported and self.company_id.qbo_imported_edits == "send" \
            and self.qbo_imported_entity == ENTITY_BY_MOVE_TYPE.get(self.move_type)

    def _qbo_has_payments(self):
        """Whether a payment is registered on this document in Odoo (then a change from QuickBooks is
        flagged, never applied)."""
        self.ensure_one()
        return self.payment_state != "not_paid" or bool(self._get_reconciled_payments())

    def _qbo_check_not_imported(self):
        """Refuse to reset or cancel in Odoo a posted document created in QuickBooks, unless the company sends
        such edits to QuickBooks: QuickBooks holds its reference version (the import applies QuickBooks'
        changes, with the context key ``qbo_import``)."""
        imported = self.filtered(lambda move: move.qbo_imported and move.state == "posted"
                                 and not move._qbo_sends_edits())
        if imported and not self.env.context.get("qbo_import"):
            raise UserError(_("QuickBooks: %s was created in QuickBooks; change, void or delete it there, and Odoo "
                              "follows.", ", ".join(imported.mapped("display_name"))))
