from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from ..qbo_sandbox import limits
from .common_payment import QboPaymentCommon

MODULE = "odoo.addons.quickbooks_connector"
# Who may call each public method of the addon: (QuickBooks role, access to the records it needs).
# Every public method the code defines must be here (the test finds them): a new one without a rule fails.
RULES = {
    ("account.move", "action_qbo_export"): ("manager", "write"),
    ("account.move", "action_qbo_retry"): ("manager", "write"),
    ("account.move", "action_qbo_send"): ("manager", "write"),
    ("account.move", "action_qbo_preview"): ("manager", "read"),
    ("account.move", "action_qbo_open"): ("user", "read"),
    ("account.move", "action_qbo_open_logs"): ("user", "read"),
    ("account.move", "action_qbo_clear_flags"): ("manager", "write"),
    ("account.payment", "action_qbo_apply_remote_change"): ("manager", "write"),
    ("account.payment", "action_qbo_push"): ("manager", "write"),
    ("account.payment", "action_qbo_retry"): ("manager", "write"),
    ("account.payment", "action_qbo_open_logs"): ("user", "read"),
    ("account.payment", "action_qbo_open"): ("user", "read"),
    ("hr.expense", "action_qbo_export"): ("manager", "write"),
    ("hr.expense", "action_qbo_clear_flags"): ("manager", "write"),
    ("hr.expense", "action_qbo_open_logs"): ("user", "read"),
    ("hr.expense", "action_qbo_open"): ("user", "read"),
    ("hr.expense.sheet", "action_qbo_export"): ("manager", "write"),
    ("hr.expense.sheet", "action_qbo_open"): ("user", "read"),
    ("qbo.automatch.wizard", "action_propose"): ("manager", "write"),
    ("qbo.automatch.wizard", "action_apply"): ("manager", "write"),
    ("qbo.mapping.confirm", "action_confirm"): ("manager", "write"),
    ("qbo.bulk.confirm", "action_confirm"): ("manager", "write"),
    ("qbo.books.check", "action_qbo_run"): ("manager", "write"),
    ("qbo.books.check.line", "action_qbo_repair"): ("manager", "write"),
    ("qbo.books.repair", "action_qbo_apply"): ("manager", "write"),
    ("qbo.import.wizard", "action_qbo_open"): ("manager", "read"),
    ("qbo.import.wizard", "action_qbo_count"): ("manager", "write"),
    ("qbo.import.wizard", "action_qbo_import"): ("manager", "write"),
    ("qbo.mapping.line", "action_open_screen"): ("manager", "read"),
    ("qbo.mapping.line", "action_automatch"): ("manager", "write"),
    ("qbo.mapping.line", "action_clear_all"): ("manager", "write"),
    ("qbo.mapping.line", "action_export"): ("manager", "write"),
    ("qbo.mapping.line", "action_import"): ("manager", "write"),
    ("qbo.mapping.line", "action_link"): ("manager", "write"),
    ("qbo.mapping.line", "action_refresh"): ("manager", "write"),
    ("qbo.mapping.line", "action_unlink_pairs"): ("manager", "write"),
    ("qbo.sync.log", "action_open_record"): ("user", "read"),
    ("qbo.sync.log", "action_open_qbo"): ("user", "read"),
    ("qbo.sync.log", "action_retry"): ("manager", "read"),
    ("qbo.webhook.event", "action_open_record"): ("user", "read"),
    ("qbo.webhook.event", "action_retry"): ("manager", "write"),
    ("res.company", "action_qbo_connect"): ("admin", "read"),
    ("res.company", "action_qbo_disconnect"): ("admin", "read"),
    ("res.company", "action_qbo_test_connection"): ("manager", "read"),
    ("res.company", "action_qbo_sync_payments"): ("manager", "read"),
    ("res.company", "action_qbo_sync_expenses"): ("manager", "read"),
    ("res.company", "action_qbo_catch_up"): ("manager", "read"),
    ("res.company", "action_qbo_open_setup"): ("manager", "read"),
    ("res.config.settings", "action_qbo_open_setup"): ("manager", "read"),
    ("qbo.setup", "action_open"): ("manager", "read"),
    ("qbo.setup", "action_connect"): ("admin", "write"),
    ("qbo.setup", "action_disconnect"): ("admin", "write"),
    ("qbo.setup", "action_test_connection"): ("manager", "read"),
    ("qbo.setup", "action_map_taxes"): ("manager", "read"),
    ("qbo.setup", "action_match_records"): ("manager", "read"),
    ("res.config.settings", "action_qbo_connect"): ("admin", "read"),
    ("res.config.settings", "action_qbo_disconnect"): ("admin", "read"),
    ("res.config.settings", "action_qbo_test_connection"): ("manager", "read"),
}
# Arguments of the model-level methods.
ARGUMENTS = {"action_open_screen": {"qbo.mapping.line": ["customer"]}, "action_open": {"qbo.setup": []},
             "action_qbo_open": {"qbo.import.wizard": []}}
ROLE_GROUPS = {"user": "quickbooks_connector.group_qbo_user", "manager": "quickbooks_connector.group_qbo_manager",
               "admin": "base.group_system"}


def public_methods(env):
    """``{(model, method)}`` of every public method the addon defines (overrides of Odoo's own excepted)."""
    found = set()
    for name in env.registry:
        model_class = type(env[name])
        if model_class._abstract:
            continue
        for klass in model_class.__mro__:
            if not klass.__module__.startswith(MODULE):
                continue
            for attr, value in vars(klass).items():
                if attr.startswith("_") or not callable(value) or isinstance(value, type):
                    continue
                if any(attr in vars(other) for other in model_class.__mro__
                       if not other.__module__.startswith(MODULE) and other is not object):
                    continue
                found.add((name, attr))
    return found


@tagged("post_install", "-at_install")
class TestAccessMatrix(QboPaymentCommon):
    """Every public QuickBooks method over JSON-RPC, for six kinds of users: allowed only to the
    QuickBooks role it needs on records of the user's own company; refused with an AccessError
    otherwise, before anything is written or any QuickBooks call is made."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.users = {
            "internal user": cls._qbo_new_user("matrix_internal", "base.group_user"),
            "invoicing user": cls._qbo_new_user("matrix_invoicing", "base.group_user,account.group_account_invoice"),
            "QuickBooks user": cls._qbo_new_user("matrix_qbo_user",
                                                 "base.group_user,quickbooks_connector.group_qbo_user"),
            "manager of the company": cls._qbo_new_user(
                "matrix_manager", "base.group_user,account.group_account_manager,hr_expense.group_hr_expense_manager"),
            "manager of another company": cls.env["res.users"].with_context(no_reset_password=True).create({
                "name": "Other Manager", "login": "matrix_other_manager", "password": "matrix_other_manager",
                "company_id": cls.other_company.id, "company_ids": [(6, 0, cls.other_company.ids)],
                "groups_id": [(6, 0, [cls.env.ref("base.group_user").id,
                                      cls.env.ref("account.group_account_manager").id])]}),
            "portal user": mail_new_test_user(cls.env, login="matrix_portal", groups="base.group_portal",
                                              company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)]),
        }
        for user in cls.users.values():
            user.password = user.login
        cls.manager = cls.users["manager of the company"]
        cls.customer = cls.env["res.partner"].create({"name": "Matrix Customer", "is_company": True})

    def records(self):
        """One record of the company per model (screens and reviews belong to the company's manager)."""
        invoice = self.exported(self.customer, 100.0)
        payment = self.register_payment(invoice, 40.0)
        employee = self.env["hr.employee"].create({"name": "Matrix Employee", "company_id": self.company.id})
        expense = self.env["hr.expense"].create({
            "name": "Matrix taxi", "employee_id": employee.id, "total_amount_currency": 12.0,
            "product_id": self.env.ref("hr_expense.product_product_no_cost").id, "company_id": self.company.id})
        sheet = self.env["hr.expense.sheet"].create({"name": "Matrix report", "employee_id": employee.id,
                                                     "expense_line_ids": [(6, 0, expense.ids)],
                                                     "company_id": self.company.id})
        log = self.env["qbo.sync.log"].search([("company_id", "=", self.company.id)], limit=1)
        event = self.env["qbo.webhook.event"]._qbo_record(self.company, [{
            "realm_id": self.realm_id, "qbo_entity": "Invoice", "qbo_id": invoice.qbo_id, "operation": "Update",
            "event_time": invoice.create_date, "event_key": "matrix"}])
        manager_env = self.env(user=self.manager, context={"allowed_company_ids": self.company.ids})
        manager_env["qbo.mapping.line"].action_open_screen("customer")
        wizard = manager_env["qbo.automatch.wizard"].create({"company_id": self.company.id, "kind": "customer"})
        confirmation = manager_env["qbo.mapping.confirm"].create({
            "row_ids": [(6, 0, manager_env["qbo.mapping.line"].search([("kind", "=", "tax")], limit=2).ids)],
            "message": "Link anyway?"})
        check = self.env["qbo.books.check"].create({"company_id": self.company.id})
        difference = self.env["qbo.books.check.line"].sudo().create({
            "check_id": check.id, "kind": "partner", "issue": "partner_balance", "qbo_entity": "Customer",
            "qbo_id": "1", "odoo_amount": 1.0, "qbo_amount": 2.0, "detail": "Matrix difference"})
        repair = manager_env["qbo.books.repair"].create({"line_ids": [(6, 0, difference.ids)], "action": "explain",
                                                         "note": "Matrix note"})
        return {
            "qbo.books.check": check, "qbo.books.check.line": difference, "qbo.books.repair": repair.sudo(),
            "account.move": invoice, "account.payment": payment, "hr.expense": expense, "hr.expense.sheet": sheet,
            "qbo.sync.log": log, "qbo.webhook.event": event, "res.company": self.company,
            "qbo.mapping.line": manager_env["qbo.mapping.line"].search([], limit=1).sudo(),
            "qbo.mapping.confirm": confirmation.sudo(),
            "qbo.bulk.confirm": manager_env["qbo.bulk.confirm"].create({
                "res_model": "account.move", "res_ids": invoice.ids, "method": "action_qbo_export"}).sudo(),
            "qbo.setup": manager_env["qbo.setup"].create({"company_id": self.company.id}).sudo(),
            "qbo.automatch.wizard": wizard,
            "qbo.import.wizard": manager_env["qbo.import.wizard"].create({"company_id": self.company.id}).sudo(),
            "res.config.settings": self.env["res.config.settings"].create({"company_id": self.company.id}),
        }

    def fingerprint(self, record):
        """What a refused call must leave unchanged: the record, the sync log, QuickBooks."""
        self.env.flush_all()
        self.env.invalidate_all()
        stored = [name for name, field in record._fields.items() if field.store and name != "__last_update"
                  and field.type not in ("one2many", "many2many")]
        return (record.sudo().read(stored), self.env["qbo.sync.log"].sudo().search_count([]),
                limits.for_state(self.sandbox).count(self.realm_id))

    def model_level(self, model, method):
        return getattr(getattr(type(self.env[model]), method), "_api", None) == "model"

    def call(self, user, model, method, record):
        """Call the method over JSON-RPC as ``user``; return the error class name, or None."""
        args = ARGUMENTS[method][model] if self.model_level(model, method) else [record.ids]
        try:
            self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": model, "method": method, "args": args,
                "kwargs": {"context": {"allowed_company_ids": user.company_id.ids}},
            })
        except JsonRpcException as error:
            return error.args[0]
        return None

    def test_rules_cover_every_public_method(self):
        """The rules above name every public method of the addon, and only those."""
        self.assertEqual(public_methods(self.env), set(RULES))

    @mute_logger("odoo.http", "odoo.addons.quickbooks_connector.qbo_client")
    def test_matrix(self):
        """Each method, each kind of user: refused with an AccessError and nothing written unless the user
        has the QuickBooks role and may reach the records, in the company."""
        records = self.records()
        self.assertTrue(all(records.values()), records)
        expected = {}
        for label, user in self.users.items():
            for (model, method), (role, operation) in RULES.items():
                # A model-level method (a mapping screen) works on the user's own company.
                expected[label, model, method] = user.has_group(ROLE_GROUPS[role]) and (
                    self.model_level(model, method) or (
                        user.company_id == self.company
                        and records[model].with_user(user).with_company(self.company).has_access(operation)))
        # Refused calls first: the allowed ones may change the records on the way.
        for allowed_pass in (False, True):
            for label, user in self.users.items():
                self.authenticate(user.login, user.login)
                for (model, method) in sorted(RULES):
                    if expected[label, model, method] != allowed_pass:
                        continue
                    record = records[model]
                    if not record.exists():
                        # A screen the manager's previous call rebuilt: its rows are new.
                        record = records[model] = record.search([("create_uid", "=", self.manager.id)], limit=1)
                    with self.subTest(user=label, model=model, method=method):
                        before = self.fingerprint(record)
                        error = self.call(user, model, method, record)
                        if allowed_pass:
                            self.assertNotEqual(error, "odoo.exceptions.AccessError")
                        else:
                            self.assertEqual(error, "odoo.exceptions.AccessError")
                            self.assertEqual(self.fingerprint(record), before, "a refused call changed something")
        # Nobody outside the company's QuickBooks roles was allowed a record-level call.
        for label in ("internal user", "invoicing user", "portal user", "manager of another company"):
            self.assertFalse([key for key, allowed in expected.items() if key[0] == label and allowed
                              and not self.model_level(key[1], key[2])], label)
        self.assertTrue(expected["manager of the company", "res.company", "action_qbo_sync_payments"])

    @mute_logger("odoo.http")
    def test_manager_of_another_company(self):
        """The issue's own case: a manager of company B syncs, catches up and previews company A: refused."""
        invoice = self.exported(self.customer, 55.0)
        other = self.users["manager of another company"]
        self.authenticate(other.login, other.login)
        logs = self.env["qbo.sync.log"].search_count([])
        for model, method, record in (("res.company", "action_qbo_sync_payments", self.company),
                                      ("res.company", "action_qbo_sync_expenses", self.company),
                                      ("res.company", "action_qbo_catch_up", self.company),
                                      ("account.move", "action_qbo_preview", invoice)):
            self.assertEqual(self.call(other, model, method, record), "odoo.exceptions.AccessError", method)
            # Even claiming company A in the context does not help.
            with self.assertRaises(JsonRpcException) as refused:
                self.make_jsonrpc_request("/web/dataset/call_kw", {
                    "model": model, "method": method, "args": [record.ids],
                    "kwargs": {"context": {"allowed_company_ids": self.company.ids}}})
            self.assertEqual(refused.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual(self.env["qbo.sync.log"].search_count([]), logs)

    @mute_logger("odoo.http")
    def test_companies_worked_in_now(self):
        """An administrator of both companies, working in the other one, is refused on this one's records:
        the companies selected now count, not all those the user may select."""
        admin = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Both Companies Admin", "login": "matrix_both", "password": "matrix_both",
            "company_id": self.other_company.id, "company_ids": [(6, 0, (self.company | self.other_company).ids)],
            "groups_id": [(6, 0, [self.env.ref("base.group_user").id, self.env.ref("base.group_system").id,
                                  self.env.ref("account.group_account_manager").id])]})
        self.authenticate(admin.login, admin.login)
        self.assertEqual(self.call(admin, "res.company", "action_qbo_sync_payments", self.company),
                         "odoo.exceptions.AccessError")
        self.assertEqual(self.call(admin, "res.company", "action_qbo_disconnect", self.company),
                         "odoo.exceptions.AccessError")
        self.assertEqual(self.company.qbo_state, "connected")

    def test_links_stay_in_their_company(self):
        """A link names a record of its own company that its author may read; the name of a record the
        reader may not read is never shown."""
        other_partner = self.env["res.partner"].create({"name": "Secret Other Partner",
                                                        "company_id": self.other_company.id})
        manager = self.env["qbo.mapping"].with_user(self.manager).with_context(
            allowed_company_ids=self.company.ids)
        with self.assertRaises(AccessError):
            manager.create({"company_id": self.company.id, "res_model": "res.partner", "res_id": other_partner.id,
                            "qbo_entity": "Customer", "qbo_id": "901"})
        with self.assertRaises(ValidationError):
            self.env["qbo.mapping"].create({"company_id": self.company.id, "res_model": "res.partner",
                                            "res_id": other_partner.id, "qbo_entity": "Customer", "qbo_id": "902"})
        own = self.env["res.partner"].create({"name": "Readable Partner", "company_id": self.company.id})
        mapping = self.env["qbo.mapping"].create({"company_id": self.company.id, "res_model": "res.partner",
                                                  "res_id": own.id, "qbo_entity": "Customer", "qbo_id": "903"})
        self.assertEqual(mapping.with_user(self.manager).res_name, "Readable Partner")
        own.company_id = self.other_company
        mapping.invalidate_recordset()
        self.assertEqual(mapping.with_user(self.manager).res_name, "Restricted record")
