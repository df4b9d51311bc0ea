from odoo.tests import BaseCase, tagged

from .common_sandbox import SERVICES_ACCOUNT, SandboxApiHelpers


@tagged("post_install", "-at_install")
class TestSandboxQuery(SandboxApiHelpers, BaseCase):
    """The query endpoint over HTTP: grammar, operators, paging, counts, time filters and faults."""

    def make_items(self):
        rows = [("Apple pie", 4.5, True, "AP-1"), ("Banana bread", 6, False, "BB-2"), ("Cherry tart", 6, True, "CT-3"),
                ("O'Brien's scone", 2.25, False, "OB-4"), ("Apricot jam", 9.99, True, "AJ-5")]
        return {name: self.create("Item", {"Name": name, "Type": "Service", "UnitPrice": price, "Taxable": taxable,
                                           "Sku": sku, "IncomeAccountRef": {"value": SERVICES_ACCOUNT}})
                for name, price, taxable, sku in rows}

    def names(self, text):
        return [row["Name"] for row in self.query(text).get("Item", [])]

    def test_operators(self):
        """=, <, >, <=, >=, IN, LIKE with %, booleans and escaped quotes select exactly the right rows."""
        self.make_items()
        cases = [
            ("UnitPrice = 6", ["Banana bread", "Cherry tart"]),
            ("UnitPrice < 6", ["Apple pie", "O'Brien's scone"]),
            ("UnitPrice > 6", ["Apricot jam"]),
            ("UnitPrice <= 4.5", ["Apple pie", "O'Brien's scone"]),
            ("UnitPrice >= 6 AND Taxable = true", ["Cherry tart", "Apricot jam"]),
            ("Name IN ('Apple pie', 'Cherry tart', 'Nope')", ["Apple pie", "Cherry tart"]),
            ("Name in ('apple PIE')", ["Apple pie"]),
            ("Name LIKE 'Ap%'", ["Apple pie", "Apricot jam"]),
            ("Name LIKE '%bread'", ["Banana bread"]),
            ("Name LIKE '%r%t%'", ["Cherry tart", "Apricot jam"]),
            ("Name = 'O\\'Brien\\'s scone'", ["O'Brien's scone"]),
            ("Sku = 'BB-2'", ["Banana bread"]),
            ("Taxable = false", ["Banana bread", "O'Brien's scone"]),
            ("Name = 'Nothing'", []),
        ]
        for condition, expected in cases:
            with self.subTest(condition=condition):
                self.assertEqual(self.names(f"SELECT * FROM Item WHERE {condition}"), expected)

    def test_select_forms_and_order(self):
        """count(*), "*, Sku", ORDERBY and ORDER BY with ASC/DESC and several keys, keywords in any case."""
        items = self.make_items()
        self.assertEqual(self.query("SELECT COUNT(*) FROM Item")["totalCount"], 5)
        self.assertEqual(self.query("select count(*) from Item where Taxable = true")["totalCount"], 3)
        rows = self.query("SELECT *, Sku FROM Item WHERE Name = 'Apple pie'")["Item"]
        self.assertEqual(rows, [items["Apple pie"]])
        self.assertEqual(self.names("select * from Item orderby Name desc"),
                         ["O'Brien's scone", "Cherry tart", "Banana bread", "Apricot jam", "Apple pie"])
        self.assertEqual(self.names("select * from Item ORDER BY UnitPrice DESC, Name ASC"),
                         ["Apricot jam", "Banana bread", "Cherry tart", "Apple pie", "O'Brien's scone"])
        self.assertEqual(self.names("Select * From Item Where UnitPrice > 3 Order By UnitPrice"),
                         ["Apple pie", "Banana bread", "Cherry tart", "Apricot jam"])
        page = self.query("select * from Item orderby Name startposition 2 maxresults 2")
        self.assertEqual(([row["Name"] for row in page["Item"]], page["startPosition"], page["maxResults"]),
                         (["Apricot jam", "Banana bread"], 2, 2))
        posted = self.api("POST", "query", data="select count(*) from Item",
                          headers={"Content-Type": "application/text"})
        self.assertEqual(self.ok(posted)["QueryResponse"], {"totalCount": 5})

    def test_paging_past_one_thousand_records(self):
        """1005 customers page through STARTPOSITION/MAXRESULTS with nothing lost or repeated."""
        total = 1005
        for start in range(0, total, 30):
            batch = [{"bId": str(index), "operation": "create", "Customer": {"DisplayName": f"Customer {index:04d}"}}
                     for index in range(start, min(start + 30, total))]
            answer = self.ok(self.post("batch", {"BatchItemRequest": batch}))["BatchItemResponse"]
            self.assertFalse([row for row in answer if "Fault" in row])
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], total)
        default_page = self.query("select * from Customer")
        self.assertEqual((default_page["startPosition"], default_page["maxResults"]), (1, 100))
        first = self.query("select * from Customer startposition 1 maxresults 1000")
        second = self.query("select * from Customer startposition 1001 maxresults 1000")
        self.assertEqual((first["maxResults"], second["maxResults"], second["startPosition"]), (1000, 5, 1001))
        names = [row["DisplayName"] for row in first["Customer"] + second["Customer"]]
        self.assertEqual(sorted(names), [f"Customer {index:04d}" for index in range(total)])
        self.assertEqual(self.query("select * from Customer startposition 1006 maxresults 10"), {})
        ordered = self.query("select * from Customer orderby DisplayName desc maxresults 3")["Customer"]
        self.assertEqual([row["DisplayName"] for row in ordered], ["Customer 1004", "Customer 1003", "Customer 1002"])

    def test_last_updated_time_filter_follows_the_sandbox_clock(self):
        """MetaData.LastUpdatedTime filters see creates and updates as the sandbox clock moves."""
        early = self.create("Customer", {"DisplayName": "Early"})
        self.sandbox.clock.advance(120)
        late = self.create("Customer", {"DisplayName": "Late"})
        cursor = early["MetaData"]["LastUpdatedTime"]

        def since(operator, moment):
            text = f"select * from Customer where MetaData.LastUpdatedTime {operator} '{moment}'"
            return [row["DisplayName"] for row in self.query(text).get("Customer", [])]
        self.assertEqual(since(">", cursor), ["Late"])
        self.assertEqual(since(">=", cursor), ["Early", "Late"])
        self.assertEqual(since("<", late["MetaData"]["LastUpdatedTime"]), ["Early"])
        as_utc = early["MetaData"]["LastUpdatedTime"]
        compact = as_utc[:-6] + as_utc[-6:].replace(":", "")  # -08:00 written -0800, as Intuit's example
        self.assertEqual(since(">", compact), ["Late"])
        self.sandbox.clock.advance(60)
        self.create("Customer", {"Id": early["Id"], "SyncToken": "0", "sparse": True, "Notes": "touched"})
        self.assertEqual(since(">", late["MetaData"]["LastUpdatedTime"]), ["Early"])
        created = "select * from Customer where MetaData.CreateTime > '%s' orderby MetaData.CreateTime" % cursor
        self.assertEqual([row["DisplayName"] for row in self.query(created)["Customer"]], ["Late"])

    def test_transactions_are_queryable(self):
        """Invoices filter on CustomerRef, DocNumber, TxnDate and Balance."""
        first = self.create("Customer", {"DisplayName": "First buyer"})
        second = self.create("Customer", {"DisplayName": "Second buyer"})
        item = self.make_item()
        body = self.invoice_body(first["Id"], item["Id"])
        invoice = self.create("Invoice", dict(body, DocNumber="INV-1", TxnDate="2026-03-01"))
        self.create("Invoice", dict(self.invoice_body(second["Id"], item["Id"], qty=1), DocNumber="INV-2",
                                    TxnDate="2026-04-01"))
        rows = self.query(f"select * from Invoice where CustomerRef = '{first['Id']}'")["Invoice"]
        self.assertEqual([row["Id"] for row in rows], [invoice["Id"]])
        self.assertEqual(self.query("select count(*) from Invoice where TxnDate >= '2026-03-15'")["totalCount"], 1)
        self.assertEqual(self.query("select count(*) from Invoice where Balance > 100")["totalCount"], 1)
        self.assertEqual(self.query("select * from Invoice where DocNumber = 'INV-1'")["Invoice"][0]["TotalAmt"], 150.0)
        self.assertEqual(self.query("select count(*) from Customer where DisplayName like '%buyer'")["totalCount"], 2)

    def test_query_faults(self):
        """Syntax errors answer 4000 QueryParserError; refused queries 4001 QueryValidationError."""
        parse_errors = [
            "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
            "select * from customer",
            "select * from Widget",
            "select * from Customer where DisplayName = 'unterminated",
            "select * from Customer where DisplayName != 'a'",
            "select * Customer",
            "",
            "select * from Customer maxresults ten",
        ]
        for text in parse_errors:
            with self.subTest(text=text):
                error = self.fault(self.api("GET", "query", params={"query": text}), "4000")
                self.assertEqual(error["Message"], "Error parsing query")
                self.assertTrue(error["Detail"].startswith("QueryParserError: "), error)
        error = self.fault(self.api("GET", "query", params={"query": "select * from Customer maxresults 1500"}), "4001")
        self.assertEqual((error["Message"], error["Detail"]),
                         ("Invalid query", "QueryValidationError: value 1500 is too large. Max allowed value is 1000"))
        validation_errors = [
            "select * from Vendor where PrimaryEmailAddr = 'a@example.com'",
            "select * from Customer orderby Notes",
            "select * from Customer startposition 0",
            "select * from Customer where MetaData.LastUpdatedTime > 'yesterday'",
        ]
        for text in validation_errors:
            with self.subTest(text=text):
                error = self.fault(self.api("GET", "query", params={"query": text}), "4001")
                self.assertTrue(error["Detail"].startswith("QueryValidationError: "), error)
        self.assertIn("'PrimaryEmailAddr' is not queryable",
                      self.fault(self.api("GET", "query", params={"query": validation_errors[0]}), "4001")["Detail"])
