from odoo import fields, models


class QboPreviewWizard(models.TransientModel):
    """Shows the JSON an export would send to QuickBooks for one document, without sending it."""

    _name = "qbo.preview.wizard"
    _description = "QuickBooks Export Preview"

    move_id = fields.Many2one("account.move", string="Document", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="move_id.currency_id")
    qbo_entity = fields.Char(string="QuickBooks Entity", readonly=True)
    operation = fields.Selection([("create", "Create"), ("update", "Update")], string="Operation", readonly=True)
    payload_json = fields.Text(string="JSON", readonly=True)
    expected_total = fields.Monetary(string="Total QuickBooks must report", readonly=True)
    expected_tax = fields.Monetary(string="Tax QuickBooks must report", readonly=True)
    warning = fields.Text(string="Warning", readonly=True)
