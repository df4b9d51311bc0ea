from odoo import Command
from odoo.tests import tagged

from .common_move import QboMoveExportCommon


@tagged("post_install", "-at_install")
class TestMoveAmountMismatch(QboMoveExportCommon):
    """QuickBooks computes the tax its own way (the sandbox ignores the tax the connector imposes):
    the cent of difference comes back from QuickBooks and the document is flagged with both figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")

    def setUp(self):
        super().setUp()
        self.qbo_sandbox_company.explicit_tax = False
        self.addCleanup(setattr, self.qbo_sandbox_company, "explicit_tax", True)

    def test_tax_rounded_on_the_sum_is_flagged(self):
        """Odoo rounds each line's tax (3 x 0.08), QuickBooks the sum's (0.25): an error with both figures."""
        line = {"quantity": 1, "price_unit": 1.05, "tax_ids": [Command.set(self.tax_ca.ids)]}
        move = self.make_move(partner=self.make_partner("Cent Apart Co"), lines=[line, line, line])
        self.assertEqual((self.company.tax_calculation_rounding_method, move.amount_tax, move.amount_total),
                         ("round_per_line", 0.24, 3.39))
        message = "Amounts differ: QuickBooks total 3.40 (tax 0.25), Odoo total 3.39 (tax 0.24)."
        action = self.export(move)
        self.assertEqual(action["params"]["message"], f"1 failed ({move.name}: {message})")
        self.assertRecordValues(move, [{"qbo_state": "error", "qbo_error": message, "qbo_amount_total": 3.40,
                                        "qbo_amount_tax": 0.25}])
        doc = self.qbo_doc(move)
        self.assertEqual((str(doc["TotalAmt"]), str(doc["TxnTaxDetail"]["TotalTax"])), ("3.40", "0.25"))
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move.id)])
        self.assertRecordValues(log, [{"operation": "create", "status": "error", "message": message,
                                       "qbo_id": move.qbo_id}])
        self.assertIn(message, move.message_ids[0].body)
        # Once QuickBooks takes the tax it is sent again, exporting the document again corrects its copy.
        self.qbo_sandbox_company.explicit_tax = True
        self.assertEqual(self.export(move)["params"]["message"], "1 exported, 1 of them updated")
        self.assertRecordValues(move, [{"qbo_state": "exported", "qbo_error": False, "qbo_amount_total": 3.39,
                                        "qbo_amount_tax": 0.24}])
        self.assertEqual(len(self.qbo_docs("Invoice")), 1)
