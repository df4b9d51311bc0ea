from odoo import fields, models


class QboPreviewLine(models.TransientModel):
    """One line of the QuickBooks document a preview shows."""

    _name = "qbo.preview.line"
    _description = "QuickBooks Preview Line"
    _order = "sequence, id"

    wizard_id = fields.Many2one("qbo.preview.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    sequence = fields.Integer()
    display_type = fields.Selection([("line_note", "Description")], string="Type")
    item = fields.Char(string="Item or Account")
    name = fields.Char(string="Description")
    quantity = fields.Float(string="Quantity", digits="Product Unit of Measure")
    price_unit = fields.Float(string="Rate", digits="Product Price")
    amount = fields.Monetary(string="Amount")
    tax_code = fields.Char(string="Tax Code")
