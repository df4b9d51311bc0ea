from decimal import Decimal

from odoo import Command, fields
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.quickbooks_connector.tests.common_move import QboMoveExportCommon, money
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestOrderEstimate(QboMoveExportCommon):
    """Quotations and sales orders as QuickBooks Estimates: to the cent, following the order's changes and
    cancellation, showing what the customer did in QuickBooks, closed by the invoice made from the order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.tax_ca_incl = cls.make_tax("CA 8% incl.", 8.0, price_include_override="tax_included")
        for tax in cls.tax_ca | cls.tax_ca_incl:
            cls.map_tax(tax, "California")
        cls.eur = cls.setup_other_currency("EUR")
        cls.eur_pricelist = cls.env["product.pricelist"].create({"name": "EUR", "currency_id": cls.eur.id})
        cls.salesperson = mail_new_test_user(
            cls.env, login="estimate_sales", groups="base.group_user,sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)])

    def setUp(self):
        super().setUp()
        for doc in self.qbo_sandbox_company.all("Estimate"):
            self.qbo_sandbox_company.remove("Estimate", doc["Id"])
        for doc in self.qbo_sandbox_company.all("Customer"):
            if doc.get("IsProject"):
                self.qbo_sandbox_company.remove("Customer", doc["Id"])

    def order(self, lines, partner=None, **values):
        return self.env["sale.order"].create({
            "partner_id": (partner or self.make_partner("Estimate Customer")).id,
            "user_id": self.salesperson.id,
            "order_line": [Command.create({"product_id": self.service.id, "product_uom_qty": quantity,
                                           "price_unit": price, "tax_id": [Command.set(taxes.ids)], **extra})
                           for quantity, price, taxes, extra in lines],
            **values,
        })

    def estimate(self, order):
        return self.qbo_sandbox_company.get("Estimate", order.qbo_id)

    def export_queued(self):
        self.env["qbo.order.export"]._qbo_cron_export(company=self.company)

    def apply_change(self, order, delivery=1):
        """QuickBooks notifies the Estimate's change (its ``delivery``th notification); the processor applies it."""
        event = self.env["qbo.webhook.event"].sudo().create({
            "company_id": self.company.id, "realm_id": self.realm_id, "qbo_entity": "Estimate",
            "qbo_id": order.qbo_id, "operation": "Update", "event_time": fields.Datetime.now(),
            "event_key": f"estimate-{order.qbo_id}-{self.estimate(order)['SyncToken']}-{delivery}"})
        self.env["qbo.event.processor"]._qbo_process(self.company)
        return event

    def test_estimate_to_the_cent(self):
        """Tax excluded, tax included, a discount and a EUR order: QuickBooks' own totals equal Odoo's."""
        cases = [
            ([(3, 33.33, self.tax_ca, {})], {}, ("99.99", "8.00", "107.99")),
            ([(1, 100.0, self.tax_ca_incl, {})], {}, ("92.59", "7.41", "100.00")),
            ([(3, 10.99, self.tax_ca, {"discount": 12.5})], {}, ("28.85", "2.31", "31.16")),
            ([(3, 19.99, self.tax_ca, {})], {"pricelist_id": self.eur_pricelist.id}, ("59.97", "4.80", "64.77")),
        ]
        for lines, values, (untaxed, tax, total) in cases:
            with self.subTest(total=total):
                order = self.order(lines, **values)
                self.assertEqual((money(order.amount_untaxed), money(order.amount_tax), money(order.amount_total)),
                                 (Decimal(untaxed), Decimal(tax), Decimal(total)))
                order.with_user(self.qbo_manager).action_qbo_export()
                self.assertEqual(order.qbo_state, "exported", order.qbo_error)
                doc = self.estimate(order)
                self.assertEqual((money(doc["TotalAmt"]), money(doc["TxnTaxDetail"]["TotalTax"])),
                                 (Decimal(total), Decimal(tax)))
                self.assertEqual((doc["TxnStatus"], order.qbo_estimate_status, doc["DocNumber"]),
                                 ("Pending", "Pending", order.name))
                self.assertEqual(money(order.qbo_amount_total), Decimal(total))
        self.assertEqual(self.estimate(order)["CurrencyRef"]["value"], "EUR")
        self.assertEqual(len(self.qbo_sandbox_company.all("Estimate")), 4)

    def test_confirmed_changed_cancelled(self):
        """The company sends orders when confirmed: a quotation stays in Odoo, the confirmed order goes by the
        export job; a changed line updates the same Estimate; cancelling the order rejects it. Exported once.
        When the company sends quotations too, a quotation goes when sent."""
        self.company.qbo_export_orders = "confirmed"
        order = self.order([(2, 50.0, self.tax_ca, {})])
        order.action_quotation_sent()
        self.assertEqual(order.qbo_state, "not_exported")
        order.action_confirm()
        self.assertEqual(order.qbo_state, "to_send")
        self.export_queued()
        self.assertEqual((order.qbo_state, money(self.estimate(order)["TotalAmt"])), ("exported", Decimal("108.00")))
        estimate_id = order.qbo_id

        order.order_line.price_unit = 60.0
        self.assertEqual(order.qbo_state, "to_send")
        self.export_queued()
        self.assertEqual((order.qbo_id, order.qbo_state, money(self.estimate(order)["TotalAmt"])),
                         (estimate_id, "exported", Decimal("129.60")))

        order._action_cancel()
        self.assertEqual(order.qbo_state, "to_send")
        self.export_queued()
        self.assertEqual((self.estimate(order)["TxnStatus"], order.qbo_estimate_status), ("Rejected", "Rejected"))
        self.assertEqual(len(self.qbo_sandbox_company.all("Estimate")), 1)
        logs = self.env["qbo.sync.log"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(sorted(logs.mapped("operation")), ["create", "update", "update"])

        # Sending quotations too: the quotation goes when sent, its confirmation changes nothing in QuickBooks.
        self.company.qbo_export_orders = "sent"
        quotation = self.order([(1, 20.0, self.tax_ca, {})])
        quotation.action_quotation_sent()
        self.assertEqual(quotation.qbo_state, "to_send")
        self.export_queued()
        quotation.action_confirm()
        self.assertEqual(quotation.qbo_state, "exported")
        self.assertEqual(len(self.qbo_sandbox_company.all("Estimate")), 2)

    def test_accepted_and_rejected_in_quickbooks(self):
        """The customer accepts one Estimate and rejects another in QuickBooks: each order shows it, its chatter
        says so and its salesperson gets an activity; the same news delivered twice is told once."""
        accepted, rejected = self.order([(1, 80.0, self.tax_ca, {})]), self.order([(1, 20.0, self.tax_ca, {})])
        (accepted | rejected).with_user(self.qbo_manager).action_qbo_export()
        for order, status, extra in ((accepted, "Accepted", {"AcceptedBy": "Jane Buyer"}), (rejected, "Rejected", {})):
            doc = self.estimate(order)
            self.client.update("Estimate", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                            "TxnStatus": status, **extra})
            event = self.apply_change(order)
            self.assertEqual((event.state, order.qbo_estimate_status), ("done", status))
            activity = order.activity_ids
            self.assertEqual((len(activity), activity.user_id), (1, self.salesperson))
            self.assertIn(status.lower(), activity.summary)
        self.assertIn("Jane Buyer", accepted.activity_ids.summary)
        self.apply_change(accepted, delivery=2)
        self.assertEqual(len(accepted.activity_ids), 1)
        self.assertEqual(accepted.qbo_state, "exported", "nothing to review: Odoo's order is unchanged")
        # The dashboard's QuickBooks card shows the accepted Estimate, opening that order alone.
        manager_env = self.env(user=self.qbo_manager, context={"allowed_company_ids": self.company.ids})
        [card] = manager_env["qbo.dashboard"].qbo_dashboard_cards()
        figures = {figure["key"]: figure for figure in card["figures"]}
        self.assertEqual(figures["orders_accepted"]["count"], 1)
        self.assertEqual(manager_env["sale.order"].search(figures["orders_accepted"]["action"]["domain"]), accepted)
        self.assertNotIn("orders_to_export", figures)

    def test_invoice_from_the_order_closes_its_estimate(self):
        """The invoice made from the order goes linked to its Estimate: QuickBooks closes the Estimate, the order
        shows it (no activity: Odoo did it), and an update of the invoice keeps the link."""
        order = self.order([(4, 25.0, self.tax_ca, {})])
        order.action_confirm()
        order.with_user(self.qbo_manager).action_qbo_export()
        invoice = order._create_invoices()
        invoice.action_post()
        self.export(invoice)
        self.assert_amounts(invoice)
        doc = self.qbo_doc(invoice)
        self.assertIn({"TxnId": order.qbo_id, "TxnType": "Estimate"}, doc["LinkedTxn"])
        estimate = self.estimate(order)
        self.assertEqual(estimate["TxnStatus"], "Closed")
        self.assertIn({"TxnId": invoice.qbo_id, "TxnType": "Invoice"}, estimate["LinkedTxn"])
        self.assertEqual((order.qbo_estimate_status, order.qbo_invoice_id), ("Closed", invoice))
        self.apply_change(order)
        self.assertFalse(order.activity_ids)

        invoice.ref = "PO 77"
        self.export(invoice)
        self.assertEqual(invoice.qbo_state, "exported", invoice.qbo_error)
        self.assertEqual(self.estimate(order)["TxnStatus"], "Closed")
        self.assertIn({"TxnId": order.qbo_id, "TxnType": "Estimate"}, self.qbo_doc(invoice)["LinkedTxn"])

    def test_order_of_a_project(self):
        """An order whose lines are on a project: its Estimate lands on the QuickBooks project (created under the
        customer), and so does the invoice made from it, linked to the Estimate."""
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        patio = self.env["account.analytic.account"].create({"name": "Patio", "plan_id": project_plan.id,
                                                            "company_id": self.company.id})
        order = self.order([(2, 40.0, self.tax_ca, {"analytic_distribution": {str(patio.id): 100}})])
        order.action_confirm()
        order.with_user(self.qbo_manager).action_qbo_export()
        estimate = self.estimate(order)
        project = self.qbo_sandbox_company.get("Customer", estimate["ProjectRef"]["value"])
        self.assertEqual((project["DisplayName"], project["IsProject"], project["ParentRef"]["value"]),
                         ("Patio", True, estimate["CustomerRef"]["value"]))
        invoice = order._create_invoices()
        invoice.action_post()
        self.export(invoice)
        self.assert_amounts(invoice)
        self.assertEqual(self.qbo_doc(invoice)["ProjectRef"]["value"], project["Id"])
        self.assertEqual(self.estimate(order)["TxnStatus"], "Closed")

    @mute_logger("odoo.http")
    def test_salesperson_is_refused(self):
        """A salesperson without the QuickBooks role sees no Export to QuickBooks action on orders and is refused
        over JSON-RPC, nothing sent; a QuickBooks manager may."""
        order = self.order([(1, 10.0, self.tax_ca, {})])
        action = self.env.ref("quickbooks_connector_sale.action_server_qbo_export_order")
        self.assertFalse(self.salesperson.groups_id & action.groups_id)
        self.salesperson.password = "estimate_sales"
        self.authenticate("estimate_sales", "estimate_sales")
        with self.assertRaises(JsonRpcException) as refused:
            self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": "sale.order", "method": "action_qbo_export", "args": [order.ids], "kwargs": {}})
        self.assertEqual(refused.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual((order.qbo_state, self.qbo_sandbox_company.all("Estimate")), ("not_exported", []))


@tagged("post_install", "-at_install")
class TestOrderTour(QboMoveExportCommon):
    """The order's QuickBooks export and tab in a real browser (static/tests/tours/qbo_order_tour.js)."""

    def test_export_from_the_order_form(self):
        """An Accounting Manager exports a confirmed order from its form: one Estimate of 54.00, shown on the
        order's QuickBooks tab as exported and pending."""
        self.qbo_manager.write({"password": "qbo_manager",
                                "groups_id": [(4, self.env.ref("sales_team.group_sale_salesman_all_leads").id)]})
        order = self.env["sale.order"].create({
            "partner_id": self.make_partner("Tour Order Customer").id,
            "order_line": [(0, 0, {"product_id": self.service.id, "product_uom_qty": 3, "price_unit": 18.0,
                                   "tax_id": []})]})
        order.action_confirm()
        self.start_tour(f"/odoo/action-sale.action_orders/{order.id}", "quickbooks_order_estimate",
                        login="qbo_manager", timeout=180)
        self.assertEqual((order.qbo_state, order.qbo_estimate_status), ("exported", "Pending"))
        self.assertEqual([money(doc["TotalAmt"]) for doc in self.qbo_sandbox_company.all("Estimate")
                          if doc["Id"] == order.qbo_id], [money(54)])
