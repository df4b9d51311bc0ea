from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.tools import float_compare

from ..models.qbo_mapping_line import KIND_SELECTION
from ..models.qbo_tax_map import US_LINE_CODES
from ..qbo_master_data import Proposal, SyncSummary, propose_pairs, similarity


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

    @api.model
    def _qbo_tax_proposals(self, odoo_rows, qbo_rows):
        """Propose for each unlinked Odoo tax the QuickBooks code of the same rate for its use (sales or
        purchases); among several, the closest name. A code may serve several Odoo taxes.

        :rtype: list of :class:`Proposal`
        """
        proposals = []
        for row in odoo_rows.filtered("tax_use"):
            same_rate = qbo_rows.filtered(lambda code: code.qbo_id not in US_LINE_CODES and (
                code.qbo_rates or {}).get(row.tax_use) is not None and not float_compare(
                code.qbo_rates[row.tax_use], row.odoo_rate, precision_digits=4))
            if not same_rate:
                continue
            scored = sorted(((similarity(row.odoo_name, code.qbo_name), code) for code in same_rate),
                            key=lambda pair: (-pair[0], pair[1].qbo_name or ""))
            best_score, best = scored[0]
            proposals.append(Proposal(row.id, best.id, 100 if len(same_rate) == 1 else best_score, "rate"))
        return proposals

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
        if self.kind == "tax":
            # tax codes stay offered once linked: several Odoo taxes may share one
            qbo_rows = rows.filtered(lambda row: row.qbo_id and not row.res_id)
            proposals = self._qbo_tax_proposals(odoo_rows, qbo_rows)
        else:
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
        return self.company_id._qbo_notification(message, "warning" if summary.errors else "success", reload=True)
