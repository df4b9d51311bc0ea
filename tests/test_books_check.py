from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_expense import QboExpenseExportCommon
from .common_import import QboDocumentImportCommon
from .common_move import money


@tagged("post_install", "-at_install")
class TestBooksInStep(QboDocumentImportCommon):
    """Books in Step compares a period's documents and partner balances with QuickBooks: in step, zero
    differences; each drift made on purpose is found with both figures and repaired by the matching
    action, and nothing changes without that click."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.qbo_import_documents = False  # what is typed in QuickBooks stays there unless asked for
        cls.qbo_user = cls._qbo_new_user("qbo_books_user", "base.group_user,quickbooks_connector.group_qbo_user")

    def setUp(self):
        super().setUp()
        self.buyer = self.make_partner("Step Buyer Ltd")

    def compare(self):
        check = self.env["qbo.books.check"].create(
            {"company_id": self.company.id, "date_from": "2019-01-01", "date_to": "2019-12-31"})
        check.sudo()._qbo_run_all()  # as the job runs it
        self.assertEqual(check.state, "done", check.error)
        return check

    def line(self, check, issue, record=None):
        lines = check.line_ids.filtered(lambda line: line.issue == issue and (
            record is None or record in (line.move_id, line.partner_id) or record == line.qbo_id))
        self.assertEqual(len(lines), 1, f"{issue}: {check.line_ids.mapped('detail')}")
        return lines

    def exported(self, price, partner=None):
        move = self.make_move(partner=partner or self.buyer, lines=[{"price_unit": price}])
        self.export(move)
        self.assertEqual(move.qbo_state, "exported")
        return move

    def repair(self, lines, action):
        opened = lines.with_user(self.qbo_manager).action_qbo_repair()
        wizard = self.env["qbo.books.repair"].with_user(self.qbo_manager).browse(opened["res_id"])
        wizard.action = action
        return wizard

    @staticmethod
    def text(value):
        return value.replace("\xa0", " ")

    def test_in_step(self):
        """Two exported invoices and one imported from QuickBooks: three documents compared, every partner
        balance equal, zero differences; comparing changed nothing on either side; the company's tab says
        the books are in step."""
        moves = self.exported(100.0) | self.exported(20.25)
        self.company.qbo_import_documents = True
        doc = self.qbo_invoice([(2, 12.5, False)])
        self.pull()
        tokens = {qbo_doc["Id"]: qbo_doc["SyncToken"] for qbo_doc in self.qbo_docs("Invoice")}
        check = self.compare()
        self.assertEqual((check.document_count, check.in_step_count, check.difference_count), (3, 3, 0))
        self.assertEqual(check.partner_count, 2)
        self.assertEqual({qbo_doc["Id"]: qbo_doc["SyncToken"] for qbo_doc in self.qbo_docs("Invoice")}, tokens)
        self.assertEqual(moves.mapped("qbo_state"), ["exported", "exported"])
        self.assertEqual(self.imported(doc).qbo_state, "imported")
        self.assertTrue(self.company.qbo_books_status.startswith("In step as of"))

    def test_drifts_found_and_repaired(self):
        """Edited, voided and deleted in QuickBooks, posted in Odoo only, typed in QuickBooks only, an unapplied
        payment: each found with its figures; Odoo's version sent, QuickBooks' one taken, a balance explained;
        compared again, only what was left differs."""
        edited, voided, deleted = self.exported(100.0), self.exported(30.0), self.exported(40.0)
        unsent = self.make_move(partner=self.buyer, lines=[{"price_unit": 7.0}])
        remote = self.client.read("Invoice", edited.qbo_id)
        self.client.update("Invoice", {"Id": remote["Id"], "SyncToken": remote["SyncToken"], "sparse": True,
                                       "Line": [self.sales_line(1, 120.0, "NON")]})
        remote = self.client.read("Invoice", voided.qbo_id)
        self.client.void("Invoice", {"Id": remote["Id"], "SyncToken": remote["SyncToken"]})
        remote = self.client.read("Invoice", deleted.qbo_id)
        self.client.delete("Invoice", {"Id": remote["Id"], "SyncToken": remote["SyncToken"]})
        typed = self.qbo_invoice([(1, 55.0, False)], DocNumber="QB-ONLY")
        buyer_qbo_id = self.env["qbo.mapping"].search([("company_id", "=", self.company.id),
                                                      ("qbo_entity", "=", "Customer"),
                                                      ("res_id", "=", self.buyer.id)]).qbo_id
        prepaid = self.client.create("Payment", {"CustomerRef": {"value": buyer_qbo_id}, "TotalAmt": 5.0,
                                                 "TxnDate": "2019-02-10"})

        check = self.compare()
        self.assertIn("Total: $ 100.00 in Odoo, $ 120.00 in QuickBooks",
                      self.text(self.line(check, "amount", edited).detail))
        self.assertIn("Voided in QuickBooks", self.line(check, "voided", voided).detail)
        self.assertIn("Deleted in QuickBooks", self.line(check, "deleted", deleted).detail)
        self.assertIn("Posted in Odoo only: $ 7.00", self.text(self.line(check, "missing_in_qbo", unsent).detail))
        self.assertEqual(self.line(check, "missing_in_odoo", typed["Id"]).qbo_name, "QB-ONLY")
        balance = self.line(check, "partner_balance", self.buyer)
        # Odoo: 100 + 30 + 40 + 7 receivable; QuickBooks: 120, less the 5.00 paid and not applied.
        self.assertEqual((money(balance.odoo_amount), money(balance.qbo_amount)), (money(177), money(115)))
        self.assertIn("is linked to no Odoo contact", self.line(check, "partner_balance", self.qbo_customer["Id"]).detail)
        self.assertIn("Held in QuickBooks only: $ 5.00",
                      self.text(self.line(check, "missing_in_odoo", prepaid["Id"]).detail))
        self.assertEqual(check.difference_count, 8)
        self.assertIn(self.qbo_manager, check.activity_ids.user_id)
        self.assertEqual(self.company.qbo_books_status.split(" ")[0], "8")
        self.assertEqual(money(self.client.read("Invoice", edited.qbo_id)["TotalAmt"]), money(120))
        # Sales: 177 in Odoo, 120 + 55 in QuickBooks; receivable: 177 against 115 + 55. The lines show all of
        # both differences (-20 + 30 + 40 + 7 - 55; 62 - 55).
        self.assertEqual([money(check[field]) for field in ("odoo_sales", "qbo_sales", "odoo_receivable",
                                                            "qbo_receivable")],
                         [money(177), money(175), money(177), money(170)])
        self.assertEqual((money(check._qbo_shown(True)), money(check._qbo_shown_balance("Customer"))),
                         (money(2), money(7)))
        self.assertEqual(self.text(check.totals_html).count("all of it"), 2)

        wizard = self.repair(self.line(check, "voided", voided), "send")
        self.assertIn("unchanged (QuickBooks no longer holds it open", wizard.preview)
        with self.assertRaisesRegex(UserError, "applies to none of these differences"):
            wizard.action_qbo_apply()
        wizard = self.repair(self.line(check, "amount", edited) | self.line(check, "missing_in_qbo", unsent), "send")
        self.assertIn("QuickBooks' copy updated to Odoo's version ($ 100.00)", self.text(wizard.preview))
        self.assertIn("created in QuickBooks as in Odoo ($ 7.00)", self.text(wizard.preview))
        wizard.action_qbo_apply()
        self.assertEqual(money(self.client.read("Invoice", edited.qbo_id)["TotalAmt"]), money(100))
        self.assertEqual(money(self.client.read("Invoice", unsent.qbo_id)["TotalAmt"]), money(7))
        self.repair(self.line(check, "missing_in_odoo", typed["Id"]), "take").action_qbo_apply()
        self.assertEqual(money(self.imported(typed).amount_total), money(55))
        wizard = self.repair(balance, "explain")
        with self.assertRaisesRegex(UserError, "say why"):
            wizard.action_qbo_apply()
        wizard.note = "Customer paid 5.00 in advance; applied next month."
        wizard.action_qbo_apply()
        self.assertEqual(balance.state, "explained")
        self.assertEqual(check.difference_count, 4)  # voided, deleted, the payment, the customer linked to nothing

        again = self.compare()
        self.assertEqual(sorted(again.line_ids.mapped("issue")),
                         ["deleted", "missing_in_odoo", "partner_balance", "voided"])

    def test_take_quickbooks_version_of_an_imported_document(self):
        """A document imported from QuickBooks and changed there while the company's rule says "Do nothing":
        the comparison shows both totals, taking QuickBooks' version rewrites it in Odoo, to the cent."""
        self.company.qbo_import_documents = True
        self.env["qbo.event.rule"]._qbo_ensure_default_rules(self.company)
        self.env["qbo.event.rule"].search([("company_id", "=", self.company.id),
                                           ("event", "=", "imported_updated")]).action = "ignore"
        doc = self.qbo_invoice([(1, 60.0, False)])
        self.pull()
        move = self.imported(doc)
        self.client.update("Invoice", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                       "Line": [self.sales_line(1, 64.5, "NON")]})
        self.next_run()
        self.assertEqual(money(move.amount_total), money(60))
        line = self.line(self.compare(), "amount", move)
        wizard = self.repair(line, "take")
        self.assertIn("rewritten to QuickBooks' version ($ 64.50)", self.text(wizard.preview))
        wizard.action_qbo_apply()
        self.assertEqual((move.state, money(move.amount_total), line.state), ("posted", money(64.5), "repaired"))

    def test_payment_changed_in_quickbooks(self):
        """A payment received in QuickBooks and imported is in step; lowered there afterwards, it is found
        with both amounts, and only an explanation repairs it here (a payment is repaired from itself)."""
        self.company.qbo_import_documents = True
        doc = self.qbo_invoice([(2, 25.0, False)])
        self.pull()
        payment_doc = self.client.create("Payment", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TotalAmt": 50.0, "TxnDate": "2019-02-10",
            "Line": [{"Amount": 50.0, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": "Invoice"}]}]})
        self.env["qbo.payment.pull"]._qbo_sync(self.company, 100)
        check = self.compare()
        self.assertEqual((check.document_count, check.difference_count), (2, 0))
        self.client.update("Payment", {"Id": payment_doc["Id"], "SyncToken": payment_doc["SyncToken"], "sparse": True,
                                       "TotalAmt": 45.0, "Line": [{"Amount": 45.0, "LinkedTxn": [
                                           {"TxnId": doc["Id"], "TxnType": "Invoice"}]}]})
        check = self.compare()
        line = self.line(check, "amount", payment_doc["Id"])
        self.assertEqual(line.kind, "payment")
        self.assertIn("Amount: $ 50.00 in Odoo, $ 45.00 in QuickBooks", self.text(line.detail))
        wizard = self.repair(line, "send")
        self.assertIn("a payment is repaired from itself", wizard.preview)

    def test_same_document_on_both_sides_linked(self):
        """An invoice posted in Odoo and typed again by hand in QuickBooks (same date and total) shows as held
        on one side only, twice; linking them puts the books in step, with no copy sent or imported."""
        self.exported(10.0)  # the buyer is linked to a QuickBooks customer on the way
        buyer_qbo_id = self.env["qbo.mapping"].search([("company_id", "=", self.company.id),
                                                      ("qbo_entity", "=", "Customer"),
                                                      ("res_id", "=", self.buyer.id)]).qbo_id
        move = self.make_move(partner=self.buyer, lines=[{"price_unit": 42.0}])
        doc = self.client.create("Invoice", {"CustomerRef": {"value": buyer_qbo_id}, "TxnDate": "2019-01-01",
                                             "Line": [self.sales_line(1, 42.0, "NON")]})
        check = self.compare()
        self.assertEqual(check.difference_count, 2)
        wizard = self.repair(self.line(check, "missing_in_qbo", move) | self.line(check, "missing_in_odoo", doc["Id"]),
                             "link")
        self.assertIn(f"linked with QuickBooks Invoice {doc['Id']} (same date and total: $ 42.00)",
                      self.text(wizard.preview))
        wizard.action_qbo_apply()
        self.assertEqual((move.qbo_id, move.qbo_state, check.difference_count), (doc["Id"], "exported", 0))
        self.assertEqual(self.compare().difference_count, 0)
        self.assertEqual(len(self.qbo_docs("Invoice")), 2)
        self.assertFalse(self.env["account.move"].search([("qbo_imported", "=", True)]))

    def test_who_may_compare_and_repair(self):
        """QuickBooks users read the comparison; only managers compare and repair; another company's
        manager sees nothing of it."""
        self.exported(10.0)
        check = self.compare()
        self.assertEqual(check.with_user(self.qbo_user).read(["document_count"])[0]["document_count"], 1)
        with self.assertRaises(AccessError):
            check.with_user(self.qbo_user).action_qbo_run()
        with self.assertRaises(AccessError):
            check.line_ids.with_user(self.qbo_user).action_qbo_repair()
        other = self.setup_other_company(name="Books Other Co")["company"]
        outsider = self._qbo_new_user("qbo_books_outsider", "base.group_user,account.group_account_manager")
        outsider.write({"company_ids": [(6, 0, other.ids)], "company_id": other.id})
        self.assertFalse(self.env["qbo.books.check"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            check.with_user(outsider).action_qbo_run()


@tagged("post_install", "-at_install")
class TestBooksInStepExpenses(QboExpenseExportCommon):
    """Expenses exported to QuickBooks are compared with the purchase or bill they went to."""

    def test_expense_changed_in_quickbooks(self):
        """Two company-paid expenses exported, in step; one purchase changed in QuickBooks afterwards: found with
        both totals; the repair says an expense is repaired from its report."""
        changed, kept = self.make_expense(245.37, name="Flight"), self.make_expense(80.0, name="Hotel")
        self.approve(changed | kept)
        self.assertEqual(self.export(changed | kept), "2 exported")
        check = self.env["qbo.books.check"].create({"company_id": self.company.id, "date_from": "2026-03-01",
                                                    "date_to": "2026-03-31"})
        check.sudo()._qbo_run_all()
        self.assertEqual((check.state, check.document_count, check.difference_count), ("done", 2, 0))
        self.qbo_update_lines(self.qbo_doc(changed), [{"Amount": 250.0}])
        check.sudo()._qbo_run_all()
        [line] = check.line_ids
        self.assertEqual((line.kind, line.issue, line.expense_id), ("expense", "amount", changed))
        self.assertIn("245.37 in Odoo (1 expenses)", line.detail.replace("\xa0", " "))
        self.assertIn("250.00 in QuickBooks", line.detail.replace("\xa0", " "))
        repair = self.env["qbo.books.repair"].with_user(self.qbo_manager).browse(
            line.with_user(self.qbo_manager).action_qbo_repair()["res_id"])
        repair.action = "send"
        self.assertIn("an expense is repaired from its report", repair.preview)
