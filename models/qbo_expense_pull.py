import logging
from datetime import datetime, timedelta

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

from ..qbo_client import QboApiError
from ..qbo_master_data import SyncSummary, query_literal
from ..qbo_payload.account_move import PayloadError
from ..qbo_payload.money import cents
from ..qbo_payload.hr_expense import purchase_header, purchase_lines
from .hr_expense import EDITABLE_STATES
from .qbo_expense_sync import CATEGORY_ENTITY, PROJECT_ENTITY, ExpenseRun

_logger = logging.getLogger(__name__)

# A pull reads again what changed this long before its cursor (QuickBooks stamps to the second,
# and a change may be committed after a later one was read).
PULL_OVERLAP = timedelta(minutes=5)
# Key of the transaction-level advisory lock that keeps two pulls of one company apart.
PULL_LOCK_KEY = 7_418_301


class ExpensePullReport:
    """What a pull of QuickBooks expenses did."""

    def __init__(self, env):
        self.env = env
        self.imported = 0
        self.updated = 0
        self.flagged_changed = 0
        self.flagged_deleted = 0
        self.skipped = 0
        self.errors = []  # (QuickBooks transaction label, message)

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
        if self.errors:
            details = "; ".join(f"{label}: {message}" for label, message in self.errors[:5])
            parts.append(self.env._("%(count)s failed (%(details)s)", count=len(self.errors), details=details))
        return ", ".join(parts)

    def notification_type(self):
        if self.errors:
            return "warning"
        return "warning" if self.flagged_changed or self.flagged_deleted else "success"


class QboExpensePull(models.AbstractModel):
    """Imports QuickBooks purchases (cash, check, credit card) as Odoo expenses.

    Incremental: a cursor per company on ``MetaData.LastUpdatedTime``, with an overlap. One expense
    per purchase line, never duplicated (one expense per QuickBooks line and company). Changes apply
    until the expense is submitted; after that they are flagged, as are deletions. Purchases exported
    from Odoo are recognised by their Id and never imported again.
    """

    _name = "qbo.expense.pull"
    _inherit = "qbo.expense.sync"
    _description = "QuickBooks Import of Expenses"

    @api.model
    def _qbo_cron_pull(self):
        """Pull the expenses of every connected company; one company's failure does not stop the others."""
        companies = self.env["res.company"].search([("qbo_state", "=", "connected")])
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    report = self._qbo_pull_expenses(company)
                _logger.info("QuickBooks: expenses of company %s pulled: %s", company.id, report.message())
            except (UserError, QboApiError) as error:
                _logger.info("QuickBooks: pulling the expenses of company %s failed: %s", company.id, error)
        self.env["ir.cron"]._notify_progress(done=len(companies), remaining=0)

    @api.model
    def _qbo_pull_expenses(self, company):
        """Import the QuickBooks purchases of ``company`` changed since its cursor; return the report.

        :raise UserError: if the company is not connected or another pull of it is running
        :raise QboApiError: if QuickBooks cannot be read
        """
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [PULL_LOCK_KEY, company.id])
        if not self.env.cr.fetchone()[0]:
            raise UserError(_("QuickBooks: the expenses of %s are being synchronized already; try again later.",
                              company.name))
        report = self._qbo_pull_report()
        run = ExpenseRun(company)
        run.client = company._qbo_get_client()
        docs = run.client.query_all("Purchase", where=self._qbo_pull_where(company))
        changed_ids = {str(doc["Id"]) for doc in docs}
        recheck = self.env["hr.expense"].search([
            ("company_id", "=", company.id), ("qbo_entity", "=", "Purchase"), ("qbo_remote_changed", "=", True),
            ("qbo_expense_type", "=", "quickbooks"), ("state", "in", EDITABLE_STATES),
        ])
        docs += self._qbo_read_ids(run, "Purchase", set(recheck.mapped("qbo_id")) - changed_ids)
        failed = []
        context = self._qbo_pull_context(run, docs, report)
        for doc in docs:
            label = _("Purchase %s", doc.get("DocNumber") or doc["Id"])
            try:
                with self.env.cr.savepoint():
                    self._qbo_pull_one(run, report, doc, context)
            except (PayloadError, UserError, ValidationError, AccessError) as error:
                failed.append(doc)
                report.errors.append((label, str(error)))
                run.logs.append(self._qbo_log_values(run, None, "import", "read", "Purchase", "error", str(error),
                                                     None, 0.0, doc["Id"], label))
        self._qbo_flag_deleted(run, report, changed_ids)
        self._qbo_advance_cursor(company, docs, failed, changed_ids)
        self._qbo_flush(run)
        return report

    @api.model
    def _qbo_pull_report(self):
        """Return an empty report of a pull."""
        return ExpensePullReport(self.env)

    @api.model
    def _qbo_pull_where(self, company):
        """The query condition of a pull: what changed since the cursor, from the start date on."""
        conditions = []
        if company.qbo_expense_cursor:
            since = datetime.fromisoformat(company.qbo_expense_cursor) - PULL_OVERLAP
            conditions.append(f"MetaData.LastUpdatedTime > {query_literal(since.isoformat())}")
        if company.qbo_expense_start_date:
            conditions.append(f"TxnDate >= {query_literal(fields.Date.to_string(company.qbo_expense_start_date))}")
        return " AND ".join(conditions) or None

    @api.model
    def _qbo_advance_cursor(self, company, docs, failed, read_ids):
        """Move the cursor to the latest change read, but never past a purchase that failed: it is read again."""
        stamps = [datetime.fromisoformat(doc["MetaData"]["LastUpdatedTime"]) for doc in docs
                  if str(doc["Id"]) in read_ids and (doc.get("MetaData") or {}).get("LastUpdatedTime")]
        if not stamps:
            return
        cursor = max(stamps)
        failed_stamps = [datetime.fromisoformat(doc["MetaData"]["LastUpdatedTime"]) for doc in failed
                         if (doc.get("MetaData") or {}).get("LastUpdatedTime")]
        if failed_stamps:
            cursor = min(cursor, min(failed_stamps) - timedelta(seconds=1))
        current = company.qbo_expense_cursor and datetime.fromisoformat(company.qbo_expense_cursor)
        if not current or cursor > current:
            company.sudo().qbo_expense_cursor = cursor.isoformat()

    # === WHAT THE PURCHASES REFER TO === #

    @api.model
    def _qbo_pull_context(self, run, docs, report):
        """Resolve, for all ``docs`` at once, the Odoo records their payees, categories, projects and
        taxes are; what cannot be resolved is left out (the purchases using it then fail)."""
        company = run.company
        mapping = self.env["qbo.mapping"]
        payees = {}
        for doc in docs:
            payee = purchase_header(doc)["payee"]
            if payee:
                payees.setdefault(payee["type"], set()).add(payee["value"])
        employees = mapping._records_for(company, "Employee", payees.get("Employee", ()))
        vendors = mapping._records_for(company, "Vendor", payees.get("Vendor", ()))
        details = [(line.get("AccountBasedExpenseLineDetail") or line.get("ItemBasedExpenseLineDetail") or {}, line)
                   for doc in docs for line in doc.get("Line") or ()]
        account_ids = {detail["AccountRef"]["value"] for detail, _line in details if detail.get("AccountRef")}
        item_ids = {detail["ItemRef"]["value"] for detail, _line in details if detail.get("ItemRef")}
        customer_ids = {ref["value"] for detail, line in details for ref in (line.get("ProjectRef"),
                                                                             detail.get("CustomerRef")) if ref}
        customer_ids |= {doc["ProjectRef"]["value"] for doc in docs if doc.get("ProjectRef")}
        items = self._qbo_item_categories(run, item_ids)
        account_ids |= {account_id for account_id in items.values() if isinstance(account_id, str)}
        categories = self._qbo_categories(run, account_ids, report)
        return {
            "employees": employees,
            "vendors": vendors,
            "items": {item_id: categories.get(value) if isinstance(value, str) else value
                      for item_id, value in items.items()},
            "categories": categories,
            "projects": self._qbo_projects(run, customer_ids, report),
            "taxes": self._qbo_purchase_taxes(company),
        }

    @api.model
    def _qbo_item_categories(self, run, item_ids):
        """Return ``{item_id: product}`` for items linked to an expensable product without cost, else
        ``{item_id: expense account id}`` (the item is then filed under that account's category)."""
        company = run.company
        linked = self.env["qbo.mapping"]._records_for(company, "Item", item_ids)
        result = {}
        for item_id, product in linked.items():
            product = product.with_company(company)
            if product.can_be_expensed and company.currency_id.is_zero(product.standard_price):
                result[item_id] = product
        todo = set(item_ids) - set(result)
        if todo:
            for doc in self._qbo_read_ids(run, "Item", todo, inactive=True):
                account_id = (doc.get("ExpenseAccountRef") or {}).get("value")
                if account_id:
                    result[str(doc["Id"])] = str(account_id)
        return result

    @api.model
    def _qbo_categories(self, run, account_ids, report):
        """Return ``{account_id: expense product}``: the linked category of each QuickBooks account,
        else an expense product booking on that account (linked now), else a new one."""
        company = run.company
        mapping = self.env["qbo.mapping"]
        result = mapping._records_for(company, CATEGORY_ENTITY, account_ids)
        todo = set(account_ids) - set(result)
        if not todo:
            return result
        accounts = mapping._records_for(company, "Account", todo)
        missing = todo - set(accounts)
        if missing:
            summary = SyncSummary()
            docs = self._qbo_read_ids(run, "Account", missing, inactive=True)
            accounts.update(self.env["qbo.master.data.sync"]._qbo_import(company, "account", docs, summary))
            report.errors += [(_("Account %s", label), message) for label, message in summary.errors]
        names = {str(doc["Id"]): doc.get("FullyQualifiedName") or doc.get("Name")
                 for doc in self._qbo_read_ids(run, "Account", set(accounts) & todo, inactive=True)}
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
    def _qbo_projects(self, run, customer_ids, report):
        """Return ``{customer_id: analytic account}``: the linked analytic account of each QuickBooks
        project or customer, else the unlinked one of the same name in the projects plan, else a new one."""
        company = run.company
        mapping = self.env["qbo.mapping"]
        result = mapping._records_for(company, PROJECT_ENTITY, customer_ids)
        todo = set(customer_ids) - set(result)
        if not todo:
            return result
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        analytic = self.env["account.analytic.account"]
        for doc in self._qbo_read_ids(run, "Customer", todo, inactive=True):
            name = doc.get("FullyQualifiedName") or doc.get("DisplayName")
            candidates = analytic.search([("name", "=", name), ("plan_id", "=", project_plan.id),
                                          ("company_id", "in", [False, company.id])])
            linked = mapping._qbo_ids_for(candidates, PROJECT_ENTITY, company)
            try:
                with self.env.cr.savepoint():
                    account = candidates.filtered(lambda candidate: candidate.id not in linked)[:1] or analytic.create(
                        {"name": name, "plan_id": project_plan.id, "company_id": company.id})
                    mapping._link(company, account, PROJECT_ENTITY, doc["Id"], doc.get("SyncToken"), name)
            except (UserError, ValidationError) as error:
                report.errors.append((_("Project %s", name), str(error)))
                continue
            result[str(doc["Id"])] = account
        return result

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
    def _qbo_pull_one(self, run, report, doc, context):
        """Create, update or flag the expenses of one QuickBooks purchase.

        :raise PayloadError: when the purchase cannot be imported (the cause is in the message)
        """
        company = run.company
        header = purchase_header(doc)
        if header["credit"]:
            report.skipped += 1
            return
        existing = self.env["hr.expense"].search([
            ("company_id", "=", company.id), ("qbo_entity", "=", "Purchase"), ("qbo_id", "=", header["qbo_id"]),
        ])
        if existing.filtered(lambda expense: expense.qbo_expense_type == "odoo"):
            # Exported from Odoo: never imported again; a change made in QuickBooks is flagged.
            self._qbo_flag_changed(run, report, existing.filtered(
                lambda expense: expense.qbo_sync_token != header["sync_token"]), header)
            return
        pending = existing.filtered(lambda expense: expense.qbo_sync_token != header["sync_token"]
                                    or expense.qbo_remote_changed)
        if existing and not pending:
            return
        lines = purchase_lines(doc, {code: percent for code, (_taxes, percent) in context["taxes"].items()})
        values = {line["line_id"]: self._qbo_expense_values(company, header, line, context) for line in lines}
        by_line = {expense.qbo_line_id: expense for expense in existing}
        to_flag = self.env["hr.expense"]
        for line_id, line_values in values.items():
            expense = by_line.pop(line_id, None)
            if expense is None:
                expense = self.env["hr.expense"].with_company(company).create(line_values)
                report.imported += 1
                run.logs.append(self._qbo_log_values(run, expense, "import", "create", "Purchase", "success", False,
                                                     None, 0.0, header["qbo_id"]))
                run.notes[expense.id] = _("Imported from QuickBooks (Purchase %s).", header["doc_number"]
                                          or header["qbo_id"])
            elif expense.state in EDITABLE_STATES:
                expense.write({key: value for key, value in line_values.items() if key != "employee_id"
                               or not expense.sheet_id})
                report.updated += 1
                run.logs.append(self._qbo_log_values(run, expense, "import", "update", "Purchase", "success", False,
                                                     None, 0.0, header["qbo_id"]))
                run.notes[expense.id] = _("Updated from QuickBooks.")
            elif expense.qbo_sync_token != header["sync_token"]:
                to_flag |= expense
        self._qbo_flag_changed(run, report, to_flag, header, values)
        gone = self.env["hr.expense"].union(*by_line.values()).filtered(lambda expense: not expense.qbo_remote_deleted)
        self._qbo_flag(run, report, gone, _("Its line was removed from the QuickBooks purchase."), deleted=True)

    @api.model
    def _qbo_expense_values(self, company, header, line, context):
        """Return the values of the Odoo expense of one purchase line.

        :raise PayloadError: when the employee, category, currency or tax cannot be found in Odoo
        """
        payee = header["payee"] or {}
        employee = context["employees"].get(payee.get("value")) if payee.get("type") == "Employee" else None
        employee = employee or company.qbo_expense_employee_id
        if not employee:
            raise PayloadError(_("the payee is not a linked QuickBooks employee: choose the employee of QuickBooks "
                                 "expenses in the settings"))
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
            "qbo_remote_changed": False,
            "qbo_remote_deleted": False,
            "vendor_id": context["vendors"][payee["value"]].id if payee.get("value") in context["vendors"]
            and payee.get("type") == "Vendor" else False,
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
    def _qbo_flag_changed(self, run, report, expenses, header, values=None):
        """Flag expenses QuickBooks changed after their submission (or export): the change is not applied."""
        expenses = expenses.filtered(lambda expense: not expense.qbo_remote_changed)
        for expense in expenses:
            new = (values or {}).get(expense.qbo_line_id)
            detail = ""
            if new and float_compare(new["total_amount_currency"], expense.total_amount_currency,
                                     precision_rounding=expense.currency_id.rounding):
                detail = _(" QuickBooks now says %(amount)s instead of %(old)s.", amount=new["total_amount_currency"],
                           old=expense.total_amount_currency)
            self._qbo_flag(run, report, expense, _("QuickBooks changed it after it was submitted or exported "
                                                   "(SyncToken %(token)s); the change was not applied.%(detail)s",
                                                   token=header["sync_token"], detail=detail))

    @api.model
    def _qbo_flag(self, run, report, expenses, reason, deleted=False):
        """Flag ``expenses`` as changed (or deleted) in QuickBooks: field, chatter note, log and a review activity."""
        if not expenses:
            return
        expenses._qbo_write({"qbo_remote_deleted": True} if deleted else {"qbo_remote_changed": True})
        if deleted:
            report.flagged_deleted += len(expenses)
        else:
            report.flagged_changed += len(expenses)
        for expense in expenses:
            run.notes[expense.id] = Markup("<strong>%s</strong> %s") % (
                _("Deleted in QuickBooks.") if deleted else _("Changed in QuickBooks."), reason)
            run.logs.append(self._qbo_log_values(run, expense, "import", "delete" if deleted else "update",
                                                 expense.qbo_entity, "error", reason, None, 0.0, expense.qbo_id))
            self._qbo_schedule_review(expense, reason)

    @api.model
    def _qbo_schedule_review(self, expense, reason):
        """Ask the expense's approver (or its employee's manager) to review a change made in QuickBooks."""
        user = expense.sheet_id.user_id or expense.employee_id.sudo().parent_id.user_id
        if user:
            expense.activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                                      summary=_("Review a change made in QuickBooks"), note=reason)

    @api.model
    def _qbo_flag_deleted(self, run, report, read_ids):
        """Flag the expenses whose QuickBooks transaction no longer exists.

        Deleted transactions cannot be queried: the ids of the linked expenses are looked up and
        those QuickBooks no longer returns are the deleted ones.
        """
        expenses = self.env["hr.expense"].search([
            ("company_id", "=", run.company.id), ("qbo_id", "!=", False), ("qbo_remote_deleted", "=", False),
        ])
        for entity, entity_expenses in expenses.grouped("qbo_entity").items():
            qbo_ids = set(entity_expenses.mapped("qbo_id"))
            present = read_ids if entity == "Purchase" else set()
            found = {str(doc["Id"]) for doc in self._qbo_read_ids(run, entity, qbo_ids - present)}
            for expense in entity_expenses.filtered(lambda expense: expense.qbo_id not in found | present):
                self._qbo_flag(run, report, expense, _("%(entity)s %(id)s no longer exists in QuickBooks.",
                                                       entity=entity, id=expense.qbo_id), deleted=True)
