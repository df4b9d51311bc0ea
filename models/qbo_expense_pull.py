import logging

from markupsafe import Markup

from odoo import Command, _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..const import CATEGORY_ENTITY, PROJECT_ENTITY
from ..qbo_master_data import KINDS, SyncSummary
from ..qbo_payload.account_move import PayloadError
from ..qbo_payload.hr_expense import purchase_header, purchase_lines
from ..qbo_payload.money import cents
from .hr_expense import EDITABLE_STATES
from .qbo_export_engine import SyncReport

_logger = logging.getLogger(__name__)

# Purchases handled per company in one call of the job or of Sync Expense.
BATCH_SIZE = 500


def employee_setting_place(env):
    """Where the user chooses the employee of QuickBooks expenses."""
    return env._("Accounting > Configuration > Settings > QuickBooks Online > Expenses, or the QuickBooks tab of "
                 "the company")


class ExpensePullReport(SyncReport):
    """What a pull of QuickBooks expenses did."""

    def __init__(self, env):
        super().__init__(env)
        self.imported = 0
        self.flagged_changed = 0
        self.flagged_deleted = 0
        self.skipped = 0
        self.no_employee = []  # labels of the purchases waiting for an employee to be filed under

    def message(self):
        parts = [self.env._("%s expenses imported", self.imported)]
        if self.updated:
            parts.append(self.env._("%s updated", self.updated))
        if self.flagged_changed:
            parts.append(self.env._("%s changed in QuickBooks after submission (flagged, not applied)",
                                    self.flagged_changed))
        if self.flagged_deleted:
            parts.append(self.env._("%s deleted in QuickBooks (flagged)", self.flagged_deleted))
        if self.skipped:
            parts.append(self.env._("%s credit card refunds skipped", self.skipped))
        if self.no_employee:
            shown = ", ".join(self.no_employee[:5]) + (", …" if len(self.no_employee) > 5 else "")
            parts.append(self.env._(
                "%(count)s not imported yet, no employee to file them under (%(purchases)s): choose the "
                "\"Employee of QuickBooks Expenses\" (%(where)s), then Sync Expense again",
                count=len(self.no_employee), purchases=shown, where=employee_setting_place(self.env)))
        if self.remaining:
            parts.append(self.env._("more are being imported in the background"))
        return ", ".join(parts + self.common_parts())

    def notification_type(self):
        if self.errors or self.busy or self.no_employee:
            return "warning"
        return "warning" if self.flagged_changed or self.flagged_deleted else "success"


class QboExpensePull(models.AbstractModel):
    """QuickBooks purchases (cash, check, credit card) become Odoo expenses: an adapter of the pull engine.

    One expense per purchase line, never duplicated (one expense per QuickBooks line and company).
    Changes apply until the expense is submitted; after that they are flagged, as are deletions
    (found through change data capture, for purchases and for the bills of exported expenses).
    Purchases exported from Odoo are recognised by their Id and never imported again.
    """

    _name = "qbo.expense.pull"
    _inherit = "qbo.pull.engine"
    _description = "QuickBooks Import of Expenses"

    _qbo_stream = "expense"
    _qbo_entity = "Purchase"

    @api.model
    def _cron_qbo_pull_expenses(self):
        """Pull the expenses of the connected company served least recently (one per call)."""
        self._qbo_cron_pull(BATCH_SIZE)

    @api.model
    def _qbo_pull_expenses(self, company):
        """Import the QuickBooks purchases of ``company`` changed since its cursor; return the report.

        :raise UserError: if the company is not connected
        :raise QboApiError: if QuickBooks cannot be read
        """
        report = self._qbo_pull(company, BATCH_SIZE)
        if report.remaining:
            self.env.ref("quickbooks_connector.ir_cron_qbo_pull_expenses")._qbo_trigger_lanes()
        return report

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return ExpensePullReport(self.env)

    @api.model
    def _qbo_start_date(self, company):
        return company.qbo_expense_start_date

    @api.model
    def _qbo_pull_recheck_ids(self, run):
        """The purchases whose change was flagged while their expenses were submitted: back in an
        editable state, the change applies now."""
        recheck = self.env["hr.expense"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", "Purchase"),
            ("qbo_expense_type", "=", "quickbooks"), ("qbo_remote_change", "=", "changed"),
            ("state", "in", EDITABLE_STATES),
        ])
        return list(set(recheck.mapped("qbo_id")))

    @api.model
    def _qbo_pull_label(self, doc):
        return _("Purchase %s", doc.get("DocNumber") or doc["Id"])

    @api.model
    def _qbo_deleted_entities(self):
        return ["Purchase", "Bill"]

    @api.model
    def _qbo_pull_deleted(self, run, entity, qbo_ids):
        """Flag the expenses whose QuickBooks transaction was deleted there."""
        expenses = self.env["hr.expense"].search([
            ("company_id", "=", run.company.id), ("qbo_entity", "=", entity), ("qbo_id", "in", qbo_ids),
            ("qbo_remote_change", "!=", "deleted"),
        ])
        for expense in expenses:
            self._qbo_flag(run, expense, _("%(entity)s %(id)s no longer exists in QuickBooks.",
                                           entity=entity, id=expense.qbo_id), deleted=True)

    # === WHAT THE PURCHASES REFER TO === #

    @api.model
    def _qbo_pull_context(self, run, docs):
        """Resolve, for all ``docs`` at once, the Odoo records their payees, categories, projects and
        taxes are (vendors not linked yet are matched or imported); what cannot be resolved is left out
        (the purchases using it then fail)."""
        company = run.company
        mapping = self.env["qbo.mapping"]
        payees = {}
        for doc in docs:
            payee = purchase_header(doc)["payee"]
            if payee:
                payees.setdefault(payee["type"], set()).add(payee["value"])
        employees = mapping._records_for(company, "Employee", payees.get("Employee", ()))
        vendors = self._qbo_linked_or_imported(company, run.client, "vendor", payees.get("Vendor", ()), run.report)
        details = [(line.get("AccountBasedExpenseLineDetail") or line.get("ItemBasedExpenseLineDetail") or {}, line)
                   for doc in docs for line in doc.get("Line") or ()]
        account_ids = {detail["AccountRef"]["value"] for detail, _line in details if detail.get("AccountRef")}
        item_ids = {detail["ItemRef"]["value"] for detail, _line in details if detail.get("ItemRef")}
        customer_ids = {ref["value"] for detail, line in details for ref in (line.get("ProjectRef"),
                                                                             detail.get("CustomerRef")) if ref}
        customer_ids |= {doc["ProjectRef"]["value"] for doc in docs if doc.get("ProjectRef")}
        items = self._qbo_item_categories(company, run.client, item_ids)
        account_ids |= {account_id for account_id in items.values() if isinstance(account_id, str)}
        categories = self._qbo_categories(company, run.client, account_ids, run.report)
        return {
            "employees": employees,
            "vendors": vendors,
            "items": {item_id: categories.get(value) if isinstance(value, str) else value
                      for item_id, value in items.items()},
            "categories": categories,
            "projects": self._qbo_projects(company, run.client, customer_ids, run.report),
            "taxes": self._qbo_purchase_taxes(company),
        }

    @api.model
    def _qbo_item_categories(self, company, client, item_ids):
        """Return ``{item_id: product}`` for items linked to an expensable product without cost, else
        ``{item_id: expense account id}`` (the item is then filed under that account's category)."""
        linked = self.env["qbo.mapping"]._records_for(company, "Item", item_ids)
        result = {}
        for item_id, product in linked.items():
            product = product.with_company(company)
            if product.can_be_expensed and company.currency_id.is_zero(product.standard_price):
                result[item_id] = product
        todo = set(item_ids) - set(result)
        if todo:
            for doc in self._qbo_read_ids(client, "Item", todo, inactive=True):
                account_id = (doc.get("ExpenseAccountRef") or {}).get("value")
                if account_id:
                    result[str(doc["Id"])] = str(account_id)
        return result

    @api.model
    def _qbo_categories(self, company, client, account_ids, report):
        """Return ``{account_id: expense product}``: the linked category of each QuickBooks account,
        else an expense product booking on that account (linked now), else a new one."""
        mapping = self.env["qbo.mapping"]
        result = mapping._records_for(company, CATEGORY_ENTITY, account_ids)
        todo = set(account_ids) - set(result)
        if not todo:
            return result
        accounts = self._qbo_linked_or_imported(company, client, "account", todo, report)
        names = {str(doc["Id"]): doc.get("FullyQualifiedName") or doc.get("Name")
                 for doc in self._qbo_read_ids(client, "Account", set(accounts) & todo, inactive=True)}
        for account_id in todo & set(accounts):
            try:
                with self.env.cr.savepoint():
                    product = self._qbo_category_product(company, accounts[account_id], names.get(account_id))
                    mapping._link(company, product, CATEGORY_ENTITY, account_id, qbo_name=names.get(account_id))
            except (UserError, ValidationError) as error:
                report.errors.append((_("Account %s", names.get(account_id) or account_id), str(error)))
                continue
            result[account_id] = product
        return result

    @api.model
    def _qbo_linked_or_imported(self, company, client, kind, qbo_ids, report):
        """Return ``{qbo_id: record}``: the Odoo records linked to these QuickBooks records of ``kind``
        (``vendor``, ``account``), the others matched or created by the master-data import."""
        entity = KINDS[kind].entity
        result = self.env["qbo.mapping"]._records_for(company, entity, qbo_ids)
        missing = set(qbo_ids) - set(result)
        if missing:
            summary = SyncSummary()
            docs = self._qbo_read_ids(client, entity, missing, inactive=True)
            result.update(self.env["qbo.master.data.sync"]._qbo_import(company, kind, docs, summary))
            report.errors += [(f"{entity} {label}", message) for label, message in summary.errors]
        return result

    @api.model
    def _qbo_category_product(self, company, account, name):
        """Return the expense product of ``account``: the only unlinked one booking on it, else a new one."""
        products = self.env["product.product"].with_company(company).search([
            ("can_be_expensed", "=", True), ("company_id", "in", [False, company.id]),
            ("property_account_expense_id", "=", account.id),
        ])
        linked = self.env["qbo.mapping"]._qbo_ids_for(products, CATEGORY_ENTITY, company)
        free = products.filtered(lambda product: product.id not in linked
                                 and company.currency_id.is_zero(product.standard_price))
        if len(free) == 1:
            return free
        return self.env["product.product"].with_company(company).create({
            "name": name or account.name,
            "type": "service",
            "can_be_expensed": True,
            "sale_ok": False,
            "purchase_ok": True,
            "standard_price": 0.0,
            "company_id": company.id,
            "property_account_expense_id": account.id,
            "supplier_taxes_id": [Command.clear()],
            "taxes_id": [Command.clear()],
        })

    @api.model
    def _qbo_projects(self, company, client, customer_ids, report):
        """Return ``{customer_id: analytic account}``: the linked analytic account of each QuickBooks
        project or customer, else the unlinked one of the same name in the projects plan, else a new one."""
        mapping = self.env["qbo.mapping"]
        result = mapping._records_for(company, PROJECT_ENTITY, customer_ids)
        todo = set(customer_ids) - set(result)
        if not todo:
            return result
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        analytic = self.env["account.analytic.account"]
        for doc in self._qbo_read_ids(client, "Customer", todo, inactive=True):
            name = doc.get("FullyQualifiedName") or doc.get("DisplayName")
            candidates = analytic.search([("name", "=", name), ("plan_id", "=", project_plan.id),
                                          ("company_id", "in", [False, company.id])])
            linked = mapping._qbo_ids_for(candidates, PROJECT_ENTITY, company)
            try:
                with self.env.cr.savepoint():
                    account = candidates.filtered(lambda candidate: candidate.id not in linked)[:1] or \
                        self._qbo_new_project_account(company, name, project_plan, doc)
                    mapping._link(company, account, PROJECT_ENTITY, doc["Id"], doc.get("SyncToken"), name)
            except (UserError, ValidationError) as error:
                report.errors.append((_("Project %s", name), str(error)))
                continue
            result[str(doc["Id"])] = account
        return result

    @api.model
    def _qbo_new_project_account(self, company, name, project_plan, doc):
        """The analytic account of a QuickBooks project or customer (``doc``) Odoo has none for (the project
        bridge addon makes a QuickBooks project's an Odoo project's)."""
        return self.env["account.analytic.account"].create(
            {"name": name, "plan_id": project_plan.id, "company_id": company.id})

    @api.model
    def _qbo_purchase_taxes(self, company):
        """Return ``{TaxCode Id: (Odoo purchase taxes, percent)}`` of the mapped tax codes."""
        result = {}
        maps = self.env["qbo.tax.map"].search([("company_id", "=", company.id), ("qbo_tax_code_id", "!=", False)])
        for tax_map in maps.filtered(lambda tax_map: tax_map.tax_id.type_tax_use == "purchase"):
            taxes, _percent = result.get(tax_map.qbo_tax_code_id, (self.env["account.tax"], 0))
            taxes |= tax_map.tax_id
            flat = taxes.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type == "percent")
            result[tax_map.qbo_tax_code_id] = (taxes, cents(sum(flat.mapped("amount"))))
        return result

    # === ONE PURCHASE === #

    @api.model
    def _qbo_pull_one(self, run, doc, context):
        """Create, update or flag the expenses of one QuickBooks purchase.

        :return: whether it was work (anything imported, updated, flagged or skipped)
        :raise PayloadError: when the purchase cannot be imported (the cause is in the message)
        """
        company = run.company
        report = run.report
        header = purchase_header(doc)
        if header["credit"]:
            report.skipped += 1
            return True
        existing = self.env["hr.expense"].search([
            ("company_id", "=", company.id), ("qbo_entity", "=", "Purchase"), ("qbo_id", "=", header["qbo_id"]),
        ])
        if existing.filtered(lambda expense: expense.qbo_expense_type == "odoo"):
            # Exported from Odoo: never imported again; a change made in QuickBooks is flagged.
            return self._qbo_flag_changed(run, existing.filtered(
                lambda expense: expense.qbo_sync_token != header["sync_token"]), header)
        pending = existing.filtered(lambda expense: expense.qbo_sync_token != header["sync_token"]
                                    or expense.qbo_remote_change == "changed")
        if existing and not pending:
            return False
        employee = self._qbo_employee(company, header, context) or existing[:1].employee_id
        if not employee:
            self._qbo_pull_no_employee(run, doc, header)
            return True
        lines = purchase_lines(doc, {code: percent for code, (_taxes, percent) in context["taxes"].items()})
        values = {line["line_id"]: self._qbo_expense_values(company, header, line, context, employee)
                  for line in lines}
        by_line = {expense.qbo_line_id: expense for expense in existing}
        to_flag = self.env["hr.expense"]
        for line_id, line_values in values.items():
            expense = by_line.pop(line_id, None)
            if expense is None:
                expense = self.env["hr.expense"].with_company(company).create(line_values)
                report.imported += 1
                run.logs.append(self._qbo_pull_log_values(run, expense, "create", "success", False, header["qbo_id"]))
                run.notes[expense] = _("Imported from QuickBooks (Purchase %s).", header["doc_number"]
                                       or header["qbo_id"])
            elif expense.state in EDITABLE_STATES:
                expense.write({key: value for key, value in line_values.items() if key != "employee_id"
                               or not expense.sheet_id})
                report.updated += 1
                run.logs.append(self._qbo_pull_log_values(run, expense, "update", "success", False, header["qbo_id"]))
                run.notes[expense] = _("Updated from QuickBooks.")
            elif expense.qbo_sync_token != header["sync_token"]:
                to_flag |= expense
        self._qbo_flag_changed(run, to_flag, header, values)
        gone = self.env["hr.expense"].union(*by_line.values()).filtered(
            lambda expense: expense.qbo_remote_change != "deleted")
        self._qbo_flag(run, gone, _("Its line was removed from the QuickBooks purchase."), deleted=True)
        return True

    @api.model
    def _qbo_employee(self, company, header, context):
        """The employee a purchase is filed under: its payee when a linked QuickBooks employee, else the
        company's "Employee of QuickBooks Expenses" (None when that is not set)."""
        payee = header["payee"] or {}
        employee = context["employees"].get(payee.get("value")) if payee.get("type") == "Employee" else None
        return employee or company.qbo_expense_employee_id or None

    @api.model
    def _qbo_pull_no_employee(self, run, doc, header):
        """A purchase no employee can be found for: told in the report and the sync log with what to do,
        and read again by the next runs (it is in the retry list: the cursor moving on loses nothing)."""
        payee = header["payee"] or {}
        label = _("Purchase %(number)s (%(payee)s, %(amount).2f %(currency)s)",
                  number=header["doc_number"] or header["qbo_id"], payee=payee.get("name") or _("no payee"),
                  amount=float(doc.get("TotalAmt") or 0), currency=header["currency"] or run.company.currency_id.name)
        if payee.get("type") == "Vendor":
            why = _("its payee %s is a vendor, not an employee", payee.get("name") or payee["value"])
        elif payee.get("type") == "Employee":
            why = _("its payee %s is a QuickBooks employee linked to no Odoo employee (link it on the Employees "
                    "page of the QuickBooks mapping)", payee.get("name") or payee["value"])
        else:
            why = _("it has no payee")
        message = _("Not imported yet: no Odoo employee to file it under (%(why)s). Choose the \"Employee of "
                    "QuickBooks Expenses\" (%(where)s), then Sync Expense again: it is imported then.",
                    why=why, where=employee_setting_place(self.env))
        run.report.no_employee.append(label)
        if str(doc["Id"]) not in run.retry_ids:
            run.retry_ids.append(str(doc["Id"]))
        run.logs.append(self._qbo_pull_log_values(run, None, "create", "error", message, doc["Id"], label))

    @api.model
    def _qbo_expense_values(self, company, header, line, context, employee):
        """Return the values of the Odoo expense of one purchase line, filed under ``employee``.

        :raise PayloadError: when the vendor, category, currency or tax cannot be found in Odoo
        """
        payee = header["payee"] or {}
        vendor = self.env["res.partner"]
        if payee.get("type") == "Vendor":
            vendor = context["vendors"].get(payee["value"])
            if not vendor:
                raise PayloadError(_("the QuickBooks vendor %s could not be matched or imported in Odoo",
                                     payee.get("name") or payee["value"]))
        if line["item_qbo_id"]:
            product = context["items"].get(line["item_qbo_id"])
        else:
            product = context["categories"].get(line["account_qbo_id"])
        if not product:
            raise PayloadError(_("the category of the line %s has no Odoo expense category",
                                 line["description"] or line["line_id"]))
        currency = self.env["res.currency"].search([("name", "=", header["currency"] or company.currency_id.name)])
        if not currency:
            raise PayloadError(_("the currency %s is not active in Odoo", header["currency"]))
        taxes = self.env["account.tax"]
        if line["tax_code"]:
            taxes = context["taxes"].get(line["tax_code"], (taxes, 0))[0]
        values = {
            "name": line["description"] or header["note"] or product.display_name,
            "date": header["date"],
            "employee_id": employee.id,
            "product_id": product.id,
            "quantity": 1,
            "total_amount_currency": float(line["total"]),
            "tax_ids": [Command.set(taxes.ids)],
            "currency_id": currency.id,
            "payment_mode": "company_account",
            "description": header["note"] or False,
            "qbo_expense_type": "quickbooks",
            "qbo_state": "imported",
            "qbo_entity": "Purchase",
            "qbo_id": header["qbo_id"],
            "qbo_line_id": line["line_id"],
            "qbo_sync_token": header["sync_token"],
            "qbo_doc_number": header["doc_number"] or False,
            "qbo_payment_type": header["payment_type"],
            "qbo_amount_total": float(line["total"]),
            "qbo_remote_change": False,
            "qbo_remote_difference": False,
            "vendor_id": vendor.id,
            "analytic_distribution": False,
        }
        if currency != company.currency_id:
            values["total_amount"] = float(cents(line["total"] * header["exchange_rate"]))
        if line["customer_qbo_id"]:
            account = context["projects"].get(line["customer_qbo_id"])
            if not account:
                raise PayloadError(_("the QuickBooks customer or project %s has no Odoo analytic account",
                                     line["customer_qbo_id"]))
            values["analytic_distribution"] = {str(account.id): 100}
        return values

    # === FLAGS === #

    @api.model
    def _qbo_flag_changed(self, run, expenses, header, values=None):
        """Flag expenses QuickBooks changed after their submission (or export): the change is not applied.

        :return: whether any was flagged
        """
        expenses = expenses.filtered(lambda expense: not expense.qbo_remote_change)
        for expense in expenses:
            new = (values or {}).get(expense.qbo_line_id)
            detail = ""
            if new and float_compare(new["total_amount_currency"], expense.total_amount_currency,
                                     precision_rounding=expense.currency_id.rounding):
                detail = _(" QuickBooks now says %(amount)s instead of %(old)s.", amount=new["total_amount_currency"],
                           old=expense.total_amount_currency)
            self._qbo_flag(run, expense, _("QuickBooks changed it after it was submitted or exported "
                                           "(SyncToken %(token)s); the change was not applied.%(detail)s",
                                           token=header["sync_token"], detail=detail))
        return bool(expenses)

    @api.model
    def _qbo_flag(self, run, expenses, reason, deleted=False):
        """Flag ``expenses`` as changed (or deleted) in QuickBooks: field, chatter note, log and a review activity."""
        if not expenses:
            return
        expenses._qbo_write({"qbo_remote_change": "deleted" if deleted else "changed",
                             "qbo_remote_difference": reason})
        if deleted:
            run.report.flagged_deleted += len(expenses)
        else:
            run.report.flagged_changed += len(expenses)
        for expense in expenses:
            run.notes[expense] = Markup("<strong>%s</strong> %s") % (
                _("Deleted in QuickBooks.") if deleted else _("Changed in QuickBooks."), reason)
            run.logs.append(dict(self._qbo_pull_log_values(run, expense, "delete" if deleted else "update", "error",
                                                           reason), qbo_entity=expense.qbo_entity))
            self._qbo_schedule_review(expense, reason)

    @api.model
    def _qbo_schedule_review(self, expense, reason):
        """Ask the expense's approver (or its employee's manager) to review a change made in QuickBooks."""
        user = expense.sheet_id.user_id or expense.employee_id.sudo().parent_id.user_id
        if user:
            expense.activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                                      summary=_("Review a change made in QuickBooks"), note=reason)
