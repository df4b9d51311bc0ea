from odoo import models


class QboBillImport(models.AbstractModel):
    """Bills created in QuickBooks become Odoo documents (see ``qbo.document.import``)."""

    _name = "qbo.bill.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Bills"

    _qbo_stream = "import_bill"
    _qbo_entity = "Bill"
    _qbo_move_type = "in_invoice"
    _qbo_type_field = "qbo_import_bills"
