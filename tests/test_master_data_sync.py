from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..qbo_master_data import SyncSummary
from .common_mapping import QboMappingCommon


@tagged("post_install", "-at_install")
class TestMasterDataSync(QboMappingCommon):
    """Resolving master data for document exports, name clashes (6240), and contact updates."""

    def sync(self):
        return self.env["qbo.master.data.sync"].with_user(self.qbo_manager).with_company(self.company)

    def test_resolve_partners_for_documents(self):
        """Contacts resolve to their company; mapped ones cost no request; missing ones are created once."""
        company = self.new_partner("Resolve Holdings")
        contact = self.env["res.partner"].create({"name": "Ann Resolve", "parent_id": company.id})
        twin = self.new_partner("resolve twin llc")
        qbo_twin = self.qbo_create("Customer", {"DisplayName": "Resolve Twin LLC"})
        result = self.sync()._qbo_resolve_partner(self.company, contact | twin)
        created = self.qbo_records("Customer", DisplayName="Resolve Holdings")
        self.assertEqual(len(created), 1)
        self.assertEqual(result, {contact.id: created[0]["Id"], twin.id: qbo_twin["Id"]})
        # A second resolution reads the links only and creates nothing.
        count = len(self.qbo_records("Customer"))
        self.assertEqual(self.sync()._qbo_resolve_partner(self.company, contact | twin), result)
        self.assertEqual(len(self.qbo_records("Customer")), count)

    def test_duplicate_name_held_by_vendor_or_employee(self):
        """Fault 6240: a customer named like a vendor is created with a suffix and the user is told."""
        self.qbo_create("Vendor", {"DisplayName": "Clash Supplies"})
        self.qbo_create("Employee", {"DisplayName": "Clash Person", "GivenName": "Clash", "FamilyName": "Person"})
        supplier = self.new_partner("Clash Supplies")
        person = self.new_partner("Clash Person", is_company=False)
        summary = SyncSummary()
        result = self.sync()._qbo_export(self.company, "customer", supplier | person, summary)
        for partner, name in ((supplier, "Clash Supplies (C)"), (person, "Clash Person (C)")):
            customers = self.qbo_records("Customer", DisplayName=name)
            self.assertEqual(len(customers), 1, name)
            self.assertEqual(result[partner.id], customers[0]["Id"])
            self.assertEqual(self.mapping(partner, "Customer").qbo_name, name)
        self.assertEqual((summary.created, summary.errors), (2, []))
        self.assertEqual(len(summary.notes), 2)
        self.assertIn("Clash Supplies (C)", "\n".join(summary.notes))
        # The same partner as a vendor links to the existing vendor by its exact name.
        vendor_ids = self.sync()._qbo_resolve_partner(self.company, supplier, as_entity="Vendor")
        self.assertEqual(vendor_ids[supplier.id], self.qbo_records("Vendor", DisplayName="Clash Supplies")[0]["Id"])

    def test_duplicate_name_held_by_inactive_customer(self):
        """Fault 6240 on an inactive customer of the same name links it instead of creating another."""
        dormant = self.qbo_create("Customer", {"DisplayName": "Dormant Trading"})
        self.client.update("Customer", {"Id": dormant["Id"], "SyncToken": dormant["SyncToken"], "sparse": True,
                                        "Active": False})
        partner = self.new_partner("Dormant Trading")
        summary = SyncSummary()
        result = self.sync()._qbo_export(self.company, "customer", partner, summary)
        self.assertEqual(result, {partner.id: dormant["Id"]})
        self.assertEqual(len(self.qbo_records("Customer", DisplayName="Dormant Trading")), 1)
        self.assertEqual(summary.linked, 1)
        self.assertIn("inactive", summary.notes[0])

    def test_one_failure_does_not_stop_the_others(self):
        """A record QuickBooks refuses is reported; the rest of the selection is created."""
        self.qbo_create("Vendor", {"DisplayName": "Batch Good One"})  # taken: goes through the 6240 path
        good = self.new_partner("Batch Good One") | self.new_partner("Batch Good Two")
        nameless = self.env["res.partner"].create({"name": "  ", "is_company": True})
        summary = SyncSummary()
        result = self.sync()._qbo_export(self.company, "customer", good | nameless, summary)
        self.assertEqual(set(result), set(good.ids))
        self.assertEqual(len(summary.errors), 1)
        message = self.sync()._qbo_summary_message(summary)
        self.assertIn("2 created in QuickBooks", message)
        self.assertIn("1 error(s)", message)
        with self.assertRaisesRegex(UserError, "without a name"):
            self.sync()._qbo_resolve_partner(self.company, nameless)

    def test_products_and_accounts(self):
        """Products become items with their linked income account, or the default one; SKU matches."""
        income = self.company_data["default_account_revenue"]
        qbo_income = self.qbo_records("Account", Name="Sales of Product Income")[0]
        self.env["qbo.mapping"]._link(self.company, income, "Account", qbo_income["Id"])
        default_income = self.env["account.account"].create({
            "name": "QBO Default Services Income", "code": "499100", "account_type": "income",
            "company_ids": [Command.set(self.company.ids)]})
        self.company.qbo_default_income_account_id = default_income
        product = self.env["product.product"].create({
            "name": "Widget Deluxe", "default_code": "WDX-1", "type": "consu", "list_price": 19.99,
            "property_account_income_id": income.id})
        other_income = self.env["account.account"].create({
            "name": "Unlinked Income", "code": "499200", "account_type": "income",
            "company_ids": [Command.set(self.company.ids)]})
        service = self.env["product.product"].create({
            "name": "Audit Service", "type": "service", "list_price": 250.0,
            "property_account_income_id": other_income.id})
        existing_item = self.qbo_create("Item", {"Name": "Old Gadget Name", "Sku": "GDG-9", "Type": "Service",
                                                 "IncomeAccountRef": {"value": qbo_income["Id"]}})
        gadget = self.env["product.product"].create({"name": "Gadget", "default_code": "GDG-9", "type": "service"})

        result = self.sync()._qbo_resolve_product(self.company, product | service | gadget)
        widget_item = self.qbo_sandbox_company.get("Item", result[product.id])
        self.assertEqual((widget_item["Name"], widget_item["Sku"], widget_item["Type"]),
                         ("Widget Deluxe", "WDX-1", "NonInventory"))
        self.assertEqual(widget_item["IncomeAccountRef"]["value"], qbo_income["Id"])
        self.assertEqual(str(widget_item["UnitPrice"]), "19.99")
        service_item = self.qbo_sandbox_company.get("Item", result[service.id])
        default_qbo = self.qbo_records("Account", Name="QBO Default Services Income")
        self.assertEqual(len(default_qbo), 1, "the default income account is created in QuickBooks once")
        self.assertEqual(default_qbo[0]["AcctNum"], "499100")
        self.assertEqual(service_item["IncomeAccountRef"]["value"], default_qbo[0]["Id"])
        self.assertEqual(result[gadget.id], existing_item["Id"], "same SKU links the existing item")

        # Without a default, a product's own unlinked account is created in QuickBooks on the way, once.
        self.company.qbo_default_income_account_id = False
        lonely = self.env["product.product"].create({"name": "Lonely", "type": "service",
                                                     "property_account_income_id": other_income.id})
        lonelier = self.env["product.product"].create({"name": "Lonelier", "type": "service",
                                                       "property_account_income_id": other_income.id})
        result = self.sync()._qbo_resolve_product(self.company, lonely | lonelier)
        own_qbo = self.qbo_records("Account", Name="Unlinked Income")
        self.assertEqual(len(own_qbo), 1, "the product's own income account is created in QuickBooks once")
        self.assertEqual((own_qbo[0]["AcctNum"], own_qbo[0]["AccountType"]), ("499200", "Income"))
        for item_id in (result[lonely.id], result[lonelier.id]):
            self.assertEqual(self.qbo_sandbox_company.get("Item", item_id)["IncomeAccountRef"]["value"],
                             own_qbo[0]["Id"])
        self.assertEqual(self.env["qbo.mapping"]._qbo_ids_for(other_income, "Account", self.company),
                         {other_income.id: own_qbo[0]["Id"]})

    def test_import_items_accounts_terms_employees(self):
        """Items, accounts, terms and employees imported from QuickBooks become Odoo records."""
        qbo_income = self.qbo_records("Account", Name="Sales of Product Income")[0]
        income = self.company_data["default_account_revenue"]
        self.env["qbo.mapping"]._link(self.company, income, "Account", qbo_income["Id"])
        item = self.qbo_create("Item", {"Name": "Imported Lamp", "Sku": "LAMP-1", "Type": "NonInventory",
                                        "UnitPrice": 45.5, "IncomeAccountRef": {"value": qbo_income["Id"]}})
        term = self.qbo_create("Term", {"Name": "Net 45 Import", "DueDays": 45})
        account = self.qbo_create("Account", {"Name": "Imported Petty Cash", "AccountType": "Bank",
                                              "AcctNum": "101999"})
        employee = self.qbo_create("Employee", {"DisplayName": "Imported Emma Stone", "GivenName": "Emma",
                                                "FamilyName": "Stone",
                                                "PrimaryEmailAddr": {"Address": "emma@import.example"}})
        sync = self.sync()
        client = self.client
        # Importing creates records with the user's own rights: no product creation right, no product.
        summary = SyncSummary()
        sync._qbo_import(self.company, "product", sync._qbo_fetch_ids(client, "product", [item["Id"]]), summary)
        self.assertEqual((summary.imported, len(summary.errors)), (0, 1))
        self.assertFalse(self.env["product.product"].search([("default_code", "=", "LAMP-1")]))
        self.qbo_manager.groups_id += self.env.ref("product.group_product_manager") + self.env.ref("hr.group_hr_user")
        for kind, doc in (("product", item), ("term", term), ("account", account), ("employee", employee)):
            summary = SyncSummary()
            sync._qbo_import(self.company, kind, sync._qbo_fetch_ids(client, kind, [doc["Id"]]), summary)
            self.assertEqual((summary.imported, summary.errors), (1, []), kind)
        lamp = self.env["qbo.mapping"]._records_for(self.company, "Item", [item["Id"]])[item["Id"]]
        self.assertRecordValues(lamp, [{"name": "Imported Lamp", "default_code": "LAMP-1", "type": "consu",
                                        "list_price": 45.5, "property_account_income_id": income.id}])
        net45 = self.env["qbo.mapping"]._records_for(self.company, "Term", [term["Id"]])[term["Id"]]
        self.assertEqual(net45.line_ids.mapped("nb_days"), [45])
        petty = self.env["qbo.mapping"]._records_for(self.company, "Account", [account["Id"]])[account["Id"]]
        self.assertRecordValues(petty.with_company(self.company), [{
            "name": "Imported Petty Cash", "code": "101999", "account_type": "asset_cash"}])
        emma = self.env["qbo.mapping"]._records_for(self.company, "Employee", [employee["Id"]])[employee["Id"]]
        self.assertRecordValues(emma, [{"name": "Imported Emma Stone", "work_email": "emma@import.example",
                                        "company_id": self.company.id}])
        # Importing again links, never duplicates.
        summary = SyncSummary()
        sync._qbo_import(self.company, "product", sync._qbo_fetch_ids(client, "product", [item["Id"]]), summary)
        self.assertEqual(summary.imported, 0)
        self.assertEqual(self.env["product.product"].search_count([("default_code", "=", "LAMP-1")]), 1)

    def test_export_terms_and_payment_methods(self):
        """Simple payment terms and journals are created in QuickBooks; installments are refused."""
        term = self.env["account.payment.term"].create({
            "name": "Net 21 Export", "line_ids": [Command.create({"value": "percent", "value_amount": 100,
                                                                  "nb_days": 21})]})
        installments = self.env.ref("account.account_payment_term_advance_60days")
        journal = self.company_data["default_journal_bank"]
        summary = SyncSummary()
        result = self.sync()._qbo_export(self.company, "term", term | installments, summary)
        self.assertEqual(self.qbo_sandbox_company.get("Term", result[term.id])["DueDays"], 21)
        self.assertNotIn(installments.id, result)
        self.assertIn("installments", summary.errors[0][1])
        methods = self.sync()._qbo_resolve_records(self.company, "payment_method", journal)
        method = self.qbo_sandbox_company.get("PaymentMethod", methods[journal.id])
        self.assertEqual((method["Name"], method["Type"]), (journal.name, "NON_CREDIT_CARD"))
        with self.assertRaisesRegex(UserError, "cannot be imported"):
            self.sync()._qbo_import(self.company, "payment_method", [method], SyncSummary())

    def test_export_employees_without_hr_rights(self):
        """A QuickBooks manager without HR rights exports employees' public data only."""
        self.assertFalse(self.qbo_manager.has_group("hr.group_hr_user"))
        employee = self.env["hr.employee"].create({"name": "Export Olga Berg", "company_id": self.company.id,
                                                   "work_email": "olga@export.example"})
        result = self.sync()._qbo_resolve_records(self.company, "employee", employee)
        doc = self.qbo_sandbox_company.get("Employee", result[employee.id])
        self.assertEqual((doc["DisplayName"], doc["GivenName"], doc["FamilyName"], doc["PrimaryEmailAddr"]),
                         ("Export Olga Berg", "Export", "Olga Berg", {"Address": "olga@export.example"}))
        links = self.env["qbo.mapping"].with_user(self.qbo_manager).search([("qbo_id", "=", doc["Id"]),
                                                                             ("qbo_entity", "=", "Employee")])
        self.assertEqual(links.res_name, "Export Olga Berg")

    def test_deposit_account(self):
        """Payments go to the journal's linked account, else the chosen deposit account, else Undeposited Funds."""
        undeposited = [doc for doc in self.qbo_sandbox_company.all("Account")
                       if doc.get("AccountSubType") == "UndepositedFunds"][0]
        journal = self.company_data["default_journal_bank"]
        sync = self.sync()
        self.assertEqual(sync._qbo_deposit_account_id(self.company, journal), undeposited["Id"])
        checking = self.qbo_records("Account", Name="Checking")[0]
        self.env["qbo.mapping"]._link(self.company, journal.default_account_id, "Account", checking["Id"])
        self.assertEqual(sync._qbo_deposit_account_id(self.company, journal), checking["Id"])

    def test_tax_mapping_screen(self):
        """Codes show their rates; a tax linked to a code of another rate is linked only once confirmed,
        with both rates shown; several Odoo taxes share one code; US companies also get TAX and NON."""
        sale_tax = self.company_data["default_tax_sale"]
        other_tax = sale_tax.copy({"name": "Sales tax copy"})
        rows = self.open_screen("tax")
        codes = rows.filtered(lambda row: row.state == "qbo")
        self.assertTrue({"TAX", "NON"} <= set(codes.mapped("qbo_id")))
        california = codes.filtered(lambda row: row.qbo_name == "California")
        self.assertRecordValues(california, [{"qbo_detail": "Sales 8 %", "qbo_rates": {"sale": 8.0}}])
        sale_row = rows.filtered(lambda row: row.res_id == sale_tax.id)
        self.assertRecordValues(sale_row, [{"odoo_detail": "Sales 15 %", "odoo_rate": 15.0, "tax_use": "sale"}])

        # 15 % to an 8 % code: a question showing both rates, nothing linked until confirmed.
        action = (sale_row | california).action_link()
        self.assertEqual(action["res_model"], "qbo.mapping.confirm")
        confirmation = self.env["qbo.mapping.confirm"].with_user(self.qbo_manager).browse(action["res_id"])
        self.assertIn("15 % in Odoo", confirmation.message)
        self.assertIn("California is 8 % in QuickBooks", confirmation.message)
        self.assertFalse(self.env["qbo.tax.map"]._qbo_maps_for(self.company, sale_tax))
        confirmation.action_confirm()
        # A code of the same rate links at once; the code stays offered, showing who uses it.
        same_rate = self.env["account.tax"].create({"name": "California 8", "amount": 8, "type_tax_use": "sale",
                                                    "company_id": self.company.id})
        rows = self.open_screen("tax")
        california = rows.filtered(lambda row: row.qbo_name == "California" and not row.res_id)
        self.assertEqual(california.odoo_name, "(used by 15%)")
        result = (rows.filtered(lambda row: row.res_id == other_tax.id) | california).with_context(
            qbo_link_confirmed=True).action_link()
        self.assertEqual(result["tag"], "display_notification")
        result = (rows.filtered(lambda row: row.res_id == same_rate.id) | california).action_link()
        self.assertEqual(result["params"]["type"], "success")
        maps = self.env["qbo.tax.map"]._qbo_maps_for(self.company, sale_tax | other_tax | same_rate)
        for tax in sale_tax | other_tax | same_rate:
            self.assertRecordValues(maps[tax.id], [{"qbo_tax_code_id": california.qbo_id, "qbo_line_code": "TAX"}])
        exempt = sale_tax.copy({"name": "Exempt copy", "amount": 0})
        self.open_screen("tax")
        non = self.rows("tax", qbo_id="NON", state="qbo")
        (self.rows("tax", res_id=exempt.id) | non).action_link()
        self.assertRecordValues(self.env["qbo.tax.map"]._qbo_maps_for(self.company, exempt)[exempt.id],
                                [{"qbo_tax_code_id": False, "qbo_line_code": "NON"}])
        with self.assertRaises(UserError):
            self.rows("tax", res_id=exempt.id).action_export()


@tagged("post_install", "-at_install")
class TestContactPush(QboMappingCommon):
    """"Update QuickBooks when contacts change": sparse updates with the SyncToken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact_editor = cls._qbo_new_user("qbo_contact_editor", "base.group_user,base.group_partner_manager")

    def setUp(self):
        super().setUp()
        # the sandbox outlives each test's transaction: one QuickBooks customer per test
        self.name = f"Push Contact {self._testMethodName}"
        self.partner = self.new_partner(self.name, email="old@push.example", city="Boston")
        self.customer = self.qbo_create("Customer", {"DisplayName": self.name,
                                                     "PrimaryEmailAddr": {"Address": "old@push.example"},
                                                     "Notes": "kept"})
        self.env["qbo.mapping"]._link(self.company, self.partner, "Customer", self.customer["Id"],
                                      self.customer["SyncToken"], self.name)
        self.company.qbo_push_contacts = True

    def qbo_customer(self):
        return self.qbo_sandbox_company.get("Customer", self.customer["Id"])

    def test_push_changed_fields(self):
        """A contact edit by a user without QuickBooks rights is pushed sparsely, with the SyncToken."""
        self.partner.with_user(self.contact_editor).write({"email": "new@push.example", "phone": "+1 555 0199"})
        doc = self.qbo_customer()
        self.assertEqual(doc["PrimaryEmailAddr"]["Address"], "new@push.example")
        self.assertEqual(doc["PrimaryPhone"]["FreeFormNumber"], "+1 555 0199")
        self.assertEqual(doc["Notes"], "kept")
        self.assertEqual(self.mapping(self.partner, "Customer").qbo_sync_token, doc["SyncToken"])

    def test_stale_sync_token_reread_and_retry(self):
        """Changed in QuickBooks meanwhile (stale SyncToken): re-read and sent once more."""
        current = self.qbo_customer()
        self.client.update("Customer", {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True,
                                        "Notes": "edited in QuickBooks"})
        self.partner.write({"name": "Push Contact Corporation", "city": "Cambridge"})
        doc = self.qbo_customer()
        self.assertEqual(doc["DisplayName"], "Push Contact Corporation")
        self.assertEqual(doc["BillAddr"]["City"], "Cambridge")
        self.assertEqual(doc["Notes"], "edited in QuickBooks")
        self.assertEqual(int(doc["SyncToken"]), int(current["SyncToken"]) + 2)
        self.assertRecordValues(self.mapping(self.partner, "Customer"), [{
            "qbo_sync_token": doc["SyncToken"], "qbo_name": "Push Contact Corporation"}])

    def test_no_push(self):
        """No push when the option is off, for other fields, or for changes coming from QuickBooks."""
        token = self.qbo_customer()["SyncToken"]
        self.partner.with_context(qbo_no_push=True).write({"email": "sync@push.example"})
        self.partner.write({"comment": "internal note"})
        self.company.qbo_push_contacts = False
        self.partner.write({"email": "off@push.example"})
        self.assertEqual(self.qbo_customer()["SyncToken"], token)
        self.assertEqual(self.qbo_customer()["PrimaryEmailAddr"]["Address"], "old@push.example")

    def test_push_failure_keeps_the_edit(self):
        """A refused push does not undo the edit; it is written on the contact."""
        self.qbo_create("Vendor", {"DisplayName": "Push Taken Name"})
        self.partner.write({"name": "Push Taken Name"})
        self.assertEqual(self.partner.name, "Push Taken Name")
        self.assertEqual(self.qbo_customer()["DisplayName"], self.name)
        self.assertIn("not sent", self.partner.message_ids[0].body)
