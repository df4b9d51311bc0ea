from odoo import fields, models


class QboAutomatchWizardLine(models.TransientModel):
    """One proposed pair of the automatch review."""

    _name = "qbo.automatch.wizard.line"
    _description = "QuickBooks Automatch Proposal"
    _order = "score desc, id"

    wizard_id = fields.Many2one("qbo.automatch.wizard", required=True, ondelete="cascade")
    selected = fields.Boolean(string="Link", default=True)
    odoo_row_id = fields.Many2one("qbo.mapping.line", required=True, ondelete="cascade")
    qbo_row_id = fields.Many2one("qbo.mapping.line", required=True, ondelete="cascade")
    odoo_name = fields.Char(related="odoo_row_id.odoo_name", string="Odoo")
    qbo_name = fields.Char(related="qbo_row_id.qbo_name", string="QuickBooks")
    score = fields.Integer(string="Score", readonly=True)
    reason = fields.Selection(
        [("reference", "Same reference"), ("email", "Same email"), ("name", "Same name"),
         ("similar", "Similar name"), ("rate", "Same rate")], readonly=True,
    )
