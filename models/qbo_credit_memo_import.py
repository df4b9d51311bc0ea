from odoo import models


class QboCreditMemoImport(models.AbstractModel):
    """Credit Memos created in QuickBooks become Odoo documents (see ``qbo.document.import``)."""

    _name = "qbo.credit.memo.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Credit Memos"

    _qbo_stream = "import_credit_memo"
    _qbo_entity = "CreditMemo"
    _qbo_move_type = "out_refund"
    _qbo_type_field = "qbo_import_credit_memos"
