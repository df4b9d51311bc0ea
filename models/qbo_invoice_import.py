from odoo import models


class QboInvoiceImport(models.AbstractModel):
    """Invoices created in QuickBooks become Odoo documents (see ``qbo.document.import``)."""

    _name = "qbo.invoice.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Invoices"

    _qbo_stream = "import_invoice"
    _qbo_entity = "Invoice"
    _qbo_move_type = "out_invoice"
    _qbo_type_field = "qbo_import_invoices"
