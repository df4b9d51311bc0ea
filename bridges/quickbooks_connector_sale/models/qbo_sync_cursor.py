from odoo import fields, models


class QboSyncCursor(models.Model):
    _inherit = "qbo.sync.cursor"

    stream = fields.Selection(selection_add=[("import_estimate", "Estimates created in QuickBooks")],
                              ondelete={"import_estimate": "cascade"})
