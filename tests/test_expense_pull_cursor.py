from odoo.tests import tagged

from ..qbo_sandbox import accounting
from .common_expense import QboExpenseCommon


@tagged("post_install", "-at_install")
class TestExpensePullCursor(QboExpenseCommon):
    """Sync Expense is incremental: after a first run, QuickBooks is asked only for what changed since."""

    def test_second_pull_asks_only_for_changes(self):
        """The second run lists purchases by MetaData.LastUpdatedTime: one unchanged since well before the first
        run is not listed again, none is imported twice."""
        qbo = self.qbo_sandbox_company
        qbo.requests.clear()
        older = self.qbo_purchase("Cash", [("Travel", 30.0, "Train to Victoria", None)])
        self.advance_sandbox_clock(600)  # more than the overlap a pull reads again
        recent = self.qbo_purchase("Check", [("Office Expenses", 12.25, "Paper", None)])
        self.assertIn("2 expenses imported", self.sync())
        [first_query] = qbo.queries("Purchase")
        self.assertNotIn("WHERE", first_query)

        self.advance_sandbox_clock(600)
        new = self.qbo_purchase("CreditCard", [("Meals and Entertainment", 42.5, "Client lunch", None)])
        qbo.requests.clear()
        message = self.sync()
        self.assertIn("1 expenses imported", message)
        self.assertNotIn("updated", message)
        [query] = qbo.queries("Purchase")
        self.assertIn("MetaData.LastUpdatedTime > '", query)
        listed = [doc["Id"] for doc in accounting.run_query(qbo, query).get("Purchase", [])]
        self.assertNotIn(older["Id"], listed)
        self.assertIn(new["Id"], listed)
        for doc in (older, recent, new):
            self.assertEqual(len(self.expenses_of(doc)), 1)
        self.assertEqual(self.expenses_of(new).total_amount_currency, 42.5)
