from odoo import models


class QboBillPaymentPull(models.AbstractModel):
    """QuickBooks bill payments become posted Odoo vendor payments reconciled with the bills (and
    vendor credits) they settle: the customer payments' adapter, on its own stream."""

    _name = "qbo.bill.payment.pull"
    _inherit = "qbo.payment.pull"
    _description = "QuickBooks Import of Bill Payments"

    _qbo_stream = "bill_payment"
    _qbo_entity = "BillPayment"
