from odoo import models


class QboVendorCreditImport(models.AbstractModel):
    """Vendor Credits created in QuickBooks become Odoo documents (see ``qbo.document.import``)."""

    _name = "qbo.vendor.credit.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Vendor Credits"

    _qbo_stream = "import_vendor_credit"
    _qbo_entity = "VendorCredit"
    _qbo_move_type = "in_refund"
    _qbo_type_field = "qbo_import_vendor_credits"
