from odoo import _, fields, models


class QboMappingConfirm(models.TransientModel):
    """Asks before a link whose two sides do not agree (a tax whose rate differs from its QuickBooks
    code's, names that differ much): the message shows both, the link is made only on Confirm."""

    _name = "qbo.mapping.confirm"
    _description = "QuickBooks Link Confirmation"

    row_ids = fields.Many2many("qbo.mapping.line", string="Rows", required=True, readonly=True)
    message = fields.Text(readonly=True)

    def _qbo_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Link anyway?"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        """Make the link the message describes."""
        self.ensure_one()
        self._qbo_check_access("manager", "write")
        return self.row_ids.with_context(qbo_link_confirmed=True).action_link()
