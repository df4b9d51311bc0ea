from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..qbo_master_data import SyncSummary, propose_pairs
from ..models.qbo_mapping_line import KIND_SELECTION


class QboAutomatchWizard(models.TransientModel):
    """Proposes pairs of unlinked Odoo and QuickBooks records with their score, for review before linking."""

    _name = "qbo.automatch.wizard"
    _description = "QuickBooks Automatch"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    threshold = fields.Integer(
        string="Minimum Similarity", required=True, default=90,
        help="Names that differ are proposed when their similarity (1-100) reaches this value. "
             "Same reference, email or name always match.",
    )
    line_ids = fields.One2many("qbo.automatch.wizard.line", "wizard_id", string="Proposed Pairs")

    @api.constrains("threshold")
    def _check_threshold(self):
        for wizard in self:
            if not 1 <= wizard.threshold <= 100:
                raise ValidationError(_("The minimum similarity must be between 1 and 100."))

    def _qbo_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Automatch"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": {"qbo_kind": self.kind},
        }

    def action_propose(self):
        """Compute the proposals from the screen rows that are not linked (replacing earlier ones)."""
        self.ensure_one()
        self._qbo_check_access("manager", "write")
        rows = self.env["qbo.mapping.line"]._qbo_my_rows(self.company_id, self.kind)
        odoo_rows = rows.filtered(lambda row: row.state == "odoo")
        qbo_rows = rows.filtered(lambda row: row.state == "qbo")
        proposals = propose_pairs(
            [{"id": row.id, "name": row.odoo_name, "email": row.odoo_email, "ref": row.odoo_ref}
             for row in odoo_rows],
            [{"id": row.id, "name": row.qbo_name, "email": row.qbo_email, "ref": row.qbo_ref}
             for row in qbo_rows],
            self.threshold,
        )
        self.line_ids.unlink()
        self.write({"line_ids": [fields.Command.create({
            "odoo_row_id": proposal.odoo_id,
            "qbo_row_id": proposal.qbo_id,
            "score": proposal.score,
            "reason": proposal.reason,
        }) for proposal in proposals]})
        return self._qbo_action()

    def action_apply(self):
        """Link the pairs left ticked; a pair that cannot be linked is reported, the others are linked."""
        self.ensure_one()
        sync = self.env["qbo.master.data.sync"]
        self._qbo_check_access("manager", "write")
        lines = self.line_ids.filtered("selected")
        if not lines:
            raise UserError(_("QuickBooks: tick the pairs to link."))
        summary = SyncSummary()
        for line in lines:
            try:
                with self.env.cr.savepoint():
                    line.odoo_row_id._qbo_link_pair(line.qbo_row_id)
            except UserError as error:
                summary.add_error(line.odoo_row_id.odoo_name, error)
                continue
            summary.linked += 1
        message = sync._qbo_summary_message(summary)
        return self.company_id._qbo_notification(message, "warning" if summary.errors else "success")
