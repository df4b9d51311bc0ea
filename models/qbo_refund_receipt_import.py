from odoo import models


class QboRefundReceiptImport(models.AbstractModel):
    """Refund receipts created in QuickBooks become Odoo credit notes refunded at once (see
    ``qbo.sales.receipt.import``): the credit note, and its payment out of the journal of the account the
    refund was paid from, reconciled with it."""

    _name = "qbo.refund.receipt.import"
    _inherit = "qbo.sales.receipt.import"
    _description = "QuickBooks Import of Refund Receipts"

    _qbo_stream = "import_refund_receipt"
    _qbo_entity = "RefundReceipt"
    _qbo_move_type = "out_refund"
    _qbo_type_field = "qbo_import_refund_receipts"
