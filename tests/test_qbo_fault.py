from odoo.tests import tagged
from odoo.tools import format_time, html2plaintext, mute_logger

from ..qbo_client import QboApiError
from ..qbo_sandbox import entities, faults
from .common_payment import QboPaymentCommon


@tagged("post_install", "-at_install")
class TestQboFault(QboPaymentCommon):
    """QuickBooks' faults reach users as what they can fix, naming the Odoo and QuickBooks records:
    on the document, in the notification and in the sync log (Intuit's code and intuit_tid kept for
    support); a fault QuickBooks will get over is retried, never shown as an error."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.clear_faults)

    def make_product(self, name):
        return self.env["product.product"].create({"name": name, "type": "service", "list_price": 10.0})

    def qbo_item(self, product):
        """The QuickBooks item ``product`` is linked to (linked, or created, by a first export)."""
        qbo_id = self.env["qbo.mapping"]._qbo_ids_for(product, "Item", self.company).get(product.id)
        if not qbo_id:
            self.export(self.make_move(lines=[{"product_id": product.id, "price_unit": 1}]))
            qbo_id = self.env["qbo.mapping"]._qbo_ids_for(product, "Item", self.company)[product.id]
        return self.client.read("Item", qbo_id)

    def deactivate(self, entity, doc):
        """Make a QuickBooks record inactive, as a QuickBooks user would."""
        self.client.update(entity, {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True, "Active": False})

    def log_of(self, move):
        return self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move.id)],
                                               limit=1)

    def explain(self, fault, status=400, **context):
        """The message of a fault exactly as the sandbox (Intuit's shape) sends it."""
        error = QboApiError.from_fault(fault.body()["Fault"], status=status, intuit_tid="tid-1")
        return self.env["qbo.fault"]._qbo_explain(error, company=self.company, **context)

    def test_inactive_item_named_with_its_product(self):
        """The issue's case: [610] ... (element SalesItemLineDetail.ItemRef) becomes the item, its product
        and where to link it again; the sync log keeps Intuit's answer for support."""
        product = self.make_product("Consulting")
        self.deactivate("Item", self.qbo_item(product))
        move = self.make_move(lines=[{"product_id": product.id, "price_unit": 90}])
        action = self.export(move)
        expected = ("The QuickBooks item 'Consulting' (linked to Odoo product 'Consulting') is inactive or deleted in "
                    "QuickBooks: reactivate it there or link the product to another item on Configuration > "
                    "QuickBooks > Mapping (Products).")
        self.assertEqual((move.qbo_state, move.qbo_error), ("error", expected))
        self.assertEqual(action["params"]["message"], f"1 failed ({move.name}: {expected})")
        self.assertEqual(action["params"]["type"], "danger")
        log = self.log_of(move)
        self.assertRecordValues(log, [{"status": "error", "message": expected, "fault_code": "610"}])
        self.assertIn("element SalesItemLineDetail.ItemRef", log.fault_detail)
        self.assertTrue(log.intuit_tid)
        self.assertEqual(html2plaintext(move.message_ids[0].body), f"QuickBooks export failed: {expected}")

    def test_only_the_inactive_item_is_named(self):
        """Of two items on a document, QuickBooks does not say which is inactive: Odoo reads them and names
        only that one."""
        active, inactive = self.make_product("Design"), self.make_product("Hosting")
        self.qbo_item(active)
        self.deactivate("Item", self.qbo_item(inactive))
        move = self.make_move(lines=[{"product_id": active.id, "price_unit": 5},
                                     {"product_id": inactive.id, "price_unit": 7}])
        self.export(move)
        self.assertIn("The QuickBooks item 'Hosting' (linked to Odoo product 'Hosting')", move.qbo_error)
        self.assertNotIn("Design", move.qbo_error)

    def test_inactive_customer(self):
        """A customer made inactive in QuickBooks is named with its Odoo contact and the Customers tab."""
        partner = self.make_partner("Dormant Buyers")
        self.export(self.make_move(partner=partner, lines=[{"price_unit": 3}]))
        customer_id = self.env["qbo.mapping"]._qbo_ids_for(partner, "Customer", self.company)[partner.id]
        self.deactivate("Customer", self.client.read("Customer", customer_id))
        move = self.make_move(partner=partner, lines=[{"price_unit": 4}])
        self.export(move)
        self.assertEqual(move.qbo_error, "The QuickBooks customer 'Dormant Buyers' (linked to Odoo customer 'Dormant "
                                         "Buyers') is inactive or deleted in QuickBooks: reactivate it there or link "
                                         "the customer to another customer on Configuration > QuickBooks > Mapping "
                                         "(Customers).")

    def test_link_to_a_record_quickbooks_does_not_have(self):
        """2500: a link to an Id QuickBooks does not know is named, with where to link the product again."""
        product = self.make_product("Phantom Widget")
        self.env["qbo.mapping"].create({"company_id": self.company.id, "res_model": "product.product",
                                        "res_id": product.id, "qbo_entity": "Item", "qbo_id": "987654",
                                        "qbo_name": "Old Widget"})
        move = self.make_move(lines=[{"product_id": product.id, "price_unit": 12}])
        self.export(move)
        self.assertEqual(move.qbo_error, "The QuickBooks item 'Old Widget' (linked to Odoo product 'Phantom Widget') "
                                         "no longer exists in QuickBooks: link the product to another item on "
                                         "Configuration > QuickBooks > Mapping (Products).")
        self.assertEqual(self.log_of(move).fault_code, "2500")

    def test_duplicate_document_number(self):
        """6140: the number is taken by a document entered in QuickBooks; the message names it."""
        move = self.make_move(lines=[{"price_unit": 8}])
        customer = self.client.create("Customer", {"DisplayName": "Walk-in Buyer"})
        other = self.qbo_sandbox_company.add("Invoice", {
            "DocNumber": move.name, "CustomerRef": {"value": customer["Id"]}, "TxnDate": "2019-01-01",
            "TotalAmt": 1, "Balance": 1, "Line": []})
        self.export(move)
        self.assertEqual(move.qbo_error, f"QuickBooks already has a document numbered {move.name} (invoice "
                                         f"{other['Id']}) and refuses a second one: change the number in Odoo or of "
                                         "that document in QuickBooks, or turn off \"Warn if duplicate number is "
                                         "used\" in QuickBooks (Account and settings > Advanced > Other "
                                         "preferences).")

    def test_document_deleted_in_quickbooks(self):
        """An invoice deleted in QuickBooks: its update says so, and a payment of it names it."""
        partner = self.make_partner("Deleted Docs Co")
        invoice = self.exported(partner, 30.0)
        self.qbo_sandbox_company.remove("Invoice", invoice.qbo_id)
        payment = self.register_payment(invoice, 30.0)
        self.sync()
        self.assertEqual(payment.qbo_error, f"The QuickBooks invoice {invoice.qbo_id} ({invoice.name}) was deleted "
                                            "in QuickBooks, so this one cannot be linked to it there: reconcile this "
                                            "one with another document in Odoo, then retry.")
        invoice.ref = "Changed after the deletion"
        self.export(invoice)
        self.assertEqual(invoice.qbo_error, f"{invoice.name} no longer exists in QuickBooks (deleted or made "
                                            "inactive there), so Odoo cannot change it there.")

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_busy_quickbooks_is_retried_not_an_error(self):
        """503s after the client's own retries: the document waits for a retry at a time the user is told;
        no error anywhere."""
        move = self.make_move(lines=[{"price_unit": 6}])
        self.export(self.make_move(lines=[{"price_unit": 1}]))  # the customer and item exist already
        self.sandbox.inject_fault(status=503, body="<html>Service Unavailable</html>", content_type="text/html",
                                  path_contains="/invoice?", method="POST", count=4, headers={"Retry-After": "0"})
        action = self.export(move)
        expected = ("QuickBooks is busy or unavailable right now; Odoo tries again automatically at "
                    f"{format_time(self.env(user=self.qbo_manager), move.qbo_next_attempt, time_format='short')}.")
        self.assertEqual((move.qbo_state, move.qbo_error), ("to_send", expected))
        self.assertEqual(action["params"]["message"], "1 will be retried automatically")
        self.assertEqual(action["params"]["type"], "warning")
        log = self.log_of(move)
        self.assertRecordValues(log, [{"status": "retry", "state": "retry", "message": expected, "fault_code": "503"}])
        self.assertNotIn("HTTP 503", log.message)

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_authorization_refused_asks_for_a_reconnection(self):
        """401 even after a token refresh: the manager is told to ask an administrator to reconnect, the
        administrator to reconnect, and where."""
        self.export(self.make_move(lines=[{"price_unit": 1}]))
        where = f"Settings > Companies > {self.company.name} > QuickBooks"
        for user, action in ((self.qbo_manager, f"ask a system administrator to reconnect it ({where})."),
                             (self.admin_user, f"reconnect it on {where} (Reconnect).")):
            self.sandbox.inject_fault(kind="authentication", path_contains="/invoice?", method="POST", count=2)
            move = self.make_move(lines=[{"price_unit": 2}])
            self.export(move, user=user)
            self.assertEqual(move.qbo_error, f"QuickBooks refused Odoo's authorization for {self.company.name} "
                                             f"(Token expired or invalid): {action}")
            self.assertEqual(self.log_of(move).fault_code, "3200")

    def test_intuit_refusals_in_words(self):
        """Faults in Intuit's shapes (as the sandbox sends them) that the flows above do not reach."""
        move = self.make_move(lines=[{"price_unit": 9}])
        partner = self.make_partner("Twin Names")
        stale = faults.QboFault("5010", f"{entities.STALE_DETAIL} Entity=Invoice", "SyncToken")
        self.assertEqual(
            self.explain(stale, record=move, entity="Invoice", payload={"DocNumber": "1042"}),
            f"{move.display_name} (QuickBooks invoice 1042) was changed in QuickBooks while Odoo was updating it, so "
            "Odoo's version was not saved: export it again to send Odoo's version over the latest one.")
        business = faults.QboFault("6000", "Business Validation Error: You must set a transaction amount.")
        self.assertEqual(self.explain(business, record=move, entity="Invoice"),
                         f"QuickBooks refused {move.display_name}: You must set a transaction amount.")
        subscription = faults.QboFault("6190", "Subscription period has ended or been canceled, or there was a "
                                               "billing problem", message="Invalid Company Status")
        self.assertEqual(self.explain(subscription),
                         f"The QuickBooks subscription of {self.company.name} has ended or has a billing problem "
                         "(Subscription period has ended or been canceled, or there was a billing problem): "
                         "QuickBooks accepts no change until it is renewed there; retry afterwards.")
        duplicate = faults.QboFault("6240", entities.DUPLICATE_PERSON)
        self.assertEqual(self.explain(duplicate, record=partner, entity="Customer",
                                      payload={"DisplayName": "Twin Names"}),
                         "The name 'Twin Names' is already used in QuickBooks by another customer, vendor or employee "
                         "(they share names in QuickBooks): rename 'Twin Names' in Odoo or that record in QuickBooks, "
                         "or link them on Configuration > QuickBooks > Mapping (Customers).")
        self.assertEqual(self.explain(faults.QboFault("10000", "An application error"), status=500),
                         "QuickBooks is busy or unavailable right now; try again in a few minutes.")
