import json
import threading
from decimal import Decimal as D
from urllib.parse import quote

from odoo.tests import tagged

from ..qbo_sandbox import webhooks
from .common_sandbox import SandboxApiCase
from .test_sandbox_webhooks import _Receiver

VERIFIER = "estimates-verifier-token"


class SandboxLinksCase(SandboxApiCase):
    """Helpers of the two classes below: queries, CDC, a webhook endpoint, projects, linking invoices."""

    company_options = {"sales_tax": False}

    def setUp(self):
        super().setUp()
        self.customer_id = self.customer()
        self.item_id = self.item()

    def ids(self, entity, condition):
        """The Ids a ``select * from {entity} where {condition}`` query answers, in its order."""
        status, answer = self.call("GET", f"query?query={quote(f'select * from {entity} where {condition}')}"
                                          "&minorversion=75")
        self.assertEqual(status, 200, answer)
        return [doc["Id"] for doc in answer["QueryResponse"].get(entity, [])]

    def cdc(self, entities):
        return self.call("GET", f"cdc?entities={entities}&changedSince={self.qbo.stamp()[:10]}&minorversion=75")

    def cdc_records(self, entity):
        status, answer = self.cdc(entity)
        self.assertEqual(status, 200, answer)
        responses = answer["CDCResponse"][0]["QueryResponse"]
        return {doc["Id"]: doc for response in responses for doc in response.get(entity, [])}

    def listen_to_webhooks(self):
        """Point the test app's webhooks at a local endpoint; return ``flush()`` -> the events posted
        since, as (entity, Id, operation)."""
        receiver = _Receiver()
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        self.addCleanup(receiver.server_close)
        self.addCleanup(receiver.shutdown)
        self.register_sandbox_app(webhook_url=receiver.url, webhook_verifier=VERIFIER)
        self.addCleanup(self.register_sandbox_app)
        dispatcher = webhooks.for_state(self.sandbox)
        dispatcher.configure(enabled=True, retry_scale=0.001)
        dispatcher.discard()
        self.addCleanup(dispatcher.discard)

        def flush():
            dispatcher.flush()
            events = []
            for received in receiver.received:
                self.assertEqual(received["headers"]["intuit-signature"], webhooks.sign(received["body"], VERIFIER))
                for notification in json.loads(received["body"])["eventNotifications"]:
                    if notification["realmId"] == self.qbo.realm_id:
                        events += [(entity["name"], entity["id"], entity["operation"])
                                   for entity in notification["dataChangeEvent"]["entities"]]
            return events
        return flush

    def project(self, parent_id, name="Website project"):
        return self.post("Customer", {"DisplayName": name, "IsProject": True, "ParentRef": {"value": parent_id}})["Id"]

    def linked_invoice(self, txn_type, txn_id, on_line=False, **fields):
        """The body of an invoice of the test customer linking ``txn_id`` (LinkedTxn on the invoice,
        or on its line)."""
        link = [{"TxnId": txn_id, "TxnType": txn_type}]
        line = self.sales_line(self.item_id, D("150.00"), 2, 75)
        if on_line:
            line["LinkedTxn"] = link
        else:
            fields["LinkedTxn"] = link
        return dict({"CustomerRef": {"value": self.customer_id}, "Line": [line]}, **fields)


@tagged("post_install", "-at_install")
class TestSandboxEstimates(SandboxLinksCase):
    """Estimates: totals to the cent as an invoice's but no balance, TxnStatus, the invoice that
    closes them, query, CDC and webhooks."""

    def estimate(self, *lines, customer_id=None, **fields):
        return self.post("Estimate", dict({"CustomerRef": {"value": customer_id or self.customer_id},
                                           "Line": list(lines or [self.sales_line(self.item_id, D("150.00"))])},
                                          **fields))

    def test_totals_discount_and_defaults(self):
        """TotalAmt from Qty x UnitPrice (half up) minus a percent discount, the SubTotal line, no
        Balance; TxnStatus Pending, TxnDate today; ExpirationDate and memos kept."""
        discount = {"DetailType": "DiscountLineDetail", "DiscountLineDetail": {"PercentBased": True,
                                                                               "DiscountPercent": D("8.5")}}
        doc = self.estimate(self.sales_line(self.item_id, D("1861.08"), D("128.35"), D("14.50")),  # 1861.075
                            self.sales_line(self.item_id, D("19.95")), discount,
                            ExpirationDate="2026-12-31", CustomerMemo={"value": "Valid 30 days"},
                            PrivateNote="Odoo sale.order 12", BillEmail={"Address": "buyer@example.com"})
        self.assertEqual([line["Amount"] for line in doc["Line"] if line["DetailType"] == "SubTotalLineDetail"],
                         [D("1881.03")])
        self.assertEqual([line["Amount"] for line in doc["Line"] if line["DetailType"] == "DiscountLineDetail"],
                         [D("159.89")])  # 159.88755
        self.assertEqual(doc["TotalAmt"], D("1721.14"))
        self.assertNotIn("Balance", doc)
        self.assertEqual((doc["TxnStatus"], doc["TxnDate"], doc["ExpirationDate"]),
                         ("Pending", self.qbo.now().date().isoformat(), "2026-12-31"))
        self.assertEqual((doc["CustomerMemo"], doc["PrivateNote"]), ({"value": "Valid 30 days"}, "Odoo sale.order 12"))
        self.assertEqual(self.read("Estimate", doc["Id"]), doc)
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("0.00"), "an estimate owes nothing")
        self.refused("Estimate", {"Line": [self.sales_line(self.item_id, 10)]}, "2020")  # no CustomerRef

    def test_us_tax_as_an_invoice(self):
        """US sales tax (two rates of one code, a NON line, a discount) totals as the same invoice does."""
        self.use_company()
        self.customer_id, self.item_id = self.customer(), self.item(Taxable=True)
        body = {"CustomerRef": {"value": self.customer_id},
                "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.seeded("TaxCode", "Los Angeles")}},
                "Line": [self.sales_line(self.item_id, D("99.99"), tax_code="TAX"),
                         self.sales_line(self.item_id, D("50.00"), tax_code="NON"),
                         {"DetailType": "DiscountLineDetail",
                          "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}}]}
        estimate, invoice = self.post("Estimate", body), self.post("Invoice", body)
        self.assertEqual([line["Amount"] for line in estimate["TxnTaxDetail"]["TaxLine"]], [D("7.25"), D("2.25")])
        self.assertEqual((estimate["TxnTaxDetail"]["TotalTax"], estimate["TotalAmt"]), (D("9.50"), D("144.49")))
        self.assertEqual((estimate["TxnTaxDetail"], estimate["TotalAmt"]),
                         (invoice["TxnTaxDetail"], invoice["TotalAmt"]))

    def test_vat_tax_inclusive(self):
        """Non-US TaxInclusive: Amount is the net, TotalAmt the gross sum, tax rounded once per rate."""
        self.use_company(country="GB")
        self.customer_id, self.item_id = self.customer(), self.item()
        standard = self.seeded("TaxCode", "20.0% S")
        doc = self.estimate(self.sales_line(self.item_id, D("250.00"), tax_code=standard, TaxInclusiveAmt=300),
                            self.sales_line(self.item_id, D("41.67"), tax_code=standard, TaxInclusiveAmt=50),
                            GlobalTaxCalculation="TaxInclusive")
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("58.33"), D("350.00")))
        self.refused("Estimate", {"CustomerRef": {"value": self.customer_id},
                                  "Line": [self.sales_line(self.item_id, D("40.00"))]}, "6000")  # no VAT code

    def test_foreign_currency(self):
        """A EUR estimate in a USD company: the customer's currency, an ExchangeRate, HomeTotalAmt."""
        self.use_company(multicurrency=True, sales_tax=False)
        euro = self.customer("Euro GmbH", CurrencyRef={"value": "EUR"})
        self.item_id = self.item()
        line = self.sales_line(self.item_id, D("999.99"))
        self.refused("Estimate", {"CustomerRef": {"value": euro}, "Line": [line]}, "6000")  # USD is not hers
        self.refused("Estimate", {"CustomerRef": {"value": euro}, "Line": [line], "CurrencyRef": {"value": "EUR"}},
                     "2020")  # no ExchangeRate
        doc = self.estimate(line, customer_id=euro, CurrencyRef={"value": "EUR"}, ExchangeRate=D("1.0837"))
        self.assertEqual((doc["TotalAmt"], doc["HomeTotalAmt"], doc["ExchangeRate"]),
                         (D("999.99"), D("1083.69"), D("1.0837")))
        self.assertNotIn("HomeBalance", doc)

    def test_invalid_status_refused_and_store_unchanged(self):
        """A TxnStatus outside Pending/Accepted/Closed/Rejected is 2170 and nothing changes."""
        doc = self.estimate()
        error = self.refused("Estimate", dict(doc, TxnStatus="Open"), "2170")
        self.assertEqual(error["element"], "TxnStatus")
        self.assertEqual(error["Detail"],
                         "Invalid Enumeration : Open. Allowed values: Pending, Accepted, Closed, Rejected")
        self.refused("Estimate", {"CustomerRef": {"value": self.customer_id}, "TxnStatus": "Won",
                                  "Line": [self.sales_line(self.item_id, 10)]}, "2170")
        self.assertEqual(self.read("Estimate", doc["Id"]), doc)
        self.assertEqual([stored["Id"] for stored in self.qbo.all("Estimate")], [doc["Id"]])
        self.refused("Estimate", dict(doc, SyncToken="7", TxnStatus="Accepted"), "5010")
        self.refused("Estimate", dict(doc, ProjectRef={"value": self.customer_id}), "6000")  # not a project

    def test_accepted_and_rejected_by_update_and_query(self):
        """Full and sparse updates set the status; a query filters on TxnStatus, CustomerRef, DocNumber."""
        accepted, rejected, pending = (self.estimate(DocNumber=f"EST-{number}") for number in (1, 2, 3))
        accepted = self.update("Estimate", accepted, TxnStatus="Accepted", AcceptedBy="Jane Buyer",
                               AcceptedDate="2026-12-05")
        self.assertEqual((accepted["TxnStatus"], accepted["AcceptedBy"], accepted["AcceptedDate"]),
                         ("Accepted", "Jane Buyer", "2026-12-05"))
        self.assertEqual(accepted["SyncToken"], "1")
        rejected = self.post("Estimate", {"Id": rejected["Id"], "SyncToken": rejected["SyncToken"], "sparse": True,
                                          "TxnStatus": "Rejected"})
        self.assertEqual((rejected["TxnStatus"], rejected["TotalAmt"]), ("Rejected", D("150.00")))
        self.assertEqual(self.ids("Estimate", "TxnStatus = 'Accepted'"), [accepted["Id"]])
        self.assertEqual(self.ids("Estimate", "TxnStatus IN ('Rejected', 'Pending')"), [rejected["Id"], pending["Id"]])
        self.assertEqual(self.ids("Estimate", f"CustomerRef = '{self.customer_id}' AND DocNumber = 'EST-2'"),
                         [rejected["Id"]])
        self.assertEqual(self.ids("Estimate", f"TxnDate = '{pending['TxnDate']}' AND TotalAmt = 150"),
                         [accepted["Id"], rejected["Id"], pending["Id"]])

    def test_invoice_linking_closes_and_delete_reopens(self):
        """An invoice linking an accepted estimate closes it and both show the link; a payment links
        alongside; deleting the invoice re-opens the estimate as Accepted without the link."""
        estimate = self.estimate(TxnStatus="Accepted", AcceptedBy="Jane Buyer")
        invoice = self.post("Invoice", self.linked_invoice("Estimate", estimate["Id"]))
        self.assertEqual(invoice["LinkedTxn"], [{"TxnId": estimate["Id"], "TxnType": "Estimate"}])
        closed = self.read("Estimate", estimate["Id"])
        self.assertEqual((closed["TxnStatus"], closed["LinkedTxn"], closed["SyncToken"]),
                         ("Closed", [{"TxnId": invoice["Id"], "TxnType": "Invoice"}], "1"))
        self.assertEqual(self.update("Estimate", closed, PrivateNote="still closed")["TxnStatus"], "Closed")
        self.refused("Estimate", dict(self.read("Estimate", estimate["Id"]), TxnStatus="Pending"), "6000")
        self.assertEqual(self.delete("Estimate", self.read("Estimate", estimate["Id"]))[0], 400)

        payment = self.payment(self.customer_id, D("40.00"), self.applied(invoice["Id"], D("40.00")))
        invoice = self.read("Invoice", invoice["Id"])
        self.assertEqual(invoice["LinkedTxn"], [{"TxnId": estimate["Id"], "TxnType": "Estimate"},
                                                {"TxnId": payment["Id"], "TxnType": "Payment"}])
        self.assertEqual(invoice["Balance"], D("110.00"))
        invoice = self.update("Invoice", invoice, PrivateNote="sent back as read")
        self.assertEqual(len(invoice["LinkedTxn"]), 2)
        self.assertEqual(self.delete("Payment", self.read("Payment", payment["Id"]))[0], 200)
        status, answer = self.delete("Invoice", self.read("Invoice", invoice["Id"]))
        self.assertEqual(status, 200, answer)
        reopened = self.read("Estimate", estimate["Id"])
        self.assertEqual(reopened["TxnStatus"], "Accepted")
        self.assertNotIn("LinkedTxn", reopened)

    def test_void_or_unlink_reopens_pending(self):
        """Voiding the invoice, or updating it without the link, re-opens a never accepted estimate as Pending."""
        estimate = self.estimate()
        invoice = self.post("Invoice", self.linked_invoice("Estimate", estimate["Id"]))
        self.assertEqual(self.read("Estimate", estimate["Id"])["TxnStatus"], "Closed")
        status, answer = self.void("Invoice", invoice)
        self.assertEqual(status, 200, answer)
        self.assertNotIn("LinkedTxn", answer["Invoice"])
        self.assertEqual(self.read("Estimate", estimate["Id"])["TxnStatus"], "Pending")

        invoice = self.post("Invoice", self.linked_invoice("Estimate", estimate["Id"]))
        self.update("Invoice", {key: value for key, value in invoice.items() if key != "LinkedTxn"})
        reopened = self.read("Estimate", estimate["Id"])
        self.assertEqual((reopened["TxnStatus"], reopened.get("LinkedTxn")), ("Pending", None))

    def test_closed_rejected_or_foreign_estimate_refused_as_link(self):
        """Strict: only a Pending or Accepted estimate of the invoice's customer can be linked (6000);
        an unknown one is 610; nothing is stored."""
        closed = self.estimate(TxnStatus="Closed")
        rejected = self.estimate(TxnStatus="Rejected")
        foreign = self.estimate(customer_id=self.customer("Other Ltd"))
        for estimate, code in ((closed, "6000"), (rejected, "6000"), (foreign, "6000"), ({"Id": "9999"}, "610")):
            with self.subTest(estimate=estimate.get("TxnStatus"), code=code):
                self.refused("Invoice", self.linked_invoice("Estimate", estimate["Id"]), code)
        linked = self.estimate()
        self.post("Invoice", self.linked_invoice("Estimate", linked["Id"]))
        self.refused("Invoice", self.linked_invoice("Estimate", linked["Id"]), "6000")  # already Closed
        self.assertEqual(len(self.qbo.all("Invoice")), 1)
        self.assertEqual(self.read("Estimate", closed["Id"])["SyncToken"], "0")

    def test_doc_numbers_delete_and_no_void(self):
        """Estimates have their own numbering (1001 on; 6140 among estimates only, unless
        allowduplicatedocnum); they can be deleted, not voided."""
        self.use_company(sales_tax=False, custom_txn_numbers=False)
        self.customer_id, self.item_id = self.customer(), self.item()
        self.assertEqual(self.invoice(self.customer_id, self.sales_line(self.item_id, 10))["DocNumber"], "1001")
        self.assertEqual([self.estimate()["DocNumber"] for _dummy in range(2)], ["1001", "1002"])
        self.qbo.configure(custom_txn_numbers=True)
        self.estimate(DocNumber="Q-7")
        self.assertIn("TxnType=Estimate", self.refused("Estimate", {
            "CustomerRef": {"value": self.customer_id}, "DocNumber": "Q-7",
            "Line": [self.sales_line(self.item_id, 10)]}, "6140")["Detail"])
        self.post("Estimate", {"CustomerRef": {"value": self.customer_id}, "DocNumber": "Q-7",
                               "Line": [self.sales_line(self.item_id, 10)]}, options="&include=allowduplicatedocnum")
        self.invoice(self.customer_id, self.sales_line(self.item_id, 10), DocNumber="Q-7")
        self.assertEqual(self.estimate(DocNumber="AUTO_GENERATE")["DocNumber"], "1003")
        doc = self.estimate()
        status, answer = self.call("POST", "estimate?operation=void", {"Id": doc["Id"], "SyncToken": "0"})
        self.assertEqual((status, answer["Fault"]["Error"][0]["code"]), (400, "500"))
        self.assertEqual(self.delete("Estimate", doc)[0], 200)
        self.assertEqual(self.call("GET", f"estimate/{doc['Id']}")[0], 400)

    def test_cdc_and_webhooks(self):
        """CDC returns the estimates changed (closed by an invoice included) and the deleted ones; a
        webhook reports Create, Update and Delete of each."""
        flush = self.listen_to_webhooks()
        kept, gone = self.estimate(), self.estimate()
        invoice = self.post("Invoice", self.linked_invoice("Estimate", kept["Id"]))
        self.assertEqual(self.delete("Estimate", gone)[0], 200)
        records = self.cdc_records("Estimate")
        self.assertEqual(set(records), {kept["Id"], gone["Id"]})
        self.assertEqual((records[kept["Id"]]["TxnStatus"], records[kept["Id"]]["SyncToken"]), ("Closed", "1"))
        self.assertEqual(records[gone["Id"]]["status"], "Deleted")
        events = flush()
        self.assertEqual([event for event in events if event[0] == "Estimate"],
                         [("Estimate", kept["Id"], "Create"), ("Estimate", gone["Id"], "Create"),
                          ("Estimate", kept["Id"], "Update"), ("Estimate", gone["Id"], "Delete")])
        self.assertIn(("Invoice", invoice["Id"], "Create"), events)


@tagged("post_install", "-at_install")
class TestSandboxTimeActivity(SandboxLinksCase):
    """Time activities: employee or vendor, duration, billing status set by the invoice billing them;
    query, no CDC, webhooks."""

    def setUp(self):
        super().setUp()
        self.employee_id = self.post("Employee", {"GivenName": "Emily", "FamilyName": "Platt"})["Id"]

    def activity(self, **fields):
        return self.post("TimeActivity", dict({"NameOf": "Employee", "EmployeeRef": {"value": self.employee_id},
                                               "CustomerRef": {"value": self.customer_id},
                                               "ItemRef": {"value": self.item_id}, "BillableStatus": "Billable",
                                               "HourlyRate": 75, "Hours": 2, "Minutes": 30}, **fields))

    def test_employee_and_vendor_time(self):
        """Employee time in hours and minutes, vendor time from start to end with a break; defaults
        NotBillable, HourlyRate 0, Taxable false, TxnDate today; nothing is posted."""
        doc = self.activity(Description="Design review", TxnDate="2026-12-01")
        self.assertEqual((doc["EmployeeRef"], doc["BillableStatus"], doc["HourlyRate"], doc["Hours"], doc["Minutes"]),
                         ({"value": self.employee_id, "name": "Emily Platt"}, "Billable", 75, 2, 30))
        self.assertEqual((doc["CustomerRef"]["name"], doc["ItemRef"]["name"], doc["TxnDate"]),
                         ("Acme Corp", "Consulting", "2026-12-01"))
        self.assertEqual(self.read("TimeActivity", doc["Id"]), doc)
        vendor_id = self.vendor("Freelance Ltd")
        doc = self.post("TimeActivity", {"NameOf": "Vendor", "VendorRef": {"value": vendor_id},
                                         "StartTime": "2026-12-02T09:00:00-08:00", "EndTime": "2026-12-02T17:30:00",
                                         "BreakHours": 1, "BreakMinutes": 15})
        self.assertEqual((doc["VendorRef"]["value"], doc["BillableStatus"], doc["HourlyRate"], doc["Taxable"]),
                         (vendor_id, "NotBillable", 0, False))
        self.assertEqual((doc["EndTime"], doc["TxnDate"]),
                         ("2026-12-02T17:30:00-08:00", self.qbo.now().date().isoformat()))
        self.assertNotIn("Hours", doc)
        for field in ("TotalAmt", "Balance"):
            self.assertNotIn(field, doc)
        self.assertEqual(self.read("Customer", self.customer_id)["Balance"], D("0.00"))
        self.assertEqual(self.read("Vendor", vendor_id)["Balance"], D("0.00"))
        project = self.project(self.customer_id)
        doc = self.activity(CustomerRef={"value": project}, ProjectRef={"value": project})
        self.assertEqual(doc["ProjectRef"]["value"], project)

    def test_required_and_invalid_fields_refused(self):
        """NameOf and the worker's reference are required, durations and rates checked; nothing stored."""
        employee = {"NameOf": "Employee", "EmployeeRef": {"value": self.employee_id}, "Hours": 1}
        not_a_service = self.post("Item", {"Name": "Box", "Type": "NonInventory",
                                           "IncomeAccountRef": {"value": self.seeded("Account", "Services")}})["Id"]
        cases = [
            ({"EmployeeRef": {"value": self.employee_id}, "Hours": 1}, "2020", "NameOf"),
            (dict(employee, NameOf="Other"), "2170", "NameOf"),
            ({"NameOf": "Employee", "Hours": 1}, "2020", "EmployeeRef"),
            ({"NameOf": "Vendor", "Hours": 1, "EmployeeRef": {"value": self.employee_id}}, "2020", "VendorRef"),
            (dict(employee, EmployeeRef={"value": "9999"}), "2500", "EmployeeRef"),
            (dict(employee, VendorRef={"value": self.vendor()}), "6000", "VendorRef"),
            ({"NameOf": "Employee", "EmployeeRef": {"value": self.employee_id}}, "2020", "Hours"),
            (dict(employee, Minutes=60), "6000", "Minutes"),
            (dict(employee, Hours=-1), "6000", "Hours"),
            (dict(employee, Hours=D("1.5")), "2010", "Hours"),
            (dict(employee, StartTime="2026-12-02T09:00:00-08:00", EndTime="2026-12-02T08:00:00-08:00",
                  Hours=None), "6000", "EndTime"),
            (dict(employee, BillableStatus="Billable", CustomerRef={"value": self.customer_id}), "2020", "HourlyRate"),
            (dict(employee, BillableStatus="Billable", HourlyRate=50), "2020", "CustomerRef"),
            (dict(employee, BillableStatus="Maybe"), "2170", "BillableStatus"),
            (dict(employee, ItemRef={"value": not_a_service}), "6000", "ItemRef"),
            (dict(employee, ProjectRef={"value": self.customer_id}), "6000", "ProjectRef"),
        ]
        for body, code, element in cases:
            with self.subTest(element=element, code=code):
                self.assertEqual(self.refused("TimeActivity", body, code)["element"], element)
        self.assertEqual(self.qbo.all("TimeActivity"), [])

    def test_has_been_billed_is_quickbooks_to_set(self):
        """A client setting HasBeenBilled gets 2170, on create as on update."""
        error = self.refused("TimeActivity", {"NameOf": "Employee", "EmployeeRef": {"value": self.employee_id},
                                              "CustomerRef": {"value": self.customer_id}, "HourlyRate": 75,
                                              "Hours": 1, "BillableStatus": "HasBeenBilled"}, "2170")
        self.assertEqual(error["Detail"], "Invalid Enumeration : HasBeenBilled. Allowed values: Billable, NotBillable")
        doc = self.activity()
        self.refused("TimeActivity", dict(doc, BillableStatus="HasBeenBilled"), "2170")
        self.assertEqual(self.read("TimeActivity", doc["Id"])["SyncToken"], "0")

    def test_invoice_bills_the_time_and_delete_or_void_returns_it(self):
        """An invoice line linking the time marks it HasBeenBilled (the invoice lists the link too);
        meanwhile it cannot be billed again, deleted or made NotBillable; deleting or voiding the
        invoice makes it Billable again."""
        doc = self.activity()
        invoice = self.post("Invoice", self.linked_invoice("TimeActivity", doc["Id"], on_line=True))
        link = [{"TxnId": doc["Id"], "TxnType": "TimeActivity"}]
        self.assertEqual((invoice["LinkedTxn"], invoice["Line"][0]["LinkedTxn"]), (link, link))
        billed = self.read("TimeActivity", doc["Id"])
        self.assertEqual((billed["BillableStatus"], billed["SyncToken"]), ("HasBeenBilled", "1"))
        self.assertEqual(self.update("TimeActivity", billed, Description="kept billed")["BillableStatus"],
                         "HasBeenBilled")
        billed = self.read("TimeActivity", doc["Id"])
        self.refused("TimeActivity", dict(billed, BillableStatus="NotBillable"), "6000")
        self.refused("Invoice", self.linked_invoice("TimeActivity", doc["Id"]), "6000")
        self.assertEqual(self.delete("TimeActivity", billed)[0], 400)

        self.assertEqual(self.delete("Invoice", self.read("Invoice", invoice["Id"]))[0], 200)
        self.assertEqual(self.read("TimeActivity", doc["Id"])["BillableStatus"], "Billable")
        invoice = self.post("Invoice", self.linked_invoice("TimeActivity", doc["Id"]))
        self.assertEqual(self.read("TimeActivity", doc["Id"])["BillableStatus"], "HasBeenBilled")
        self.assertEqual(self.void("Invoice", invoice)[0], 200)
        self.assertEqual(self.read("TimeActivity", doc["Id"])["BillableStatus"], "Billable")

    def test_only_billable_time_of_the_customer_is_billed(self):
        """Strict (6000): NotBillable time, or time of another customer, cannot be linked; time of a
        project can be, from an invoice naming that project."""
        not_billable = self.activity(BillableStatus="NotBillable")
        other = self.activity(CustomerRef={"value": self.customer("Other Ltd")})
        for doc in (not_billable, other):
            with self.subTest(doc=doc["Id"]):
                self.refused("Invoice", self.linked_invoice("TimeActivity", doc["Id"]), "6000")
        self.refused("Invoice", self.linked_invoice("TimeActivity", "9999"), "610")
        project = self.project(self.customer_id)
        doc = self.activity(CustomerRef={"value": project})
        self.post("Invoice", self.linked_invoice("TimeActivity", doc["Id"], ProjectRef={"value": project}))
        self.assertEqual(self.read("TimeActivity", doc["Id"])["BillableStatus"], "HasBeenBilled")
        self.assertEqual(len(self.qbo.all("Invoice")), 1)

    def test_query_no_cdc_and_webhooks(self):
        """Query filters on BillableStatus, EmployeeRef, CustomerRef, TxnDate; CDC refuses TimeActivity
        (2010) as Intuit does; a webhook reports its Create, Update and Delete."""
        flush = self.listen_to_webhooks()
        billable = self.activity(TxnDate="2026-12-01")
        free = self.activity(BillableStatus="NotBillable", TxnDate="2026-12-02")
        self.post("Invoice", self.linked_invoice("TimeActivity", billable["Id"]))
        self.assertEqual(self.ids("TimeActivity", "BillableStatus = 'HasBeenBilled'"), [billable["Id"]])
        self.assertEqual(self.ids("TimeActivity", "BillableStatus = 'NotBillable'"), [free["Id"]])
        self.assertEqual(self.ids("TimeActivity", f"EmployeeRef = '{self.employee_id}' AND TxnDate > '2026-12-01'"),
                         [free["Id"]])
        self.assertEqual(self.ids("TimeActivity", f"CustomerRef = '{self.customer_id}'"), [billable["Id"], free["Id"]])
        for entities in ("TimeActivity", "Invoice,TimeActivity"):
            status, answer = self.cdc(entities)
            self.assertEqual((status, answer["Fault"]["Error"][0]["code"]), (400, "2010"), entities)
        self.assertEqual(self.delete("TimeActivity", free)[0], 200)
        self.assertEqual([event for event in flush() if event[0] == "TimeActivity"],
                         [("TimeActivity", billable["Id"], "Create"), ("TimeActivity", free["Id"], "Create"),
                          ("TimeActivity", billable["Id"], "Update"), ("TimeActivity", free["Id"], "Delete")])
