from odoo.exceptions import AccessError, UserError
from odoo.tests import JsonRpcException, tagged

from ..models.qbo_mapping_line import KIND_SELECTION
from ..qbo_master_data import SyncSummary
from .common_mapping import QboMappingCommon


@tagged("post_install", "-at_install")
class TestMappingScreens(QboMappingCommon):
    """Link, unlink, clear, import, export and automatch through the mapping screens."""

    def test_screen_rows_and_link_unlink_clear(self):
        """Rows show both sides; Link, Unlink and Clear all links change only the links."""
        partner = self.new_partner("Screen Test Bicycles")
        customer = self.qbo_create("Customer", {"DisplayName": "Screen Test Bikes"})
        rows = self.open_screen("customer")
        odoo_row = rows.filtered(lambda row: row.res_id == partner.id)
        qbo_row = rows.filtered(lambda row: row.qbo_id == customer["Id"])
        self.assertEqual((odoo_row.state, qbo_row.state), ("odoo", "qbo"))
        with self.assertRaises(UserError):
            odoo_row.action_link()

        (odoo_row | qbo_row).with_context(qbo_link_confirmed=True).action_link()  # Bicycles / Bikes
        self.assertRecordValues(self.mapping(partner, "Customer"), [{
            "qbo_id": customer["Id"], "qbo_name": "Screen Test Bikes", "qbo_sync_token": customer["SyncToken"],
        }])
        self.assertEqual(odoo_row.state, "linked")
        self.assertFalse(qbo_row.exists())
        # The QuickBooks record is taken: linking it to another partner is refused.
        other = self.new_partner("Screen Test Other")
        with self.assertRaisesRegex(UserError, "already linked"):
            self.env["qbo.mapping"]._link(self.company, other, "Customer", customer["Id"])

        odoo_row.action_unlink_pairs()
        self.assertFalse(self.mapping(partner, "Customer"))
        self.assertEqual(len(self.rows("customer", qbo_id=customer["Id"], state="qbo")), 1)
        self.assertEqual(odoo_row.state, "odoo")

        self.env["qbo.mapping"]._link(self.company, partner, "Customer", customer["Id"])
        self.env["qbo.mapping"]._link(self.company, other, "Vendor", customer["Id"])
        self.rows("customer")[:1].action_clear_all()
        self.assertFalse(self.mapping(partner, "Customer"))
        self.assertTrue(self.mapping(other, "Vendor"), "clearing customers leaves vendors linked")
        # Nothing was changed in QuickBooks.
        self.assertEqual(self.qbo_sandbox_company.get("Customer", customer["Id"])["SyncToken"], customer["SyncToken"])

    def test_import_then_export_round_trip(self):
        """Import creates Odoo records once; export after it creates nothing twice in QuickBooks."""
        created = [self.qbo_create("Customer", payload) for payload in (
            {"DisplayName": "Round Trip Alpha", "CompanyName": "Round Trip Alpha",
             "PrimaryEmailAddr": {"Address": "alpha@roundtrip.example"},
             "BillAddr": {"Line1": "1 Alpha Rd", "City": "Austin", "CountrySubDivisionCode": "TX",
                          "PostalCode": "73301", "Country": "US"}},
            {"DisplayName": "Round Trip Beta", "GivenName": "Round", "FamilyName": "Trip Beta"},
        )]
        # An Odoo partner with the same email as a QuickBooks customer is linked, not duplicated.
        existing = self.new_partner("Alpha (old name)", email="ALPHA@roundtrip.example")
        self.open_screen("customer")
        to_import = self.rows("customer", state="qbo").filtered(lambda row: row.qbo_name.startswith("Round Trip"))
        self.assertEqual(len(to_import), 2)
        message = to_import.action_import()["params"]["message"]
        self.assertEqual(message, "1 linked, 1 created in Odoo")

        self.assertEqual(self.mapping(existing, "Customer").qbo_id, created[0]["Id"])
        beta = self.env["res.partner"].search([("name", "=", "Round Trip Beta")])
        self.assertEqual(len(beta), 1)
        self.assertFalse(beta.is_company)
        self.assertEqual(beta.customer_rank, 1)
        self.assertEqual(self.mapping(beta, "Customer").qbo_id, created[1]["Id"])

        texas = self.qbo_create("Customer", {"DisplayName": "Round Trip Gamma", "CompanyName": "Gamma Inc",
                                             "BillAddr": {"City": "Austin", "CountrySubDivisionCode": "TX",
                                                          "Country": "US"}})
        self.open_screen("customer")
        self.rows("customer", qbo_id=texas["Id"]).action_import()
        gamma = self.env["res.partner"].search([("name", "=", "Round Trip Gamma")])
        self.assertRecordValues(gamma, [{"is_company": True, "city": "Austin",
                                         "country_id": self.env.ref("base.us").id,
                                         "state_id": self.env.ref("base.state_us_44").id}])

        # Export every Odoo customer: the imported ones are linked already, one new one is created.
        fresh = self.new_partner("Round Trip Delta", email="delta@roundtrip.example")
        before = len(self.qbo_records("Customer"))
        self.open_screen("customer")
        self.rows("customer", state="odoo").filtered(
            lambda row: row.res_id in (fresh | beta | gamma | existing).ids).action_export()
        self.assertEqual(len(self.qbo_records("Customer")), before + 1)
        delta = self.qbo_records("Customer", DisplayName="Round Trip Delta")
        self.assertEqual(len(delta), 1)
        self.assertEqual(delta[0]["PrimaryEmailAddr"]["Address"], "delta@roundtrip.example")
        self.assertEqual(self.mapping(fresh, "Customer").qbo_id, delta[0]["Id"])

        # Clear all links, then export and import again: everything is matched, nothing duplicated.
        self.rows("customer")[:1].action_clear_all()
        self.rows("customer", state="odoo").filtered(
            lambda row: row.res_id in (fresh | beta | gamma | existing).ids).action_export()
        self.assertEqual(len(self.qbo_records("Customer")), before + 1)
        for partner in fresh | beta | gamma | existing:
            self.assertTrue(self.mapping(partner, "Customer"), partner.name)
        self.rows("customer")[:1].action_clear_all()
        partners_before = self.env["res.partner"].search_count([])
        self.rows("customer", state="qbo").filtered(lambda row: row.qbo_name.startswith("Round Trip")).action_import()
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        for partner in fresh | beta | gamma | existing:
            self.assertTrue(self.mapping(partner, "Customer"), partner.name)

    def test_automatch_review_then_apply(self):
        """Automatch proposes exact and similar pairs with their score; only ticked pairs are linked."""
        names = {
            "Societe Generale Automatch": "Société Générale Automatch",
            "Acme Automatch Inc": "Acme Automatch Inc.",
            "JOHNSON AUTOMATCH PLUMBING": "Johnson Automatch Plumbing",
            "Initech Automatch Consultng": "Initech Automatch Consulting",
            "South Automatch Bakery": "North Automatch Bakery",
        }
        partners = {odoo: self.new_partner(odoo) for odoo in names.values()}
        customers = {qbo: self.qbo_create("Customer", {"DisplayName": qbo}) for qbo in names}
        self.company.qbo_automatch_threshold = 90
        rows = self.open_screen("customer")
        action = rows[:1].action_automatch()
        wizard = self.env["qbo.automatch.wizard"].with_user(self.qbo_manager).browse(action["res_id"])
        self.assertEqual(wizard.threshold, 90)
        proposals = {(line.odoo_name, line.qbo_name): line for line in wizard.line_ids
                     if "Automatch" in line.odoo_name}
        self.assertEqual(set(proposals), {
            ("Société Générale Automatch", "Societe Generale Automatch"),
            ("Acme Automatch Inc.", "Acme Automatch Inc"),
            ("Johnson Automatch Plumbing", "JOHNSON AUTOMATCH PLUMBING"),
            ("Initech Automatch Consulting", "Initech Automatch Consultng"),
        })
        self.assertEqual(proposals[("Acme Automatch Inc.", "Acme Automatch Inc")].score, 100)
        fuzzy = proposals[("Initech Automatch Consulting", "Initech Automatch Consultng")]
        self.assertEqual(fuzzy.reason, "similar")
        self.assertTrue(90 <= fuzzy.score < 100)

        # The reviewer unticks the fuzzy pair (and every pair outside this test) and applies.
        keep = wizard.line_ids.browse([line.id for line in proposals.values()]) - fuzzy
        (wizard.line_ids - keep).selected = False
        wizard.action_apply()
        for qbo_name, odoo_name in names.items():
            mapping = self.mapping(partners[odoo_name], "Customer")
            if qbo_name in ("Initech Automatch Consultng", "South Automatch Bakery"):
                self.assertFalse(mapping, odoo_name)
            else:
                self.assertEqual(mapping.qbo_id, customers[qbo_name]["Id"], odoo_name)

        # A higher threshold no longer proposes the similar pair.
        wizard.threshold = 99
        wizard.action_propose()
        self.assertFalse(wizard.line_ids.filtered(lambda line: "Initech" in line.odoo_name))

    def test_link_checks(self):
        """Link refuses rows of two kinds and warns when the names differ much; Automatch and Clear Links
        act on the kind picked on the left when nothing is selected."""
        employee = self.env["hr.employee"].create({"name": "Link Check Employee", "company_id": self.company.id})
        customer = self.qbo_create("Customer", {"DisplayName": "Link Check Customer"})
        partner = self.new_partner("Zebra Logistics")
        self.open_screen("customer")
        employee_row = self.rows("employee", res_id=employee.id)
        customer_row = self.rows("customer", qbo_id=customer["Id"])
        with self.assertRaisesRegex(UserError, "one kind only"):
            (employee_row | customer_row).action_link()
        self.assertFalse(self.env["qbo.mapping"].search([("qbo_id", "=", customer["Id"]),
                                                          ("company_id", "=", self.company.id)]))

        question = (self.rows("customer", res_id=partner.id) | customer_row).action_link()
        confirmation = self.env["qbo.mapping.confirm"].with_user(self.qbo_manager).browse(question["res_id"])
        self.assertIn("The names differ: Zebra Logistics in Odoo, Link Check Customer in QuickBooks",
                      confirmation.message)
        self.assertFalse(self.mapping(partner, "Customer"), "nothing linked before the confirmation")
        self.assertEqual(confirmation.action_confirm()["params"]["type"], "success")
        self.assertEqual(self.mapping(partner, "Customer").qbo_id, customer["Id"])

        lines = self.env["qbo.mapping.line"].with_user(self.qbo_manager)
        shown = lines.with_context(active_domain=[("create_uid", "=", self.qbo_manager.id), ("kind", "=", "customer"),
                                                  ("state", "!=", "linked")])
        shown.action_clear_all()
        self.assertFalse(self.mapping(partner, "Customer"))
        with self.assertRaisesRegex(UserError, "pick the kind"):
            lines.action_automatch()

    def test_automatch_taxes_by_rate_and_empty(self):
        """Taxes are proposed the code of their rate; a review with nothing to propose says so."""
        eight = self.env["account.tax"].create({"name": "State Tax", "amount": 8, "type_tax_use": "sale",
                                                "company_id": self.company.id})
        rows = self.open_screen("tax")
        lines = self.env["qbo.mapping.line"].with_user(self.qbo_manager)
        action = lines.with_context(active_domain=[("kind", "=", "tax")]).action_automatch()
        wizard = self.env["qbo.automatch.wizard"].with_user(self.qbo_manager).browse(action["res_id"])
        proposal = wizard.line_ids.filtered(lambda line: line.odoo_row_id.res_id == eight.id)
        self.assertRecordValues(proposal, [{"qbo_name": "California", "reason": "rate", "score": 100}])
        self.assertFalse(wizard.line_ids.filtered(lambda line: line.odoo_row_id.odoo_rate == 15),
                         "no QuickBooks code is 15 %")
        wizard.line_ids.filtered(lambda line: line != proposal).selected = False
        wizard.action_apply()
        tax_map = self.env["qbo.tax.map"]._qbo_maps_for(self.company, eight)[eight.id]
        self.assertEqual(tax_map.qbo_tax_code_id,
                         rows.filtered(lambda row: row.qbo_name == "California" and not row.res_id).qbo_id)

        self.open_screen("term")
        action = self.rows("term")[:1].action_automatch()
        wizard = self.env["qbo.automatch.wizard"].with_user(self.qbo_manager).browse(action["res_id"])
        wizard.line_ids.unlink()
        arch = wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Nothing to propose", arch)
        self.assertIn('name="action_apply"', arch)
        with self.assertRaisesRegex(UserError, "tick the pairs"):
            wizard.action_apply()

    def test_paging_past_1000(self):
        """Lists longer than one page are read completely with paged queries."""
        for index in range(1, 1204):
            self.qbo_sandbox_company.add("Vendor", {"DisplayName": f"Paging Vendor {index:04d}", "Active": True})
        last = self.new_partner("Paging Vendor 1203")
        rows = self.open_screen("vendor")
        paged = rows.filtered(lambda row: (row.qbo_name or "").startswith("Paging Vendor"))
        self.assertEqual(len(paged), 1203)
        summary = self.env["qbo.master.data.sync"].with_user(self.qbo_manager)
        qbo_ids = summary._qbo_resolve_partner(self.company, last, as_entity="Vendor")
        self.assertEqual(self.qbo_sandbox_company.get("Vendor", qbo_ids[last.id])["DisplayName"],
                         "Paging Vendor 1203")
        self.assertEqual(len(self.qbo_records("Vendor", DisplayName="Paging Vendor 1203")), 1)

    def test_access_rights(self):
        """Only QuickBooks managers edit links and open mapping screens; QuickBooks users read links."""
        partner = self.new_partner("Access Rights Ltd")
        customer = self.qbo_create("Customer", {"DisplayName": "Access Rights Ltd"})
        mapping = self.env["qbo.mapping"]._link(self.company, partner, "Customer", customer["Id"])
        self.assertEqual(self.env["qbo.mapping"].with_user(self.qbo_user).search([("id", "=", mapping.id)]), mapping)
        for user in (self.qbo_user, self.invoice_user):
            with self.assertRaises(AccessError, msg=user.login):
                mapping.with_user(user).write({"qbo_id": "999"})
            with self.assertRaises(AccessError, msg=user.login):
                mapping.with_user(user).unlink()
            with self.assertRaises(AccessError, msg=user.login):
                self.env["qbo.mapping"].with_user(user).create({
                    "company_id": self.company.id, "res_model": "res.partner", "res_id": partner.id,
                    "qbo_entity": "Vendor", "qbo_id": customer["Id"]})
            with self.assertRaises(AccessError, msg=user.login):
                self.env["qbo.mapping.line"].with_user(user).action_open_screen("customer")
            with self.assertRaises(AccessError, msg=user.login):
                self.env["qbo.master.data.sync"].with_user(user)._qbo_export(
                    self.company, "customer", partner, SyncSummary())
        with self.assertRaises(AccessError):
            self.env["qbo.mapping"].with_user(self.invoice_user).search([])
        # The menus of the mapping screens are for managers only.
        menu = self.env.ref("quickbooks_connector.menu_qbo_mapping_screen")
        self.assertEqual(self.env["ir.ui.menu"].with_user(self.qbo_manager).search([("id", "=", menu.id)]), menu)
        self.assertFalse(self.env["ir.ui.menu"].with_user(self.qbo_user).search([("id", "=", menu.id)]))
        # Another company's links are invisible.
        other_company = self.setup_other_company()["company"]
        self.env["qbo.mapping"].create({"company_id": other_company.id, "res_model": "res.partner",
                                        "res_id": partner.id, "qbo_entity": "Customer", "qbo_id": "1"})
        self.assertEqual(self.env["qbo.mapping"].with_user(self.qbo_manager).search(
            [("res_id", "=", partner.id), ("res_model", "=", "res.partner")]), mapping)

    def test_menu_opens_screen_over_http(self):
        """The Mapping menu opens the screen on customers in the web client; its Refresh button works;
        others are refused."""
        partner = self.new_partner("Web Client Partner")
        self.env["hr.employee"].create({"name": "Web Client Employee", "company_id": self.company.id})
        action = self.env.ref("quickbooks_connector.action_qbo_mapping_screen")
        self.authenticate(self.qbo_manager.login, self.qbo_manager.login)
        window = self.make_jsonrpc_request("/web/action/run", {"action_id": action.id})
        list_view = self.env.ref("quickbooks_connector.qbo_mapping_line_view_list")
        self.assertEqual((window["res_model"], window["views"]), ("qbo.mapping.line", [[list_view.id, "list"]]))
        self.assertEqual(window["context"]["searchpanel_default_kind"], "customer")
        rows = self.env["qbo.mapping.line"].with_user(self.qbo_manager).search(window["domain"])
        self.assertEqual(set(rows.mapped("kind")), set(dict(KIND_SELECTION)), "one screen holds every kind")
        self.assertEqual(rows.filtered(lambda row: row.kind == "customer" and row.res_id == partner.id).state, "odoo")
        views = self.make_jsonrpc_request("/web/dataset/call_kw/qbo.mapping.line/get_views", {
            "model": "qbo.mapping.line", "method": "get_views", "args": [],
            "kwargs": {"views": [[list_view.id, "list"], [window["search_view_id"][0], "search"]], "options": {}}})
        self.assertIn("action_automatch", views["views"]["list"]["arch"])
        self.assertIn("searchpanel", views["views"]["search"]["arch"])
        answer = self.make_jsonrpc_request("/web/dataset/call_button", {
            "model": "qbo.mapping.line", "method": "action_refresh", "args": [[]],
            "kwargs": {"context": window["context"]}})
        self.assertEqual(answer["tag"], "soft_reload")
        self.authenticate(self.invoice_user.login, self.invoice_user.login)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/web/action/run", {"action_id": action.id})

    def test_realm_change_clears_links(self):
        """Connecting the company to another QuickBooks company forgets its links."""
        partner = self.new_partner("Realm Change Co")
        self.env["qbo.mapping"]._link(self.company, partner, "Customer", "4242")
        tax = self.company_data["default_tax_sale"]
        self.env["qbo.tax.map"]._qbo_link(self.company, tax, {"id": "TAX", "name": "TAX"}, True)
        self.company._qbo_connection()._qbo_on_realm_change(self.realm_id, "999999")
        self.assertFalse(self.env["qbo.mapping"].search([("company_id", "=", self.company.id)]))
        self.assertFalse(self.env["qbo.tax.map"].search([("company_id", "=", self.company.id)]))
