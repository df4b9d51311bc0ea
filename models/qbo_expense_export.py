import hashlib
import json
import time

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError
from ..qbo_master_data import SyncSummary
from ..qbo_payload.account_move import PayloadError, amounts_differ, qbo_amounts, update_payload
from ..qbo_payload.hr_expense import PAYMENT_TYPE_BY_ACCOUNT_TYPE, build_expense_payload
from .qbo_expense_sync import CATEGORY_ENTITY, PROJECT_ENTITY, ExpenseRun

STALE_OBJECT = "5010"
NOT_FOUND = "610"
PAYMENT_LINK_TYPES = ("BillPaymentCheck", "BillPaymentCreditCard", "BillPayment")


class ExpenseExportReport:
    """What an export of expenses did, counted for the message the user gets."""

    def __init__(self, env):
        self.env = env
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.locked = 0
        self.errors = []  # (expense name, message)

    def message(self, skipped=0):
        parts = [self.env._("%s exported", self.created + self.updated)]
        if self.updated:
            parts.append(self.env._("%s of them updated", self.updated))
        if self.unchanged:
            parts.append(self.env._("%s already up to date", self.unchanged))
        if skipped:
            parts.append(self.env._("%s skipped: they came from QuickBooks", skipped))
        if self.locked:
            parts.append(self.env._("%s skipped: being exported by another process", self.locked))
        if self.errors:
            details = "; ".join(f"{name}: {message}" for name, message in self.errors[:5])
            parts.append(self.env._("%(count)s failed (%(details)s)", count=len(self.errors), details=details))
        return ", ".join(parts)

    def notification_type(self):
        if self.errors:
            return "danger" if not (self.created or self.updated) else "warning"
        return "warning" if self.locked else "success"


class QboExpenseExport(models.AbstractModel):
    """Exports approved Odoo expenses to QuickBooks Online, and removes their copies when refused.

    Company-paid expenses become Purchases paid from the company's payment account, employee-paid
    ones Bills to the employee as a vendor, each with its project on the line; everything they refer
    to is resolved for the whole selection, each one goes with a replay-safe requestid, and
    QuickBooks' total is checked to the cent.
    """

    _name = "qbo.expense.export"
    _inherit = "qbo.expense.sync"
    _description = "QuickBooks Export of Expenses"

    @api.model
    def _qbo_export_expenses(self, expenses):
        """Export ``expenses`` (approved, entered in Odoo, any companies); return the report."""
        report = ExpenseExportReport(self.env)
        for company, company_expenses in expenses.grouped("company_id").items():
            self._qbo_export_company(company, company_expenses, report)
        return report

    @api.model
    def _qbo_export_company(self, company, expenses, report):
        """Export one company's expenses; each outcome is written on its expense and logged."""
        expenses = self._qbo_lock(expenses, report)
        up_to_date = expenses.filtered(lambda expense: expense.qbo_state == "exported" and expense.qbo_id
                                       and not expense.qbo_remote_changed and not expense.qbo_remote_deleted)
        report.unchanged += len(up_to_date)
        expenses -= up_to_date
        if not expenses:
            return
        run = ExpenseRun(company)
        try:
            run.client = company._qbo_get_client()
            run.settings = company._qbo_export_settings(run.client)
            resolved = self._qbo_resolve(run, expenses)
        except (UserError, QboApiError) as error:
            for expense in expenses:
                self._qbo_export_failure(run, report, expense, "update" if expense.qbo_id else "create", error)
            self._qbo_flush(run)
            return
        for expense in expenses:
            try:
                entity, payload, expected = self._qbo_build_one(run, expense, resolved)
            except PayloadError as error:
                self._qbo_export_failure(run, report, expense, "update" if expense.qbo_id else "create", error)
                continue
            self._qbo_send(run, report, expense, entity, payload, expected)
        self._qbo_flush(run)

    @api.model
    def _qbo_lock(self, expenses, report):
        """Lock the expenses' rows, skipping those another transaction is exporting or editing."""
        self.env.cr.execute("SELECT id FROM hr_expense WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED",
                            [tuple(expenses.ids)])
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        skipped = expenses.filtered(lambda expense: expense.id not in locked_ids)
        report.locked += len(skipped)
        return expenses - skipped

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
        resolved["tax_maps"] = self.env["qbo.tax.map"]._qbo_maps_for(
            company, expenses.tax_ids | expenses.tax_ids.flatten_taxes_hierarchy())
        return resolved

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
    def _qbo_build_one(self, run, expense, resolved):
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
        tax_maps = resolved["tax_maps"]
        settings = dict(run.settings, tax_codes={
            tax_id: {"code": tax_map.qbo_tax_code_id, "line_code": tax_map.qbo_line_code}
            for tax_id, tax_map in tax_maps.items()})
        return build_expense_payload(values, settings)

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
                "the project %s is not linked to a QuickBooks project or customer (QuickBooks > Mapping > "
                "Projects)", ", ".join(unlinked.mapped("display_name"))))
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

    # === SENDING === #

    @api.model
    def _qbo_send(self, run, report, expense, entity, payload, expected):
        """Create, or update at the stored SyncToken, one expense's QuickBooks transaction."""
        if expense.qbo_id and expense.qbo_entity != entity:
            # Paid by someone else since its export: the old transaction goes, a new one comes.
            try:
                self._qbo_remove_one(run, expense)
            except UserError as error:
                self._qbo_export_failure(run, report, expense, "delete", error)
                return
        operation = "update" if expense.qbo_id else "create"
        if operation == "update":
            payload = update_payload(payload, expense.qbo_id, expense.qbo_sync_token or "0")
            requestid = self._qbo_update_requestid(expense, payload)
        else:
            requestid = self._qbo_create_requestid(expense)
        start = time.monotonic()
        try:
            if operation == "create":
                doc = run.client.create(entity, payload, requestid=requestid)
            else:
                doc = self._qbo_update(run, expense, entity, payload, requestid)
        except QboApiError as error:
            self._qbo_export_failure(run, report, expense, operation, error, requestid, time.monotonic() - start,
                                     entity)
            return
        self._qbo_export_success(run, report, expense, operation, entity, doc, expected, requestid,
                                 time.monotonic() - start)

    @api.model
    def _qbo_update(self, run, expense, entity, payload, requestid):
        """Send a full update; a stale SyncToken (someone changed it in QuickBooks) is re-read and sent once more."""
        try:
            return run.client.update(entity, payload, requestid=requestid)
        except QboApiError as error:
            if error.code != STALE_OBJECT:
                raise
        current = run.client.read(entity, expense.qbo_id)
        body = update_payload({key: value for key, value in payload.items()
                               if key not in ("Id", "SyncToken", "sparse")}, current["Id"], current["SyncToken"])
        return run.client.update(entity, body, requestid=self._qbo_update_requestid(expense, body))

    @api.model
    def _qbo_export_success(self, run, report, expense, operation, entity, doc, expected, requestid, duration):
        """Record QuickBooks' answer; a total or tax differing from Odoo's by a cent is an error."""
        qbo_total, _qbo_tax = qbo_amounts(doc)
        lines = [line for line in doc.get("Line") or () if line.get("DetailType") == "AccountBasedExpenseLineDetail"]
        values = {
            "qbo_entity": entity,
            "qbo_id": str(doc["Id"]),
            "qbo_line_id": str(lines[0].get("Id")) if lines else False,
            "qbo_sync_token": str(doc.get("SyncToken", "")),
            "qbo_doc_number": doc.get("DocNumber") or False,
            "qbo_exported_at": fields.Datetime.now(),
            "qbo_amount_total": float(qbo_total),
            "qbo_remote_changed": False,
            "qbo_remote_deleted": False,
        }
        if entity == "Purchase":
            values["qbo_payment_type"] = doc.get("PaymentType")
        difference = amounts_differ(doc, expected)
        message = False
        if difference:
            message = _("Amounts differ: QuickBooks total %(qbo_total)s (tax %(qbo_tax)s), Odoo total "
                        "%(odoo_total)s (tax %(odoo_tax)s).", **{key: str(value) for key, value in difference.items()})
            values.update(qbo_state="error", qbo_error=message)
            report.errors.append((expense.name, message))
        else:
            values.update(qbo_state="exported", qbo_error=False)
            if operation == "create":
                report.created += 1
            else:
                report.updated += 1
        expense._qbo_write(values)
        run.logs.append(self._qbo_log_values(run, expense, "export", operation, entity,
                                             "error" if difference else "success", message, requestid, duration,
                                             doc["Id"]))
        label = _("Exported to QuickBooks") if operation == "create" else _("Updated in QuickBooks")
        body = Markup("%s: %s %s") % (label, entity, doc.get("DocNumber") or doc["Id"])
        run.notes[expense.id] = body + Markup("<br/>") + message if message else body

    @api.model
    def _qbo_export_failure(self, run, report, expense, operation, error, requestid=None, duration=0.0,
                            entity=None):
        """Record a failed export; a refused creation starts a new export generation (a new requestid)."""
        entity = entity or expense.qbo_entity or ("Purchase" if expense.payment_mode == "company_account" else "Bill")
        retryable = isinstance(error, QboApiError) and error.retryable
        message = str(error)
        values = {"qbo_state": "error", "qbo_error": message}
        if operation == "create" and not retryable:
            # The creation was refused: the corrected expense is a new request, not a replay.
            values["qbo_export_generation"] = expense.qbo_export_generation + 1
        if retryable:
            message = _("%s (temporary: export again to retry)", message)
        expense._qbo_write(values)
        report.errors.append((expense.name, message))
        run.logs.append(self._qbo_log_values(run, expense, "export", operation, entity, "error", message,
                                             requestid, duration, expense.qbo_id))
        run.notes[expense.id] = Markup("%s %s") % (_("QuickBooks export failed:"), message)

    # === REMOVAL === #

    @api.model
    def _qbo_remove_expenses(self, expenses):
        """Delete the QuickBooks copies of ``expenses`` (QuickBooks cannot void purchases and bills).

        :raise UserError: if QuickBooks refuses, e.g. because the bill was paid there
        """
        for company, company_expenses in expenses.grouped("company_id").items():
            run = ExpenseRun(company)
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
                                  name=expense.name, error=error)) from None
        expense._qbo_write({
            "qbo_state": "removed", "qbo_id": False, "qbo_line_id": False, "qbo_sync_token": False,
            "qbo_error": False, "qbo_remote_changed": False, "qbo_remote_deleted": False,
            "qbo_export_generation": expense.qbo_export_generation + 1,
        })
        run.logs.append(self._qbo_log_values(run, expense, "export", "delete", entity, "success", False, requestid,
                                             time.monotonic() - start, qbo_id))
        run.notes[expense.id] = _("Removed from QuickBooks (%(entity)s %(id)s).", entity=entity, id=qbo_id)

    # === REQUEST IDS === #

    @api.model
    def _qbo_create_requestid(self, expense):
        """The requestid of an expense's creation: stable for one export generation."""
        return f"{self._qbo_requestid_prefix(expense.company_id)}-x{expense.id}-g{expense.qbo_export_generation}"

    @api.model
    def _qbo_update_requestid(self, expense, payload):
        """The requestid of an update: the SyncToken it applies to and a digest of what it sends."""
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return f"{self._qbo_requestid_prefix(expense.company_id)}-x{expense.id}-u{payload.get('SyncToken')}-{digest}"
