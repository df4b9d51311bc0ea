from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import NOT_FOUND
from ..qbo_client import QboApiError

ACTIONS = [
    ("send", "Send Odoo's version to QuickBooks"),
    ("take", "Take QuickBooks' version"),
    ("link", "Link the same document on both sides"),
    ("explain", "Mark as explained"),
]


class QboBooksRepair(models.TransientModel):
    """The repair of differences the comparison found: the preview says what the chosen action changes
    for each one (or why it does not apply), and nothing changes before **Repair** is clicked."""

    _name = "qbo.books.repair"
    _description = "QuickBooks Books in Step: Repair"

    line_ids = fields.Many2many("qbo.books.check.line", string="Differences", readonly=True)
    action = fields.Selection(ACTIONS, required=True, default="explain")
    note = fields.Text(help="Why the difference is right (required to mark it as explained).")
    preview = fields.Text(compute="_compute_preview", string="What Will Change")

    @api.depends("action", "line_ids")
    def _compute_preview(self):
        for wizard in self:
            rows = []
            for line in wizard.line_ids:
                change, reason = wizard._qbo_plan(line)
                rows.append("%s: %s" % (wizard._qbo_label(line), change or _("unchanged (%s)", reason)))
            wizard.preview = "\n".join(rows)

    def action_qbo_apply(self):
        """Apply the chosen action to the differences it applies to.

        :raise AccessError: if the user is not a QuickBooks manager of their company
        :raise UserError: if it applies to none of them, or a note is missing to explain them
        """
        self._qbo_check_access("manager", "write")
        self.ensure_one()
        # Lines a record rule hides are checked too: they would otherwise look like no line at all.
        self.sudo().line_ids.with_env(self.env)._qbo_check_access("manager", "write")
        todo = self.line_ids.filtered(lambda line: line.state == "open" and self._qbo_plan(line)[0])
        if not todo:
            raise UserError(_("QuickBooks: “%s” applies to none of these differences.",
                              dict(self._fields["action"]._description_selection(self.env))[self.action]))
        stamp = _("%(action)s by %(user)s on %(day)s", user=self.env.user.name, day=fields.Date.context_today(self),
                  action=dict(self._fields["action"]._description_selection(self.env))[self.action])
        if self.action == "explain":
            if not (self.note or "").strip():
                raise UserError(_("QuickBooks: say why these differences are right before marking them explained."))
            todo.sudo().write({"state": "explained", "note": f"{stamp}: {self.note.strip()}"})
        elif self.action == "send":
            self._qbo_send(todo.sudo(), stamp)
        elif self.action == "link":
            self._qbo_link(todo.sudo(), stamp)
        else:
            self._qbo_take(todo.sudo(), stamp)
        return {"type": "ir.actions.act_window_close"}

    # === PLANS === #

    def _qbo_plan(self, line):
        """``(what the action changes for the line, None)`` or ``(None, why it does not apply)``."""
        move = line.move_id
        amount = line.check_id._qbo_money(line.qbo_amount if self.action == "take" else line.odoo_amount,
                                          move.currency_id or None)
        if self.action == "explain":
            return _("marked as explained, nothing else changes"), None
        if line.kind == "partner":
            return None, _("a partner's balance follows its documents: repair those, or explain it")
        if line.kind == "payment":
            return None, _("a payment is repaired from itself (Push to QuickBooks, Sync Customer Payment), or "
                           "explained")
        if line.kind == "expense":
            return None, _("an expense is repaired from its report (Export to QuickBooks), or explained")
        if self.action == "link":
            other = self._qbo_twin(line)
            if not other:
                return None, _("no single document on the other side with the same type, date and total")
            if line.issue == "missing_in_odoo" and other in self.line_ids:
                return _("linked with %s", self._qbo_label(other)), None  # the pair is told once, on the other
            return _("linked with QuickBooks %(entity)s %(name)s (same date and total: %(amount)s)",
                     entity=other.qbo_entity, name=other.qbo_name, amount=amount), None
        if self.action == "send":
            if not move or move.state != "posted":
                return None, _("no posted Odoo document to send")
            if move.qbo_imported and not move._qbo_sends_edits():
                return None, _("created in QuickBooks, whose version is the reference (see the company's edits "
                               "setting)")
            if line.issue in ("voided", "deleted"):
                return None, _("QuickBooks no longer holds it open: cancel it in Odoo, or explain it")
            if line.issue == "missing_in_qbo":
                return _("created in QuickBooks as in Odoo (%s)", amount), None
            return _("QuickBooks' copy updated to Odoo's version (%s)", amount), None
        if line.issue == "missing_in_odoo":
            if self._qbo_adapter(line.qbo_entity) is None:
                return None, _("QuickBooks documents of this type are not imported")
            return _("imported from QuickBooks (%s)", amount), None
        if not move.qbo_imported:
            return None, _("born in Odoo, whose version is the reference: send it, or explain")
        if move._qbo_has_payments():
            return None, _("it has payments in Odoo: unreconcile them first")
        if line.issue in ("voided", "deleted"):
            return _("cancelled in Odoo, as in QuickBooks"), None
        return _("rewritten to QuickBooks' version (%s)", amount), None

    def _qbo_label(self, line):
        return (line.move_id.display_name or line.payment_id.display_name or line.expense_id.display_name
                or line.qbo_name
                or line.partner_id.display_name or line.qbo_id)

    def _qbo_twin(self, line):
        """The one open difference of the same comparison that is the same document held on the other side
        only (same QuickBooks type, date and total in the company's currency), or an empty recordset."""
        if line.issue not in ("missing_in_qbo", "missing_in_odoo"):
            return line.browse()
        mine, other_issue = (line.odoo_amount, "missing_in_odoo") if line.issue == "missing_in_qbo" \
            else (line.qbo_amount, "missing_in_qbo")
        twins = line.check_id.line_ids.filtered(lambda other: (
            other.state == "open" and other.issue == other_issue and other.qbo_entity == line.qbo_entity
            and other.date == line.date and line.currency_id.compare_amounts(
                other.qbo_amount if other_issue == "missing_in_odoo" else other.odoo_amount, mine) == 0))
        return twins if len(twins) == 1 else line.browse()

    def _qbo_adapter(self, entity):
        return next((adapter for adapter in self.env["qbo.document.import"]._qbo_import_adapters()
                     if adapter._qbo_entity == entity), None)

    # === ACTIONS === #

    def _qbo_send(self, lines, stamp):
        """Export Odoo's version: an update of the QuickBooks copy, or a creation."""
        moves = lines.move_id
        moves.filtered("qbo_id")._qbo_write({"qbo_state": "changed"})
        self.env["qbo.move.export"].sudo()._qbo_export_moves(moves)
        for line in lines:
            if line.move_id.qbo_state == "exported":
                line.write({"state": "repaired", "note": stamp})
            else:
                line.note = _("%(stamp)s: failed: %(error)s", stamp=stamp, error=line.move_id.qbo_error)

    def _qbo_link(self, lines, stamp):
        """Link an Odoo document to the QuickBooks one that is the same (instead of sending a copy, or
        importing one): it is then exported as updates of that document."""
        for line in lines:
            if line.state != "open":
                continue  # linked with the other of its pair
            twin = self._qbo_twin(line)
            odoo_line, qbo_line = (line, twin) if line.issue == "missing_in_qbo" else (twin, line)
            company = line.check_id.company_id
            doc = company._qbo_get_client().read(qbo_line.qbo_entity, qbo_line.qbo_id)
            move = odoo_line.move_id
            move._qbo_write({"qbo_id": str(doc["Id"]), "qbo_sync_token": str(doc["SyncToken"]), "qbo_state": "exported",
                             **self.env["qbo.move.export"]._qbo_success_values(None, move, qbo_line.qbo_entity, doc)})
            move._message_log(body=_("QuickBooks: linked to %(entity)s %(name)s, the same document (Books in Step).",
                                     entity=qbo_line.qbo_entity, name=qbo_line.qbo_name))
            (odoo_line | qbo_line).write({"state": "repaired", "note": stamp})

    def _qbo_take(self, lines, stamp):
        """Bring QuickBooks' version into Odoo through the import of documents (whatever the company's
        rules for changes: this is the explicit request)."""
        for line in lines:
            company = line.check_id.company_id
            adapter = self._qbo_adapter(line.qbo_entity).sudo().with_context(qbo_force_update=True)
            try:
                doc = company._qbo_get_client().read(line.qbo_entity, line.qbo_id)
            except QboApiError as error:
                if error.code != NOT_FOUND:
                    raise UserError(self.env["qbo.fault"]._qbo_explain(error, company=company)) from None
                doc = None
            if doc is None:
                adapter._qbo_cancel_imported(line.move_id)
            else:
                if line.move_id:
                    line.move_id._qbo_write({"qbo_sync_token": False})
                report = adapter._qbo_pull_now(company, [doc])
                if report.errors:
                    line.note = _("%(stamp)s: failed: %(error)s", stamp=stamp, error=report.errors[0][1])
                    continue
            line.write({"state": "repaired", "note": stamp})
