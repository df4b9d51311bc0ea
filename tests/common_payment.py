from decimal import Decimal

from .common_move import QboMoveExportCommon

PAID_DOCUMENT = {"Payment": "Invoice", "BillPayment": "Bill"}
PARTY_FIELD = {"Payment": "CustomerRef", "BillPayment": "VendorRef"}


class QboPaymentCommon(QboMoveExportCommon):
    """Exported invoices and bills, payments made in QuickBooks over HTTP, and the payment sync."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]

    def setUp(self):
        super().setUp()
        # QuickBooks is not rolled back with the test: forget the bill payments of the previous tests too.
        for doc in self.qbo_sandbox_company.all("BillPayment"):
            self.qbo_sandbox_company.remove("BillPayment", doc["Id"])

    # ---- Odoo side ----

    def exported(self, partner, amount, move_type="out_invoice", **values):
        """A posted document of one line of ``amount``, exported to QuickBooks by a QuickBooks manager."""
        move = self.make_move(move_type, partner, [{"price_unit": amount}], **values)
        self.export(move)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        return move

    def register_payment(self, moves, amount, **values):
        """Register a payment in Odoo on ``moves`` as an accountant would (the Register Payment wizard)."""
        return self.env["account.payment.register"].with_user(self.qbo_manager).with_context(
            active_model="account.move", active_ids=moves.ids,
        ).create({"amount": amount, "payment_date": "2019-01-15", "journal_id": self.bank_journal.id,
                  **values})._create_payments()

    def sync(self, user=None):
        """Press Sync Customer Payment on the company form; return the message shown."""
        action = self.company.with_user(user or self.qbo_manager).action_qbo_sync_payments()
        return action["params"]["message"]

    def odoo_payment(self, qbo_id, entity="Payment"):
        return self.env["account.payment"].search([
            ("company_id", "=", self.company.id), ("qbo_entity", "=", entity), ("qbo_id", "=", qbo_id)])

    # ---- QuickBooks side ----

    def qbo_pay(self, allocations, total=None, entity="Payment", **values):
        """The customer pays (or the company pays a vendor) in QuickBooks: ``allocations`` are
        ``[(move, amount)]``; ``total`` defaults to their sum. Created through the API over HTTP."""
        first = allocations[0][0]
        payload = {
            PARTY_FIELD[entity]: {"value": self.qbo_doc(first)[PARTY_FIELD[entity]]["value"]},
            "TotalAmt": float(total if total is not None
                              else sum(Decimal(str(amount)) for _move, amount in allocations)),
            "TxnDate": "2019-01-10",
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": move.qbo_id, "TxnType": PAID_DOCUMENT[entity]}]}
                     for move, amount in allocations],
            **values,
        }
        if entity == "BillPayment":
            payload.setdefault("PayType", "Check")
            payload.setdefault("CheckPayment", {"BankAccountRef": {"value": self.qbo_account("Checking")}})
        return self.client.create(entity, payload)

    def qbo_account(self, name):
        return next(account["Id"] for account in self.qbo_sandbox_company.all("Account") if account["Name"] == name)

    def qbo_payments(self, entity="Payment"):
        return self.qbo_sandbox_company.all(entity)

    def receivable_lines(self, payment):
        return payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type in
                                                 ("asset_receivable", "liability_payable"))
