import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import CATEGORY_ENTITY, NOT_FOUND, PROJECT_ENTITY
from ..qbo_client import QboApiError
from ..qbo_master_data import SyncSummary
from ..qbo_payload.account_move import PayloadError, qbo_amounts
from ..qbo_payload.hr_expense import PAYMENT_TYPE_BY_ACCOUNT_TYPE, build_expense_payload
from .qbo_export_engine import ExportReport, ExportRun

PAYMENT_LINK_TYPES = ("BillPaymentCheck", "BillPaymentCreditCard", "BillPayment")


class ExpenseExportReport(ExportReport):
    """What an export of expenses did, counted for the message the user gets."""

    def message(self, skipped=0):
        parts = [self.env._("%s exported", self.exported)]
        if self.updated:
            parts.append(self.env._("%s of them updated", self.updated))
        if self.unchanged:
            parts.append(self.env._("%s already up to date", self.unchanged))
        if skipped:
            parts.append(self.env._("%s skipped: they came from QuickBooks", skipped))
        return ", ".join(parts + self.common_parts())


class QboExpenseExport(models.AbstractModel):
    """Approved Odoo expenses to QuickBooks Online: an adapter of the export engine.

    Company-paid expenses become Purchases paid from the company's payment account, employee-paid
    ones Bills to the employee as a vendor, each with its project on the line; everything they refer
    to is resolved for the whole selection. Refused or deleted, their copies are removed from
    QuickBooks (it cannot void purchases and bills).
    """

    _name = "qbo.expense.export"
    _inherit = "qbo.export.engine"
    _description = "QuickBooks Export of Expenses"

    _qbo_model = "hr.expense"
    _qbo_requestid_tag = "x"
    _qbo_retry_cron = "quickbooks_connector.ir_cron_qbo_export"

    @api.model
    def _qbo_export_expenses(self, expenses):
        """Export ``expenses`` (approved, entered in Odoo, any companies); return the report."""
        return self._qbo_export(expenses)

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return ExpenseExportReport(self.env)

    @api.model
    def _qbo_exportable_domain(self):
        return [("state", "in", ("approved", "done")), ("qbo_expense_type", "=", "odoo")]

    @api.model
    def _qbo_prepare(self, run, expenses):
        up_to_date = expenses.filtered(lambda expense: expense.qbo_state == "exported" and expense.qbo_id
                                       and not expense.qbo_remote_change)
        run.report.unchanged += len(up_to_date)
        expenses -= up_to_date
        # Paid by someone else since its export: the old transaction goes, a new one comes.
        moved = expenses.filtered(lambda expense: expense.qbo_id and expense.qbo_entity != self._qbo_entity(expense))
        for expense in moved:
            try:
                self._qbo_remove_one(run, expense)
            except UserError as error:
                self._qbo_apply_failure(run, expense, "delete", error)
                expenses -= expense
        return expenses

    @api.model
    def _qbo_entity(self, expense):
        return "Purchase" if expense.payment_mode == "company_account" else "Bill"

    @api.model
    def _qbo_success_values(self, run, expense, entity, doc):
        qbo_total, _qbo_tax = qbo_amounts(doc)
        lines = [line for line in doc.get("Line") or () if line.get("DetailType") == "AccountBasedExpenseLineDetail"]
        values = {
            "qbo_entity": entity,
            "qbo_line_id": str(lines[0].get("Id")) if lines else False,
            "qbo_doc_number": doc.get("DocNumber") or False,
            "qbo_exported_at": fields.Datetime.now(),
            "qbo_amount_total": float(qbo_total),
            "qbo_remote_change": False,
            "qbo_remote_difference": False,
        }
        if entity == "Purchase":
            values["qbo_payment_type"] = doc.get("PaymentType")
        return values

    # === WHAT THE EXPENSES REFER TO === #

    @api.model
    def _qbo_resolve(self, run, expenses):
        """Resolve the QuickBooks ids of everything ``expenses`` refer to, for the whole selection.

        :return: ``{"account"|"vendor"|"project"|"employee": {record_id: qbo_id}, "category":
            {product_id: qbo_id}, "tax_maps": {tax_id: qbo.tax.map}, "errors": {(kind, id): message}}``
        """
        company = run.company
        mapping = self.env["qbo.mapping"]
        resolved = {"errors": {}}
        resolved["category"] = mapping._qbo_ids_for(expenses.product_id, CATEGORY_ENTITY, company)
        accounts = expenses.filtered(lambda expense: expense.product_id.id not in resolved["category"]) \
            .mapped(lambda expense: expense._get_base_account())
        company_paid = expenses.filtered(lambda expense: expense.payment_mode == "company_account")
        if company_paid:
            accounts |= company.qbo_expense_payment_account_id
        if run.settings["us"]:
            accounts |= self._qbo_tax_accounts(expenses.tax_ids)
        resolved["account"] = self._qbo_resolve_kind(run, "account", accounts, resolved["errors"])
        employee_paid = expenses - company_paid
        resolved["vendor"] = self._qbo_resolve_kind(
            run, "vendor", employee_paid.employee_id.sudo().work_contact_id | company_paid.vendor_id,
            resolved["errors"])
        resolved["employee"] = mapping._qbo_ids_for(company_paid.employee_id.sudo(), "Employee", company)
        analytic_ids = {int(key) for expense in expenses for keys in (expense.analytic_distribution or {})
                        for key in keys.split(",")}
        resolved["project"] = mapping._qbo_ids_for(
            self.env["account.analytic.account"].browse(analytic_ids), PROJECT_ENTITY, company)
        resolved["project"].update(self._qbo_new_projects(run, expenses, resolved))
        resolved["tax_maps"] = self.env["qbo.tax.map"]._qbo_maps_for(
            company, expenses.tax_ids | expenses.tax_ids.flatten_taxes_hierarchy())
        return resolved

    @api.model
    def _qbo_new_projects(self, run, expenses, resolved):
        """Create in QuickBooks, under their customers, the projects of the expenses not linked yet (those without
        a customer stay unlinked: the expense says so)."""
        projects = self.env["account.analytic.account"]._qbo_projects_of(expenses.mapped("analytic_distribution"))
        owners = {account: account._qbo_project_customer() for account in projects
                  if account.id not in resolved["project"]}
        owners = {account: partner for account, partner in owners.items() if partner}
        if not owners:
            return {}
        customers = self._qbo_resolve_kind(run, "customer", self.env["res.partner"].union(*owners.values()),
                                           resolved["errors"])
        return self.env["qbo.master.data.sync"]._qbo_export_projects(run.company, owners, customers, SyncSummary(),
                                                                     run.client)

    @api.model
    def _qbo_resolve_kind(self, run, kind, records, errors):
        """Return ``{record_id: qbo_id}`` for ``records``, linking or creating them in QuickBooks."""
        if not records:
            return {}
        summary = SyncSummary()
        result = self.env["qbo.master.data.sync"]._qbo_export(run.company, kind, records, summary, run.client)
        messages = dict(summary.errors)
        for record in records:
            if record.id not in result:
                errors[(kind, record.id)] = messages.get(record.display_name) or _("not in QuickBooks")
        return result

    @api.model
    def _qbo_tax_accounts(self, taxes):
        """Return the accounts the tax amounts of ``taxes`` are booked on."""
        lines = taxes.flatten_taxes_hierarchy().invoice_repartition_line_ids
        return lines.filtered(lambda line: line.repartition_type == "tax").account_id

    # === PAYLOADS === #

    @api.model
    def _qbo_build(self, run, expense, resolved):
        """Return ``(entity, payload, expected)`` for ``expense``.

        :raise PayloadError: when a record it refers to is not in QuickBooks or it cannot be expressed
        """
        company = run.company
        errors = resolved["errors"]
        entity = "Purchase" if expense.payment_mode == "company_account" else "Bill"
        values = {
            "entity": entity,
            "date": fields.Date.to_string(expense.date or fields.Date.context_today(expense)),
            "currency": expense.currency_id.name,
            "exchange_rate": expense.currency_rate,
            "description": expense.name,
            "reference": expense.sheet_id.name,
            "note": expense.description,
            "amount_untaxed": expense.untaxed_amount_currency,
            "amount_tax": expense.tax_amount_currency,
            "amount_total": expense.total_amount_currency,
            "account_qbo_id": self._qbo_category_account(expense, resolved),
            "customer_qbo_id": self._qbo_project(expense, resolved),
        }
        taxes = self.env["qbo.move.export"]._qbo_mapping_taxes(expense.tax_ids, resolved["tax_maps"])
        flat = expense.tax_ids.flatten_taxes_hierarchy()
        values.update(
            tax_ids=taxes.ids,
            tax_names={tax.id: tax.name for tax in taxes},
            tax_percent=sum(flat.filtered(lambda tax: tax.amount_type == "percent").mapped("amount")),
            tax_lines=self._qbo_tax_lines(expense, resolved, values["account_qbo_id"]) if run.settings["us"] else [],
        )
        if entity == "Bill":
            partner = expense.employee_id.sudo().work_contact_id
            if not partner:
                raise PayloadError(_("the employee %s has no work contact to send to QuickBooks as a vendor",
                                     expense.employee_id.name))
            values["vendor_qbo_id"] = self._qbo_required(resolved, errors, "vendor", partner, _("Vendor"))
        else:
            account = company.qbo_expense_payment_account_id
            if account:
                values["payment_account_qbo_id"] = self._qbo_required(resolved, errors, "account", account,
                                                                      _("Account"))
                values["payment_type"] = PAYMENT_TYPE_BY_ACCOUNT_TYPE.get(account.account_type)
            values["payee"] = self._qbo_payee(expense, resolved)
        return build_expense_payload(values, self._qbo_payload_settings(run, resolved["tax_maps"]))

    @api.model
    def _qbo_required(self, resolved, errors, kind, record, label):
        """Return the QuickBooks id of ``record`` or raise why it has none."""
        qbo_id = resolved[kind].get(record.id)
        if not qbo_id:
            raise PayloadError(_("%(label)s %(name)s: %(error)s", label=label, name=record.display_name,
                                 error=errors.get((kind, record.id), _("not in QuickBooks"))))
        return qbo_id

    @api.model
    def _qbo_category_account(self, expense, resolved):
        """The QuickBooks account of the expense's category: its own link, else its expense account's."""
        if expense.product_id.id in resolved["category"]:
            return resolved["category"][expense.product_id.id]
        return self._qbo_required(resolved, resolved["errors"], "account", expense._get_base_account(),
                                  _("Account"))

    @api.model
    def _qbo_project(self, expense, resolved):
        """The QuickBooks project or customer of the expense, from its analytic distribution.

        :raise PayloadError: if the distribution names several linked projects (QuickBooks puts one
            project on an expense line) or an unlinked account of the projects plan
        """
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        accounts = self.env["account.analytic.account"].browse(
            {int(key) for keys in (expense.analytic_distribution or {}) for key in keys.split(",")}).exists()
        linked = accounts.filtered(lambda account: account.id in resolved["project"])
        unlinked = (accounts - linked).filtered(lambda account: account.root_plan_id == project_plan)
        if unlinked:
            raise PayloadError(_(
                "the project %s is not linked to a QuickBooks project or customer: give it a customer (it is then "
                "created in QuickBooks) or link it (Configuration > QuickBooks > Mapping (Projects))",
                ", ".join(unlinked.mapped("display_name"))))
        if len(linked) > 1:
            raise PayloadError(_("the expense is split over several projects (%s); QuickBooks puts one project on "
                                 "an expense: split the expense", ", ".join(linked.mapped("display_name"))))
        return resolved["project"].get(linked.id) if linked else None

    @api.model
    def _qbo_payee(self, expense, resolved):
        """The payee of a company-paid expense: its vendor, else its employee when linked."""
        if expense.vendor_id:
            return {"value": self._qbo_required(resolved, resolved["errors"], "vendor", expense.vendor_id,
                                                _("Vendor")), "type": "Vendor"}
        employee_id = resolved["employee"].get(expense.employee_id.id)
        return {"value": employee_id, "type": "Employee"} if employee_id else None

    @api.model
    def _qbo_tax_lines(self, expense, resolved, category_account_id):
        """US companies have no purchase tax: the expense's tax goes on its own expense line."""
        amount = expense.tax_amount_currency
        if expense.currency_id.is_zero(amount):
            return []
        account = self._qbo_tax_accounts(expense.tax_ids)[:1]
        account_id = self._qbo_required(resolved, resolved["errors"], "account", account, _("Account")) \
            if account else category_account_id
        return [{"amount": amount, "description": ", ".join(expense.tax_ids.mapped("name")),
                 "account_qbo_id": account_id}]

    # === REMOVAL === #

    @api.model
    def _qbo_remove_expenses(self, expenses):
        """Delete the QuickBooks copies of ``expenses`` (QuickBooks cannot void purchases and bills).

        :raise UserError: if QuickBooks refuses, e.g. because the bill was paid there
        """
        for company, company_expenses in expenses.grouped("company_id").items():
            run = ExportRun(company, self._qbo_new_report())
            run.client = company._qbo_get_client()
            for expense in company_expenses:
                self._qbo_remove_one(run, expense)
            self._qbo_flush(run)

    @api.model
    def _qbo_remove_one(self, run, expense):
        """Delete one expense's QuickBooks transaction (already deleted there is fine).

        :raise UserError: if it was paid in QuickBooks or QuickBooks refuses
        """
        entity, qbo_id = expense.qbo_entity, expense.qbo_id
        requestid = f"{self._qbo_requestid_prefix(run.company)}-x{expense.id}-d{expense.qbo_export_generation}"
        start = time.monotonic()
        try:
            current = run.client.read(entity, qbo_id)
            if any(link.get("TxnType") in PAYMENT_LINK_TYPES for link in current.get("LinkedTxn") or []):
                raise UserError(_(
                    "QuickBooks: %(name)s was paid in QuickBooks (%(entity)s %(id)s); remove the payment there first.",
                    name=expense.name, entity=entity, id=qbo_id))
            run.client.delete(entity, {"Id": current["Id"], "SyncToken": current["SyncToken"]}, requestid=requestid)
        except QboApiError as error:
            if error.code != NOT_FOUND:
                raise UserError(_("QuickBooks: %(name)s could not be removed from QuickBooks: %(error)s",
                                  name=expense.name, error=self._qbo_error_message(run, expense, error,
                                                                                   entity=entity))) from None
        expense._qbo_write({
            "qbo_state": "removed", "qbo_id": False, "qbo_line_id": False, "qbo_sync_token": False,
            "qbo_error": False, "qbo_remote_change": False, "qbo_remote_difference": False,
            "qbo_export_generation": expense.qbo_export_generation + 1,
        })
        run.logs.append(self._qbo_log_values(run, expense, "delete", entity, "success", False, requestid,
                                             time.monotonic() - start, qbo_id))
        run.notes[expense.id] = _("Removed from QuickBooks (%(entity)s %(id)s).", entity=entity, id=qbo_id)
