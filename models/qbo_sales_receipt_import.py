from odoo import api, models


class QboSalesReceiptImport(models.AbstractModel):
    """Sales receipts created in QuickBooks become Odoo invoices paid at once (see ``qbo.document.import``):
    the invoice, and its payment into the journal of the receipt's deposit account, reconciled with it.
    QuickBooks numbers all its transactions in one sequence, so a receipt's Id is no invoice's."""

    _name = "qbo.sales.receipt.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Sales Receipts"

    _qbo_stream = "import_sales_receipt"
    _qbo_entity = "SalesReceipt"
    _qbo_move_type = "out_invoice"
    _qbo_type_field = "qbo_import_sales_receipts"

    @api.model
    def _qbo_after_post(self, run, move, doc):
        account_id = str((doc.get("DepositToAccountRef") or {}).get("value") or "") or None
        journal = self.env["qbo.payment.pull"]._qbo_journal(run.company, account_id)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids, qbo_no_push=True).create({
                "journal_id": journal.id, "payment_date": doc["TxnDate"], "amount": move.amount_total,
                "currency_id": move.currency_id.id,
            })._create_payments()
