import json

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from ..qbo_sandbox import faults
from .common_expense import QboExpenseExportCommon
from .common_payment import QboPaymentCommon


def inject_refusal(sandbox, path, detail, count=1):
    """Have the sandbox refuse the next calls to ``path`` with Intuit's business validation fault."""
    body = json.dumps(faults.QboFault("6000", f"Business Validation Error: {detail}").body())
    sandbox.inject_fault(status=400, body=body, content_type=faults.JSON, path_contains=path, method="POST",
                         count=count)


class SyncLogMixin:
    """The sync log as a QuickBooks manager reads it."""

    def logs_of(self, record):
        return self.env["qbo.sync.log"].search([("res_model", "=", record._name), ("res_id", "=", record.id)])

    def retry(self, logs, user=None):
        """Press Retry on these rows of the sync log; return the notification's message."""
        action = logs.with_user(user or self.qbo_manager).action_retry()
        self.env.invalidate_all()
        return action["params"]["message"]


@tagged("post_install", "-at_install")
class TestQboSyncLog(SyncLogMixin, QboPaymentCommon):
    """Each row says which way it went, the Odoo record and the QuickBooks document (with its link);
    a failure becomes resolved when a later exchange of the same record succeeds; Retry works for
    every kind of record the log holds, through the engine that did the exchange."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Log Reader Ltd", "is_company": True})
        cls.eur = cls.setup_other_currency("EUR")

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.clear_faults)

    def deactivate_item(self, product, active=False):
        qbo_id = self.env["qbo.mapping"]._qbo_ids_for(product, "Item", self.company)[product.id]
        doc = self.client.read("Item", qbo_id)
        self.client.update("Item", {"Id": qbo_id, "SyncToken": doc["SyncToken"], "sparse": True, "Active": active})

    def filter_domain(self, name):
        """The domain of a filter of the sync log's search view, as the manager's screen has it."""
        arch = self.env["qbo.sync.log"].with_user(self.qbo_manager).get_views([(False, "search")])["views"]["search"]
        node = etree.fromstring(arch["arch"]).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(node.get("domain"))

    def test_row_names_both_sides(self):
        """An export reads "To QuickBooks", with the invoice and the QuickBooks invoice by its number and
        address; technical columns are for developer mode only."""
        invoice = self.exported(self.customer, 25.0)
        log = self.logs_of(invoice)
        self.assertRecordValues(log, [{
            "direction": "export", "record_kind": "document", "res_id": invoice.id, "state": "success",
            "qbo_document": f"Invoice {invoice.qbo_doc_number}",
            "qbo_url": self.company._qbo_document_url("Invoice", invoice.qbo_id),
        }])
        self.assertEqual(dict(log._fields["direction"]._description_selection(self.env))["export"], "To QuickBooks")
        self.assertIn(f"txnId={invoice.qbo_id}", log.qbo_url)
        self.assertEqual(log.with_user(self.qbo_manager).action_open_qbo()["url"], log.qbo_url)
        # The list as the manager's browser gets it, then in developer mode.
        self.qbo_manager.write({"password": "qbo_manager", "groups_id": [(4, self.env.ref("base.group_no_one").id)]})
        self.authenticate("qbo_manager", "qbo_manager")
        technical = ("requestid", "qbo_id", "fault_code", "intuit_tid", "duration")
        for debug in (False, True):
            if debug:
                self.url_open("/odoo?debug=1")
            list_arch = self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": "qbo.sync.log", "method": "get_views", "args": [[[False, "list"]]], "kwargs": {},
            })["views"]["list"]["arch"]
            for visible in ("direction", "res_id", "qbo_document", "qbo_url", "state", "message"):
                self.assertIn(f'name="{visible}"', list_arch)
            for name in technical:
                self.assertEqual(f'name="{name}"' in list_arch, debug, name)

    def test_failure_resolved_by_a_later_success(self):
        """An invoice refused for an inactive item, the item reactivated, Retry from the log: the failed
        row is resolved (no longer among the errors to fix); another invoice's failure is not."""
        product = self.env["product.product"].create({"name": "Support Plan", "type": "service"})
        self.export(self.make_move(partner=self.customer, lines=[{"product_id": product.id, "price_unit": 1}]))
        self.deactivate_item(product)
        first, second = (self.make_move(partner=self.customer, lines=[{"product_id": product.id, "price_unit": price}])
                         for price in (30, 40))
        self.export(first)
        self.export(second)
        failed = self.logs_of(first)
        self.assertEqual(failed.state, "error")
        unresolved = self.filter_domain("unresolved")
        self.assertEqual(self.env["qbo.sync.log"].search(unresolved), self.logs_of(second) | failed)
        with self.assertRaises(AccessError):
            failed.with_user(self._qbo_new_user("log_reader", "base.group_user,quickbooks_connector.group_qbo_user")
                             ).action_retry()
        self.deactivate_item(product, active=True)
        self.assertEqual(self.retry(failed), "1 exported")
        self.assertEqual(first.qbo_state, "exported")
        self.assertEqual(failed.state, "resolved")
        self.assertTrue(failed.resolved_at)
        self.assertEqual(self.env["qbo.sync.log"].search(unresolved), self.logs_of(second))
        self.assertEqual(self.env["qbo.sync.log"].search(self.filter_domain("resolved")), failed)
        with self.assertRaisesRegex(UserError, "nothing to retry"):
            failed.with_user(self.qbo_manager).action_retry()

    def test_email_failure_resolved_only_by_an_email(self):
        """Sending by QuickBooks fails (no address): a later update does not resolve it; Retry sends it."""
        partner = self.env["res.partner"].create({"name": "No Mail Co", "is_company": True})
        invoice = self.exported(partner, 15.0)
        self.assertEqual(invoice.with_user(self.qbo_manager).action_qbo_send()["params"]["type"], "danger")
        refused = self.logs_of(invoice).filtered(lambda log: log.operation == "send")
        self.assertEqual(refused.state, "error")
        self.assertIn("There is no email address", refused.message)
        invoice.ref = "PO 12"
        self.export(invoice)
        self.assertEqual(refused.state, "error")
        partner.email = "accounts@nomail.example"
        self.assertEqual(self.retry(refused), "1 emailed by QuickBooks")
        self.assertEqual(refused.state, "resolved")

    def test_retry_a_payment(self):
        """A payment QuickBooks refused goes again from the log and its failure is resolved."""
        invoice = self.exported(self.customer, 50.0)
        payment = self.register_payment(invoice, 50.0)
        inject_refusal(self.sandbox, "/payment?", "You must set a transaction amount.")
        self.sync()
        [failed] = self.logs_of(payment)
        self.assertRecordValues(failed, [{"state": "error", "record_kind": "payment", "direction": "export",
                                          "fault_code": "6000"}])
        self.assertEqual(failed.message, f"QuickBooks refused {payment.display_name}: You must set a transaction "
                                         "amount.")
        self.assertEqual(self.retry(failed), "1 sent to QuickBooks")
        self.assertEqual((payment.qbo_state, failed.state), ("synced", "resolved"))

    def test_retry_master_data(self):
        """An item QuickBooks refused to create is logged for its product; Retry creates it."""
        self.exported(self.customer, 5.0)  # the customer exists in QuickBooks already
        product = self.env["product.product"].create({"name": "Refused Gadget", "type": "service"})
        inject_refusal(self.sandbox, "/batch", "The item account is not valid.")
        move = self.make_move(partner=self.customer, lines=[{"product_id": product.id, "price_unit": 9}])
        self.export(move)
        [failed] = self.logs_of(product)
        self.assertRecordValues(failed, [{"state": "error", "record_kind": "master", "qbo_entity": "Item",
                                          "qbo_document": "Item Refused Gadget"}])
        self.assertIn("The item account is not valid.", move.qbo_error)
        self.assertEqual(self.retry(failed), "1 created in QuickBooks")
        self.assertEqual(failed.state, "resolved")
        self.assertTrue(self.env["qbo.mapping"]._qbo_ids_for(product, "Item", self.company))

    def test_retry_an_import(self):
        """A QuickBooks payment Odoo could not book (inactive currency) is read again by the log's Retry."""
        partner = self.env["res.partner"].create({"name": "Euro Retry GmbH", "is_company": True})
        euro_invoice = self.exported(partner, 10.0, currency_id=self.eur.id)
        refused = self.qbo_pay([(euro_invoice, 10.0)], CurrencyRef={"value": "EUR"}, ExchangeRate=1.1)
        self.eur.active = False
        self.sync()
        failed = self.env["qbo.sync.log"].search([("qbo_id", "=", refused["Id"]), ("status", "=", "error")])
        self.assertRecordValues(failed, [{"direction": "import", "record_kind": "payment", "res_model": False,
                                          "qbo_document": f"Payment {refused['Id']}"}])
        self.assertEqual(self.env["qbo.sync.log"].search(self.filter_domain("import")) & failed, failed)
        self.assertFalse(self.env["qbo.sync.log"].search(self.filter_domain("export")) & failed)
        self.eur.active = True
        self.assertEqual(self.retry(failed), "1 payment imported")
        self.assertEqual(euro_invoice.payment_state, "paid")
        self.assertEqual(failed.state, "resolved")

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_busy_quickbooks_during_a_scheduled_read(self):
        """The payment job meets a QuickBooks outage: a warning telling when it tries again (and it is
        scheduled then), not an error; Retry from the log reads at once."""
        invoice = self.exported(self.customer, 12.0)
        self.qbo_pay([(invoice, 12.0)])
        cron = self.env.ref("quickbooks_connector.ir_cron_qbo_pull_payments")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.sandbox.inject_fault(status=503, path_contains="/query", method="POST", count=4,
                                  headers={"Retry-After": "0"})
        self.env["qbo.payment.pull"]._cron_qbo_sync_payments()
        waiting = self.env["qbo.sync.log"].search([("operation", "=", "read"), ("qbo_entity", "=", "Payment")],
                                                  limit=1)
        self.assertEqual(waiting.state, "retry")
        self.assertRegex(waiting.message, r"^QuickBooks is busy or unavailable right now; Odoo tries again "
                                          r"automatically at .+\.$")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.assertEqual(self.retry(waiting), "1 payment imported")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(waiting.state, "resolved")

    def test_filters_by_kind(self):
        """The kind filters split invoices and bills, payments and master data."""
        partner = self.env["res.partner"].create({"name": "Kinds Of Logs Inc", "is_company": True})
        invoice = self.exported(partner, 7.0)
        payment = self.register_payment(invoice, 7.0)
        self.sync()
        kinds = {"kind_document": self.logs_of(invoice), "kind_payment": self.logs_of(payment),
                 "kind_master": self.logs_of(partner)}
        self.assertTrue(all(kinds.values()), kinds)
        for name, logs in kinds.items():
            for other, other_logs in kinds.items():
                found = other_logs.filtered_domain(self.filter_domain(name))
                self.assertEqual(found, other_logs if other == name else found.browse(), (name, other))


@tagged("post_install", "-at_install")
class TestQboSyncLogExpense(SyncLogMixin, QboExpenseExportCommon):
    """Expenses, exported or imported, are retried from the sync log like invoices."""

    def test_retry_an_expense(self):
        expense = self.make_expense(33.0)
        self.approve(expense)
        self.addCleanup(self.sandbox.clear_faults)
        inject_refusal(self.sandbox, "/purchase?", "The account period has an issue.")
        self.export(expense)
        [failed] = self.logs_of(expense)
        self.assertRecordValues(failed, [{"state": "error", "record_kind": "expense", "qbo_entity": "Purchase"}])
        self.assertEqual(self.retry(failed), "1 exported")
        self.assertEqual((expense.qbo_state, failed.state), ("exported", "resolved"))

    def test_retry_an_expense_import(self):
        """A QuickBooks expense Odoo could not import (no employee chosen) is read again from the log."""
        self.company.qbo_expense_employee_id = False
        doc = self.qbo_purchase("Cash", [("Travel", 40.0, "Taxi", None)])
        self.sync()
        failed = self.env["qbo.sync.log"].search([("qbo_id", "=", doc["Id"]), ("status", "=", "error")])
        self.assertRecordValues(failed, [{"direction": "import", "record_kind": "expense",
                                          "qbo_document": f"Expense {doc.get('DocNumber') or doc['Id']}"}])
        self.assertIn("Not imported yet: no Odoo employee to file it under (it has no payee).", failed.message)
        self.company.qbo_expense_employee_id = self.bookkeeper
        self.assertIn("1 expenses imported", self.retry(failed))
        self.assertEqual(self.expenses_of(doc).total_amount_currency, 40.0)
        self.assertEqual(failed.state, "resolved")

