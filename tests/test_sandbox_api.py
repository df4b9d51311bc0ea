import json
from datetime import date

from odoo.tests import BaseCase, tagged

from ..qbo_sandbox import accounting
from ..qbo_sandbox.clock import SandboxClock
from ..qbo_sandbox.company import Company
from .common_sandbox import DUPLICATE_PERSON, SERVICES_ACCOUNT, SandboxApiHelpers


@tagged("post_install", "-at_install")
class TestSandboxApi(SandboxApiHelpers, BaseCase):
    """The sandbox's Accounting API over HTTP: CRUD, SyncTokens, name-list rules, requestid, batch."""

    # ---- create, read, update ----

    def test_customer_create_read_and_sync_token(self):
        """A created customer comes back as QBO shapes it and every update moves the SyncToken on."""
        customer = self.create("Customer", {"DisplayName": "Amy's Bird Sanctuary", "Notes": "VIP",
                                            "PrimaryEmailAddr": {"Address": "amy@example.com"}})
        self.assertEqual((customer["SyncToken"], customer["domain"], customer["sparse"]), ("0", "QBO", False))
        self.assertIsInstance(customer["Id"], str)
        self.assertTrue(customer["Id"].isdigit())
        self.assertEqual(customer["FullyQualifiedName"], "Amy's Bird Sanctuary")
        self.assertEqual(customer["PrintOnCheckName"], "Amy's Bird Sanctuary")
        self.assertIs(customer["Active"], True)
        self.assertEqual(customer["CurrencyRef"]["value"], "USD")
        self.assertTrue(customer["MetaData"]["CreateTime"].endswith("-08:00"), customer["MetaData"])
        self.assertEqual(self.read("Customer", customer["Id"]), customer)

        sparse = self.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                          "CompanyName": "Amy Ltd"})
        self.assertEqual(sparse["SyncToken"], "1")
        self.assertEqual((sparse["CompanyName"], sparse["Notes"]), ("Amy Ltd", "VIP"))
        self.assertEqual(sparse["PrimaryEmailAddr"], {"Address": "amy@example.com"})

        full = self.create("Customer", {"Id": customer["Id"], "SyncToken": "1", "DisplayName": "Amy's Bird Sanctuary",
                                        "CompanyName": "Amy Ltd"})
        self.assertEqual(full["SyncToken"], "2")
        self.assertNotIn("Notes", full, "a full update clears the writable fields it leaves out")
        self.assertNotIn("PrimaryEmailAddr", full)
        self.assertEqual(full["MetaData"]["CreateTime"], customer["MetaData"]["CreateTime"])

        stale = self.fault(self.post("customer", {"Id": customer["Id"], "SyncToken": "1", "sparse": True,
                                                  "Notes": "lost"}), "5010")
        self.assertEqual(stale["Message"], "Stale Object Error")
        self.assertTrue(stale["Detail"].startswith("Stale Object Error : You and "), stale)
        self.assertNotIn("Notes", self.read("Customer", customer["Id"]), "a stale update changes nothing")
        missing = self.fault(self.post("customer", {"Id": customer["Id"], "sparse": True, "Notes": "x"}), "2020")
        self.assertEqual(missing["element"], "SyncToken")

    def test_each_name_list_entity(self):
        """Every name list can be created, read and sparse-updated, with QBO's computed fields."""
        cases = [
            ("Vendor", {"DisplayName": "Books by Bessie", "AcctNum": "1345"}, {"PrintOnCheckName": "Books by Bessie"},
             {"AcctNum": "9999"}),
            ("Employee", {"GivenName": "Emily", "FamilyName": "Platt"}, {"DisplayName": "Emily Platt"},
             {"EmployeeNumber": "E-7"}),
            ("Item", {"Name": "Garden Design", "Type": "Service", "UnitPrice": 75.5,
                      "IncomeAccountRef": {"value": SERVICES_ACCOUNT}},
             {"FullyQualifiedName": "Garden Design", "TrackQtyOnHand": False, "UnitPrice": 75.5}, {"UnitPrice": 80}),
            ("Account", {"Name": "Petty Cash", "AccountType": "Bank"},
             {"Classification": "Asset", "AccountSubType": "Checking", "CurrentBalance": 0}, {"Description": "Till"}),
            ("Term", {"Name": "Net 45", "DueDays": 45}, {"Type": "STANDARD"}, {"DueDays": 40}),
            ("Term", {"Name": "15th next month", "DayOfMonthDue": 15, "DueNextMonthDays": 10},
             {"Type": "DATE_DRIVEN"}, {"DayOfMonthDue": 20}),
            ("PaymentMethod", {"Name": "Wire"}, {"Type": "NON_CREDIT_CARD"}, {"Type": "CREDIT_CARD"}),
            ("Class", {"Name": "Retail"}, {"FullyQualifiedName": "Retail", "SubClass": False}, {"Name": "Retail 2"}),
            ("Department", {"Name": "Downtown"}, {"SubDepartment": False}, {"Name": "Uptown"}),
            ("TaxAgency", {"DisplayName": "Nevada Tax"}, {"TaxTrackedOnSales": True}, {"TaxTrackedOnPurchases": True}),
        ]
        for entity, body, computed, change in cases:
            with self.subTest(entity=entity, body=body):
                record = self.create(entity, body)
                for key, value in computed.items():
                    self.assertEqual(record[key], value)
                self.assertEqual(self.read(entity, record["Id"]), record)
                updated = self.create(entity, dict(change, Id=record["Id"], SyncToken="0", sparse=True))
                self.assertEqual(updated["SyncToken"], "1")
                for key, value in change.items():
                    self.assertEqual(updated[key], value)
                self.assertEqual({key: updated[key] for key in body if key not in change},
                                 {key: record[key] for key in body if key not in change})

    def test_sub_customers_and_fully_qualified_names(self):
        """A job needs Job and ParentRef together (6150); renaming the parent renames the job."""
        parent = self.create("Customer", {"DisplayName": "Freeman Sporting"})
        job = self.create("Customer", {"DisplayName": "Kitchen", "Job": True, "ParentRef": {"value": parent["Id"]}})
        self.assertEqual((job["FullyQualifiedName"], job["Level"]), ("Freeman Sporting:Kitchen", 1))
        self.assertEqual(job["ParentRef"]["value"], parent["Id"])
        error = self.fault(self.post("customer", {"DisplayName": "Bath", "Job": True}), "6150")
        self.assertEqual(error["Detail"], "ParentRef is either required or not if Job is true or false.")
        self.fault(self.post("customer", {"DisplayName": "Bath", "ParentRef": {"value": parent["Id"]}}), "6150")
        self.fault(self.post("customer", {"Id": parent["Id"], "SyncToken": "0", "sparse": True, "Job": True,
                                          "ParentRef": {"value": job["Id"]}}), "6000")

        self.create("Customer", {"Id": parent["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "Freeman Ltd"})
        job_after = self.read("Customer", job["Id"])
        self.assertEqual(job_after["FullyQualifiedName"], "Freeman Ltd:Kitchen")
        self.assertEqual(job_after["SyncToken"], "1")
        rows = self.query("select * from Customer where FullyQualifiedName like 'Freeman Ltd:%'")["Customer"]
        self.assertEqual([row["Id"] for row in rows], [job["Id"]])

    def test_projects(self):
        """A project is a sub-customer with IsProject, allowed only when projects are turned on."""
        client = self.create("Customer", {"DisplayName": "Cool Cars"})
        project = self.create("Customer", {"DisplayName": "Cool Cars Website", "IsProject": True,
                                           "ParentRef": {"value": client["Id"]}})
        self.assertEqual((project["IsProject"], project["Job"], project["Level"]), (True, True, 1))
        self.fault(self.post("customer", {"DisplayName": "Orphan project", "IsProject": True}), "6150")
        self.fault(self.post("customer", {"DisplayName": "Sub-project", "IsProject": True,
                                          "ParentRef": {"value": project["Id"]}}), "6000")
        after = self.create("Customer", {"Id": project["Id"], "SyncToken": "0", "sparse": True, "IsProject": False})
        self.assertIs(after["IsProject"], True, "IsProject never changes after the create")
        rows = self.query("select * from Customer where IsProject = true")["Customer"]
        self.assertEqual([row["Id"] for row in rows], [project["Id"]])

        self.company.configure(projects_enabled=False)
        error = self.fault(self.post("customer", {"DisplayName": "Cool Cars App", "IsProject": True,
                                                  "ParentRef": {"value": client["Id"]}}), "6000")
        self.assertIn("Projects", error["Detail"])

    # ---- name-list rules ----

    def test_display_name_unique_across_customers_vendors_employees(self):
        """6240 with Intuit's text for a DisplayName already used, whatever the case and spaces."""
        customer = self.create("Customer", {"DisplayName": "Acme Ltd"})
        for entity, name in (("vendor", " acme ltd "), ("employee", "ACME LTD"), ("customer", "Acme Ltd")):
            with self.subTest(entity=entity, name=name):
                error = self.fault(self.post(entity, {"DisplayName": name}), "6240")
                self.assertEqual(error["Message"], "Duplicate Name Exists Error")
                self.assertEqual(error["Detail"], DUPLICATE_PERSON)
        self.assertEqual(self.query("select count(*) from Vendor")["totalCount"], 0)
        self.assertEqual(self.query("select count(*) from Employee")["totalCount"], 0)
        vendor = self.create("Vendor", {"DisplayName": "Acme Supplies"})
        self.fault(self.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                          "DisplayName": "ACME supplies"}), "6240")
        self.create("Vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
        self.fault(self.post("employee", {"DisplayName": "Acme Supplies"}), "6240")
        same = self.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                        "DisplayName": "acme ltd"})
        self.assertEqual(same["DisplayName"], "acme ltd", "a record may change the case of its own name")

    def test_item_and_account_names_unique(self):
        """Item and Account names are unique within their lists (6240)."""
        self.make_item("Hours")
        error = self.fault(self.post("item", {"Name": "hours", "Type": "Service",
                                              "IncomeAccountRef": {"value": SERVICES_ACCOUNT}}), "6240")
        self.assertIn("product or service", error["Detail"])
        error = self.fault(self.post("account", {"Name": "checking", "AccountType": "Bank"}), "6240")
        self.assertIn("account", error["Detail"])

    def test_required_fields_and_invalid_values(self):
        """Missing, invalid, unknown and over-long values are refused and nothing is stored."""
        cases = [
            ("customer", {"Notes": "no name"}, "2020"),
            ("vendor", {"CompanyName": "no display name"}, "2020"),
            ("item", {"Type": "Service", "IncomeAccountRef": {"value": SERVICES_ACCOUNT}}, "2020"),
            ("item", {"Name": "No type"}, "2020"),
            ("item", {"Name": "No income account", "Type": "Service"}, "2020"),
            ("item", {"Name": "Stock", "Type": "Inventory", "IncomeAccountRef": {"value": "13"},
                      "ExpenseAccountRef": {"value": "16"}, "QtyOnHand": 5, "InvStartDate": "2026-01-01",
                      "TrackQtyOnHand": True}, "2020"),
            ("item", {"Name": "Bundle", "Type": "Bundle"}, "2170"),
            ("item", {"Name": "Wrong account", "Type": "Service", "IncomeAccountRef": {"value": "1"}}, "6000"),
            ("account", {"Name": "No type"}, "2020"),
            ("account", {"Name": "Odd", "AccountType": "Cash"}, "2170"),
            ("account", {"Name": "A:B", "AccountType": "Bank"}, "6000"),
            ("term", {"Name": "No days"}, "2020"),
            ("paymentmethod", {"Name": "Barter", "Type": "GOODS"}, "2170"),
            ("customer", {"DisplayName": "Typo", "Emial": "x@example.com"}, "2010"),
            ("customer", {"DisplayName": "Flat email", "PrimaryEmailAddr": "x@example.com"}, "2010"),
            ("customer", {"Customer": {"DisplayName": "Wrapped"}}, "2010"),
            ("customer", {"DisplayName": "x" * 501}, "2050"),
        ]
        for entity, body, code in cases:
            with self.subTest(entity=entity, body=body):
                self.fault(self.post(entity, body), code)
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], 0)
        self.assertEqual(self.query("select count(*) from Item")["totalCount"], 0)
        broken = self.api("POST", "customer", data=b"{not json", headers={"Content-Type": "application/json"})
        error = self.fault(broken, "2010")
        self.assertIn("json", error["Detail"])

    def test_references_and_unknown_ids(self):
        """Unknown references give 2500, inactive ones 610; unknown Ids 610 on read and update."""
        error = self.fault(self.post("customer", {"DisplayName": "Ref test", "SalesTermRef": {"value": "999"}}),
                           "2500")
        self.assertEqual((error["Message"], error["element"]), ("Invalid Reference Id", "SalesTermRef"))
        term = self.create("Term", {"Name": "Net 90", "DueDays": 90})
        self.create("Term", {"Id": term["Id"], "SyncToken": "0", "sparse": True, "Active": False})
        self.fault(self.post("customer", {"DisplayName": "Ref test", "SalesTermRef": {"value": term["Id"]}}), "610")
        error = self.fault(self.api("GET", "customer/424242"), "610")
        self.assertEqual(error["Message"], "Object Not Found")
        self.fault(self.post("customer", {"Id": "424242", "SyncToken": "0", "DisplayName": "Ghost"}), "610")
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], 0)

    def test_deactivation_and_active_filter(self):
        """Name lists are made inactive, never deleted; queries hide inactive records unless asked."""
        parent = self.create("Customer", {"DisplayName": "Leaving Co"})
        job = self.create("Customer", {"DisplayName": "Last job", "Job": True, "ParentRef": {"value": parent["Id"]}})
        staying = self.create("Customer", {"DisplayName": "Staying Co"})
        error = self.fault(self.post("customer", {"Id": parent["Id"], "SyncToken": "0"},
                                     operation="delete"), "500")
        self.assertIn("inactive", error["Detail"])
        inactive = self.create("Customer", {"Id": parent["Id"], "SyncToken": "0", "sparse": True, "Active": False})
        self.assertIs(inactive["Active"], False)
        self.assertIs(self.read("Customer", job["Id"])["Active"], False, "sub-customers follow their parent")
        self.assertIs(self.read("Customer", parent["Id"])["Active"], False)

        def ids(text):
            return sorted(row["Id"] for row in self.query(text).get("Customer", []))
        self.assertEqual(ids("select * from Customer"), [staying["Id"]])
        self.assertEqual(ids("select * from Customer where Active = false"), sorted([parent["Id"], job["Id"]]))
        self.assertEqual(ids("select * from Customer where Active in (true, false)"),
                         sorted([parent["Id"], job["Id"], staying["Id"]]))
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], 1)

        active_again = self.create("Customer", {"Id": parent["Id"], "SyncToken": "1", "sparse": True, "Active": True})
        self.assertIs(active_again["Active"], True)
        self.assertEqual(ids("select * from Customer"), sorted([parent["Id"], staying["Id"]]))

    def test_multicurrency_rules(self):
        """A foreign CurrencyRef needs multicurrency; once set a customer's currency never changes."""
        self.fault(self.post("customer", {"DisplayName": "Euro Co", "CurrencyRef": {"value": "EUR"}}), "6000")
        self.company.configure(multicurrency=True)
        prefs = self.ok(self.api("GET", "preferences"), "Preferences")
        self.assertIs(prefs["CurrencyPrefs"]["MultiCurrencyEnabled"], True)
        self.create("Vendor", {"DisplayName": "Taken name"})
        self.fault(self.post("customer", {"DisplayName": "Taken name", "CurrencyRef": {"value": "GBP"}}), "6240")
        self.assertEqual(self.query("select count(*) from CompanyCurrency")["totalCount"], 0,
                         "a refused customer adds no currency")
        customer = self.create("Customer", {"DisplayName": "Euro Co", "CurrencyRef": {"value": "EUR"}})
        self.assertEqual(customer["CurrencyRef"], {"value": "EUR", "name": "Euro"})
        codes = [row["Code"] for row in self.query("select * from CompanyCurrency")["CompanyCurrency"]]
        self.assertEqual(codes, ["EUR"], "a currency a customer uses joins the company's list")
        self.fault(self.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                          "CurrencyRef": {"value": "GBP"}}), "6000")
        self.fault(self.post("customer", {"DisplayName": "Doubloon Co", "CurrencyRef": {"value": "XXX"}}), "2500")
        kept = self.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Euro Co"})
        self.assertEqual(kept["CurrencyRef"]["value"], "EUR", "a full update without CurrencyRef keeps it")

    def test_python_quickbooks_default_payload(self):
        """The defaults python-quickbooks sends (int SyncToken, empty strings, read-only fields) are accepted."""
        body = {"Title": "", "GivenName": "", "MiddleName": "", "FamilyName": "", "Suffix": "",
                "FullyQualifiedName": "", "CompanyName": "", "DisplayName": "PQ Customer", "PrintOnCheckName": "",
                "Notes": "", "Active": True, "Job": False, "BillWithParent": False, "Taxable": True, "Balance": 125.5,
                "BalanceWithJobs": 0, "PreferredDeliveryMethod": "", "ResaleNum": "", "Level": 0, "IsProject": False,
                "SyncToken": 0, "sparse": False, "domain": "QBO", "BillAddr": None, "CurrencyRef": None}
        customer = self.create("Customer", body)
        self.assertEqual((customer["Balance"], customer["SyncToken"]), (0, "0"), "Balance is read-only")
        self.assertNotIn("Title", customer, "empty strings mean unset and are not returned")
        self.assertEqual(customer["PrintOnCheckName"], "PQ Customer")
        updated = self.create("Customer", dict(customer, SyncToken=0, Notes="updated"))
        self.assertEqual((updated["SyncToken"], updated["Notes"]), ("1", "updated"))

    # ---- transactions through the dispatcher ----

    def test_void_and_delete_routes(self):
        """Void and delete follow Intuit's operation parameters; name lists cannot use them."""
        customer = self.create("Customer", {"DisplayName": "Void Co"})
        item = self.make_item()
        invoice = self.create("Invoice", self.invoice_body(customer["Id"], item["Id"]))
        self.assertEqual(invoice["TotalAmt"], 150.0)
        self.fault(self.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True},
                             operation="update", include="void"), "500")
        voided = self.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
        self.assertEqual((voided["TotalAmt"], voided["Balance"], voided["SyncToken"]), (0, 0, "1"))
        self.assertTrue(voided["PrivateNote"].startswith("Voided"))

        second = self.create("Invoice", self.invoice_body(customer["Id"], item["Id"], qty=1))
        payment = self.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 75, "Line": [
            {"Amount": 75, "LinkedTxn": [{"TxnId": second["Id"], "TxnType": "Invoice"}]}]})
        self.assertEqual(self.read("Invoice", second["Id"])["Balance"], 0)
        self.fault(self.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="void"), "500")
        voided_payment = self.create("Payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                                     operation="update", include="void")
        self.assertEqual(voided_payment["TotalAmt"], 0)
        self.assertEqual(self.read("Invoice", second["Id"])["Balance"], 75.0, "the voided payment re-opens it")

        self.fault(self.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete"), "5010")
        deleted = self.ok(self.post("payment", {"Id": payment["Id"], "SyncToken": "1"}, operation="delete"), "Payment")
        self.assertEqual(deleted, {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]})
        error = self.fault(self.api("GET", f"payment/{payment['Id']}"), "610")
        self.assertIn("deleted", error["Detail"])
        self.assertEqual(self.company.history[-1][1:], ("Payment", payment["Id"], "Delete"))

    # ---- requestid ----

    def test_requestid_replays_the_first_answer(self):
        """The same requestid answers the stored response without writing again; a new one writes."""
        customer = self.create("Customer", {"DisplayName": "Retry Co"})
        item = self.make_item()
        body = self.invoice_body(customer["Id"], item["Id"])
        first = self.post("invoice", body, requestid="odoo-move-42-v1")
        replay = self.post("invoice", body, requestid="odoo-move-42-v1")
        self.assertEqual((replay.status_code, replay.content), (first.status_code, first.content))
        self.assertEqual(self.query("select count(*) from Invoice")["totalCount"], 1)
        other = self.create("Invoice", body, requestid="odoo-move-42-v2")
        self.assertNotEqual(other["Id"], first.json()["Invoice"]["Id"])
        self.assertEqual(self.query("select count(*) from Invoice")["totalCount"], 2)

        refused = self.post("customer", {"DisplayName": "Retry Co"}, requestid="dup-1")
        self.fault(refused, "6240")
        self.company.add("Term", {"Name": "unrelated change", "DueDays": 1})
        self.assertEqual(self.post("customer", {"DisplayName": "Another"}, requestid="dup-1").content,
                         refused.content, "a fault is replayed too")
        self.assertEqual(self.query("select count(*) from Customer where DisplayName = 'Another'")["totalCount"], 0)

        error = self.fault(self.post("customer", {"DisplayName": "Long"}, requestid="r" * 51), "6000")
        self.assertIn("50 characters", error["Detail"])
        self.create("Customer", {"DisplayName": "Exactly fifty"}, requestid="r" * 50)

    # ---- batch ----

    def test_batch_limits_and_per_item_faults(self):
        """30 items run, 31 are refused whole; each item answers on its own inside an HTTP 200."""
        items = [{"bId": f"b{index}", "operation": "create", "Customer": {"DisplayName": f"Batch {index}"}}
                 for index in range(30)]
        answer = self.ok(self.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
        self.assertEqual(len(answer), 30)
        self.assertEqual({row["bId"] for row in answer}, {item["bId"] for item in items})
        self.assertTrue(all("Customer" in row for row in answer))
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], 30)

        too_many = items + [{"bId": "b30", "operation": "create", "Customer": {"DisplayName": "Batch 30"}}]
        self.fault(self.post("batch", {"BatchItemRequest": too_many}), "2010")
        self.assertEqual(self.query("select count(*) from Customer")["totalCount"], 30, "nothing of it ran")

        item = self.make_item()
        invoice = self.create("Invoice", self.invoice_body(answer[0]["Customer"]["Id"], item["Id"]))
        mixed = [
            {"bId": "dup", "operation": "create", "Vendor": {"DisplayName": "batch 1"}},
            {"bId": "ref", "operation": "create", "Customer": {"DisplayName": "Bad ref",
                                                               "SalesTermRef": {"value": "777"}}},
            {"bId": "new", "operation": "create", "Vendor": {"DisplayName": "Batch vendor"}},
            {"bId": "upd", "operation": "update", "Customer": {"Id": answer[1]["Customer"]["Id"], "SyncToken": "0",
                                                               "sparse": True, "Notes": "from batch"}},
            {"bId": "void", "operation": "update", "optionsData": "void",
             "Invoice": {"Id": invoice["Id"], "SyncToken": "0"}},
            {"bId": "query", "Query": "select count(*) from Customer"},
            {"bId": "del", "operation": "delete", "Customer": {"Id": answer[2]["Customer"]["Id"], "SyncToken": "0"}},
        ]
        answer = self.ok(self.post("batch", {"BatchItemRequest": mixed}))["BatchItemResponse"]
        rows = {row["bId"]: row for row in answer}
        self.assertEqual(rows["dup"]["Fault"]["Error"][0]["code"], "6240")
        self.assertEqual(rows["ref"]["Fault"]["Error"][0]["code"], "2500")
        self.assertEqual(rows["new"]["Vendor"]["DisplayName"], "Batch vendor")
        self.assertEqual(rows["upd"]["Customer"]["Notes"], "from batch")
        self.assertEqual((rows["void"]["Invoice"]["TotalAmt"], rows["void"]["Invoice"]["Balance"]), (0, 0))
        self.assertEqual(rows["query"]["QueryResponse"]["totalCount"], 30)
        self.assertEqual(rows["del"]["Fault"]["Error"][0]["code"], "500")
        self.assertEqual(self.query("select count(*) from Vendor")["totalCount"], 1)

    # ---- versions, paths, company ----

    def test_minorversion(self):
        """minorversion may be absent or below 75 (answered as 75); a non-number is refused."""
        customer = self.create("Customer", {"DisplayName": "Minor Co"})
        for params in ({}, {"minorversion": "4"}, {"minorversion": "75"}):
            with self.subTest(params=params):
                response = self.api("GET", f"customer/{customer['Id']}", params=params)
                self.assertEqual(self.ok(response, "Customer")["DisplayName"], "Minor Co")
        self.fault(self.api("GET", f"customer/{customer['Id']}", params={"minorversion": "abc"}), "2010")

    def test_unknown_paths_and_methods(self):
        """Unknown resources answer Intuit's 400 "Unsupported Operation" (code 500)."""
        for method, subpath in (("GET", "widget/1"), ("POST", "Customer"), ("GET", "customer"), ("GET", "batch")):
            with self.subTest(method=method, subpath=subpath):
                error = self.fault(self.api(method, subpath, json={} if method == "POST" else None), "500")
                self.assertEqual(error["Message"], "Unsupported Operation")
        self.fault(self.api("PUT", "customer", json={}), "500", status=405)
        self.fault(self.post("taxcode", {"Name": "Direct"}), "500")

    def test_company_info_and_preferences(self):
        """CompanyInfo and Preferences read back the company and its switches; updates are checked."""
        info = self.ok(self.api("GET", f"companyinfo/{self.company.realm_id}"), "CompanyInfo")
        self.assertEqual((info["CompanyName"], info["Country"]), ("Sandbox Company_US_1", "US"))
        self.assertEqual(info["CompanyAddr"]["Country"], "USA")
        self.fault(self.api("GET", "companyinfo/1234"), "610")
        renamed = self.create("CompanyInfo", {"Id": info["Id"], "SyncToken": "0", "sparse": True,
                                              "CompanyName": "Renamed Co"})
        self.assertEqual((renamed["CompanyName"], renamed["Country"]), ("Renamed Co", "US"))
        self.assertEqual(self.company.name, "Renamed Co")

        prefs = self.ok(self.api("GET", "preferences"), "Preferences")
        self.assertIs(prefs["SalesFormsPrefs"]["CustomTxnNumbers"], True)
        self.assertEqual(prefs["CurrencyPrefs"], {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}})
        self.assertEqual(prefs["TaxPrefs"]["UsingSalesTax"], True)
        self.assertIn({"Name": "ProjectsEnabled", "Value": "true"}, prefs["OtherPrefs"]["NameValue"])

        changed = self.create("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"],
                                              "SalesFormsPrefs": {"CustomTxnNumbers": False},
                                              "CurrencyPrefs": {"MultiCurrencyEnabled": True}})
        self.assertEqual(changed["SyncToken"], str(int(prefs["SyncToken"]) + 1))
        self.assertIs(changed["SalesFormsPrefs"]["AllowDiscount"], True, "other preferences are kept")
        self.assertEqual((self.company.custom_txn_numbers, self.company.multicurrency), (False, True))
        self.fault(self.post("preferences", {"Id": "1", "SyncToken": changed["SyncToken"],
                                             "CurrencyPrefs": {"MultiCurrencyEnabled": False}}), "6000")
        self.fault(self.post("preferences", {"Id": "1", "SyncToken": changed["SyncToken"],
                                             "CurrencyPrefs": {"HomeCurrency": {"value": "EUR"}}}), "6000")
        self.fault(self.post("preferences", {"Id": "1", "SyncToken": prefs["SyncToken"],
                                             "TaxPrefs": {"UsingSalesTax": False}}), "5010")
        self.assertIs(self.company.sales_tax, True)

        self.company.configure(closed_before="2026-01-01", sales_tax=False)
        prefs = self.ok(self.api("GET", "preferences"), "Preferences")
        self.assertEqual(prefs["AccountingInfoPrefs"]["BookCloseDate"], "2025-12-31")
        self.assertIs(prefs["TaxPrefs"]["UsingSalesTax"], False)
        self.assertEqual(self.company.closed_before, date(2026, 1, 1))

    def test_tax_service_creates_tax_codes(self):
        """taxservice/taxcode creates a TaxCode with its rates; TaxCode itself is read-only."""
        agency = self.query("select * from TaxAgency")["TaxAgency"][0]
        answer = self.ok(self.post("taxservice/taxcode", {"TaxCode": "Reno", "TaxRateDetails": [
            {"TaxRateName": "Reno City", "RateValue": 8.265, "TaxAgencyId": agency["Id"],
             "TaxApplicableOn": "Sales"}]}))
        code = self.read("TaxCode", answer["TaxCodeId"])
        self.assertEqual(code["Name"], "Reno")
        rate_id = code["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
        self.assertEqual(rate_id, answer["TaxRateDetails"][0]["TaxRateId"])
        self.assertEqual(self.read("TaxRate", rate_id)["RateValue"], 8.265)
        self.fault(self.post("taxservice/taxcode", {"TaxCode": "reno", "TaxRateDetails": [{"TaxRateId": rate_id}]}),
                   "6240")
        self.fault(self.post("taxservice/taxcode", {"TaxCode": "Nowhere", "TaxRateDetails": [
            {"TaxRateName": "Nowhere", "RateValue": 5, "TaxAgencyId": "999"}]}), "2500")


@tagged("post_install", "-at_install")
class TestSandboxCompanySeed(BaseCase):
    """What a new company holds, per country and options, and its persistence."""

    def company(self, **options):
        return Company("9130000000000001", "Seed Co", SandboxClock(), **options)

    def test_us_company(self):
        """A US company has the TAX/NON pseudo codes, a California rate and a usable chart."""
        company = self.company()
        codes = {code["Id"]: code for code in company.all("TaxCode")}
        self.assertEqual((codes["TAX"]["Taxable"], codes["NON"]["Taxable"]), (True, False))
        california = next(code for code in codes.values() if code["Name"] == "California")
        rate = company.get("TaxRate", california["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"])
        self.assertEqual(rate["RateValue"], 8)
        accounts = {account["Name"]: account for account in company.all("Account")}
        expected = (("Checking", "Bank"), ("Savings", "Bank"), ("Undeposited Funds", "Other Current Asset"),
                    ("Accounts Receivable (A/R)", "Accounts Receivable"),
                    ("Accounts Payable (A/P)", "Accounts Payable"),
                    ("Sales of Product Income", "Income"), ("Services", "Income"),
                    ("Cost of Goods Sold", "Cost of Goods Sold"), ("Mastercard", "Credit Card"),
                    ("Retained Earnings", "Equity"))
        for name, account_type in expected:
            self.assertEqual(accounts[name]["AccountType"], account_type, name)
        self.assertEqual(accounts["Services"]["Id"], SERVICES_ACCOUNT)
        self.assertEqual([term["Name"] for term in company.all("Term")],
                         ["Due on receipt", "Net 15", "Net 30", "Net 60"])
        self.assertIn("Cash", [method["Name"] for method in company.all("PaymentMethod")])
        self.assertEqual(company.all("CompanyCurrency"), [])

    def test_vat_company(self):
        """A GB company has VAT codes with one sales and one purchase rate each, in GBP."""
        company = self.company(country="GB", multicurrency=True)
        self.assertEqual((company.home_currency, company.utc_offset), ("GBP", "+00:00"))
        percents = {}
        for code in company.all("TaxCode"):
            details = code.get("SalesTaxRateList", {}).get("TaxRateDetail", [])
            percents[code["Name"]] = [company.get("TaxRate", detail["TaxRateRef"]["value"])["RateValue"]
                                      for detail in details]
            self.assertEqual(len(code.get("PurchaseTaxRateList", {}).get("TaxRateDetail", [])), len(details))
        self.assertEqual(percents, {"20.0% S": [20], "5.0% R": [5], "0.0% Z": [0], "Exempt": [0], "No VAT": []})
        self.assertEqual(sorted(currency["Code"] for currency in company.all("CompanyCurrency")), ["CAD", "EUR", "USD"])

    def test_deterministic_and_persistent(self):
        """Two companies with the same options hold the same records; to_dict/from_dict keeps everything."""
        first, second = self.company(country="CA"), self.company(country="CA")
        for entity in ("Account", "TaxCode", "TaxRate", "Term", "PaymentMethod"):
            self.assertEqual([dict(record, MetaData=None) for record in first.all(entity)],
                             [dict(record, MetaData=None) for record in second.all(entity)], entity)
        customer = accounting.create(first, "Customer", {"DisplayName": "Saved Co"})
        status, headers, body = accounting.handle(
            first, "POST", "customer", {"requestid": "keep-me"}, json.dumps({"DisplayName": "Replay Co"}).encode(),
            "application/json")
        restored = Company.from_dict(json.loads(json.dumps(first.to_dict())), first.clock)
        self.assertEqual(restored.get("Customer", customer["Id"])["DisplayName"], "Saved Co")
        self.assertEqual(restored.all("TaxRate"), first.all("TaxRate"))
        self.assertEqual(accounting.handle(restored, "POST", "customer", {"requestid": "keep-me"}, b"{}", None),
                         (status, headers, body))
        self.assertEqual(len(restored.history), len(first.history))
        next_customer = accounting.create(restored, "Customer", {"DisplayName": "After restore"})
        self.assertEqual(int(next_customer["Id"]), int(json.loads(body)["Customer"]["Id"]) + 1)
