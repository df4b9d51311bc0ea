import logging
import time

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext, is_html_empty

from ..const import NOT_FOUND, PROJECT_ENTITY
from ..qbo_client import QboApiError
from ..qbo_master_data import SyncSummary
from ..qbo_payload.account_move import (
    ENTITY_BY_MOVE_TYPE,
    SALES_ENTITIES,
    SENDABLE_ENTITIES,
    VOIDABLE_ENTITIES,
    PayloadError,
    build_move_payload,
    preview_json,
    qbo_amounts,
    update_payload,
)
from .qbo_export_engine import CRON_BATCH_SIZE, ExportReport, ExportRun

_logger = logging.getLogger(__name__)

PAYMENT_LINK_TYPES = ("Payment", "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard", "BillPayment")
PREVIEW_PLACEHOLDER = "<new {entity}: {name}>"  # what the preview shows for records not in QuickBooks yet


class QboMoveExport(models.AbstractModel):
    """Posted invoices, credit notes, bills and vendor refunds to QuickBooks Online: an adapter of
    the export engine.

    Master data (customers, vendors, items, terms, accounts) is resolved for the whole selection at
    once (created in QuickBooks when missing), each document becomes its QuickBooks payload
    (``qbo_payload.account_move``), and the engine sends, checks and records them. Cancelled
    documents are voided (or deleted) in QuickBooks; exported invoices can be emailed by QuickBooks.
    """

    _name = "qbo.move.export"
    _inherit = "qbo.export.engine"
    _description = "QuickBooks Export of Invoices and Bills"

    _qbo_model = "account.move"
    _qbo_retry_cron = "quickbooks_connector.ir_cron_qbo_export"

    # === ENTRY POINTS === #

    @api.model
    def _qbo_export_moves(self, moves):
        """Export ``moves`` (posted documents, any companies) and return the ``ExportReport``."""
        return self._qbo_export(moves)

    @api.model
    def _qbo_cron_export(self, limit=CRON_BATCH_SIZE, company=None, deadline=None):
        # EXTENDS quickbooks_connector: who queued documents is told when theirs are all done.
        moves, remaining = super()._qbo_cron_export(limit, company=company, deadline=deadline)
        self._qbo_notify_requesters(moves.qbo_export_requested_by)
        return moves, remaining

    @api.model
    def _qbo_void_moves(self, moves):
        """Void (or delete, for what QuickBooks cannot void) the QuickBooks copies of ``moves``.

        :return: ``{move: values}`` to write once the documents are cancelled in Odoo
        :raise UserError: if QuickBooks refuses, e.g. because payments are applied there
        """
        done = {}
        for company, company_moves in moves.grouped("company_id").items():
            run = ExportRun(company, ExportReport(self.env))
            run.client = company._qbo_get_client()
            for move in company_moves:
                done[move] = self._qbo_void_one(run, move)
            self._qbo_flush(run)
        return done

    @api.model
    def _qbo_send_moves(self, moves):
        """Have QuickBooks email the exported ``moves`` to their customers; return the ``ExportReport``."""
        report = ExportReport(self.env)
        for company, company_moves in moves.grouped("company_id").items():
            run = ExportRun(company, report)
            try:
                run.client = company._qbo_get_client()
            except UserError as error:
                report.errors += [(move.name, str(error)) for move in company_moves]
                continue
            self._qbo_email(run, company_moves)
            self._qbo_flush(run)
        return report

    @api.model
    def _qbo_preview_values(self, move):
        """Return the preview wizard's values: the exact JSON an export of ``move`` would send now.

        Nothing is created in QuickBooks: customers or items not linked yet are shown as placeholders.
        """
        entity = ENTITY_BY_MOVE_TYPE.get(move.move_type)
        values = {"move_id": move.id, "qbo_entity": entity or "", "operation": "update" if move.qbo_id else "create"}
        if not entity:
            return dict(values, warning=_("Only invoices, credit notes, bills and vendor refunds are exported."))
        run = ExportRun(move.company_id, ExportReport(self.env))
        try:
            run.client = move.company_id._qbo_get_client()
            run.settings = run.company._qbo_export_settings(run.client)
            resolved = self._qbo_resolve(run, move, dry_run=True)
            _entity, payload, expected = self._qbo_build(run, move, resolved)
        except (UserError, QboApiError, PayloadError) as error:
            return dict(values, warning=self._qbo_error_message(run, move, error, entity=entity))
        if move.qbo_id and not (move.qbo_state == "voided" and entity not in VOIDABLE_ENTITIES):
            payload = update_payload(payload, move.qbo_id, move.qbo_sync_token or "0")
        else:
            values["operation"] = "create"
        warning = []
        if move.state != "posted":
            warning.append(_("This document is not posted: it would be skipped."))
        if any(str(ref).startswith("<new ") for ref in self._qbo_refs(payload)):
            warning.append(_("What is marked (new) is not in QuickBooks yet: it is created at export."))
        return dict(values, **self.env["qbo.preview.wizard"]._qbo_table_values(run.company, payload, expected),
                    payload_json=preview_json(entity, payload), warning="\n".join(warning) or False)

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_exportable_domain(self):
        return [("state", "=", "posted")]

    @api.model
    def _qbo_prepare(self, run, moves):
        # A change made in QuickBooks is overwritten by Odoo's version when the user exports it again.
        up_to_date = moves.filtered(lambda move: move.qbo_state == "exported" and move.qbo_id
                                    and move.qbo_remote_change != "changed")
        run.report.unchanged += len(up_to_date)
        return moves - up_to_date

    @api.model
    def _qbo_operation(self, move):
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        return "update" if move.qbo_id and not (move.qbo_state == "voided" and entity not in VOIDABLE_ENTITIES) \
            else "create"

    @api.model
    def _qbo_entity(self, move):
        return ENTITY_BY_MOVE_TYPE.get(move.move_type, "")

    @api.model
    def _qbo_success_values(self, run, move, entity, doc):
        qbo_total, qbo_tax = qbo_amounts(doc)
        return {"qbo_doc_number": doc.get("DocNumber") or False, "qbo_exported_at": fields.Datetime.now(),
                "qbo_amount_total": float(qbo_total), "qbo_amount_tax": float(qbo_tax),
                "qbo_remote_change": False, "qbo_remote_difference": False}

    @api.model
    def _qbo_export_after(self, run, moves):
        # The documents exported are emailed when the company asks for it, and the payments
        # registered on them before their export follow them.
        exported = moves.filtered(lambda move: run.values.get(move.id, {}).get("qbo_state", move.qbo_state)
                                  == "exported")
        self._qbo_flush(run)
        if run.company.qbo_send_on_export:
            self._qbo_email(run, exported.filtered(
                lambda move: ENTITY_BY_MOVE_TYPE[move.move_type] in SENDABLE_ENTITIES and not move.qbo_sent_at))
        self.env["qbo.payment.export"]._qbo_queue_late_payments(exported)

    # === LINKED TRANSACTIONS (bridge addons) === #

    @api.model
    def _qbo_link_records(self, run, move, payload, records, entity):
        """Link the document's QuickBooks copy to those of ``records`` (an invoice's Estimates or time
        activities, which QuickBooks then closes or marks billed), noted for ``_qbo_linked_exported``."""
        payload.setdefault("LinkedTxn", []).extend({"TxnId": record.qbo_id, "TxnType": entity} for record in records)
        run.linked[move.id, records._name] = records

    @api.model
    def _qbo_linked_exported(self, run, moves, model):
        """``{move: records}``: the records of ``model`` linked by the documents of ``moves`` QuickBooks now holds."""
        return {move: run.linked[move.id, model] for move in moves
                if (move.id, model) in run.linked and move.qbo_state == "exported"}

    @api.model
    def _qbo_read_back(self, run, records, entity, values):
        """Write on ``records`` what QuickBooks says of their copies now (``values(doc)``), read in one query."""
        docs = self.env["qbo.event.processor"]._qbo_read_many(run.client, entity, records.mapped("qbo_id"))
        for record in records:
            doc = docs.get(record.qbo_id)
            if doc:
                record._qbo_write({"qbo_sync_token": str(doc.get("SyncToken", "")), **values(doc)})

    # === MASTER DATA === #

    @api.model
    def _qbo_resolve(self, run, moves, dry_run=False):
        """Resolve the QuickBooks ids of everything the documents refer to, for the whole selection.

        :param bool dry_run: only read existing links (preview): nothing is created in QuickBooks
        :return: ``{"customer"|"vendor"|"product"|"term"|"account": {record_id: qbo_id}, "errors":
            {(kind, record_id): message}, "tax_maps": {tax_id: qbo.tax.map}, "tax_values": {}}`` (the
            last filled by ``_qbo_tax_values``)
        """
        company = run.company
        sales = moves.filtered(lambda move: ENTITY_BY_MOVE_TYPE[move.move_type] in SALES_ENTITIES)
        purchases = moves - sales
        lines = moves.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        sale_lines = lines.filtered(lambda line: line.move_id in sales)
        products = lines.product_id
        if sale_lines.filtered(lambda line: not line.product_id):
            products |= company.qbo_default_product_id
        accounts = lines.filtered(lambda line: line.move_id in purchases and not line.product_id).account_id
        if run.settings["us"]:
            accounts |= purchases.line_ids.filtered(lambda line: line.display_type == "tax").account_id
        terms = moves.filtered(lambda move: move.move_type in ("out_invoice", "in_invoice")).invoice_payment_term_id
        wanted = {
            "customer": sales.partner_id.commercial_partner_id,
            "vendor": purchases.partner_id.commercial_partner_id,
            "product": products,
            "account": accounts,
            "term": terms.filtered(lambda term: self._qbo_term_expressible(term)),
        }
        resolved = {"errors": {}}
        foreign = self._qbo_foreign_partners(run, moves)
        for kind, records in wanted.items():
            resolved[kind] = self._qbo_resolve_kind(run, kind, records, resolved["errors"], dry_run,
                                                    foreign if kind in ("customer", "vendor") else {})
        taxes = lines.tax_ids | lines.tax_ids.flatten_taxes_hierarchy()
        resolved["tax_maps"] = self.env["qbo.tax.map"]._qbo_maps_for(company, taxes)
        resolved["tax_values"] = {}
        resolved["project"] = self._qbo_resolve_projects(run, sales, resolved, dry_run)
        return resolved

    @api.model
    def _qbo_move_project(self, move):
        """The project (an account of the projects plan) all the document's product lines are on, if one."""
        projects = self.env["account.analytic.account"]._qbo_projects_of(
            move.invoice_line_ids.filtered(lambda line: line.display_type == "product").mapped("analytic_distribution"))
        return projects if len(projects) == 1 else projects.browse()

    @api.model
    def _qbo_resolve_projects(self, run, moves, resolved, dry_run=False, project_of=None):
        """Link the projects of the sales documents to QuickBooks projects, created on the way under the
        project's customer (else the document's): ``{account id: QuickBooks Id}``.

        :param project_of: what gives a document's project (default ``_qbo_move_project``; a sales order's: the
            sales bridge addon)
        """
        owners = {}
        for move in moves:
            project = (project_of or self._qbo_move_project)(move)
            if project:
                owners.setdefault(project, project._qbo_project_customer() or move.partner_id.commercial_partner_id)
        accounts = self.env["account.analytic.account"].concat(*owners)
        if not accounts:
            return {}
        if dry_run:
            linked = self.env["qbo.mapping"]._qbo_ids_for(accounts, PROJECT_ENTITY, run.company)
            return {account.id: linked.get(account.id) or PREVIEW_PLACEHOLDER.format(
                entity="Project", name=account.display_name) for account in accounts}
        customers = self.env["res.partner"].union(*owners.values())
        known = {partner.id: resolved["customer"][partner.id] for partner in customers
                 if partner.id in resolved["customer"]}
        others = customers.filtered(lambda partner: partner.id not in known)
        known.update(self._qbo_resolve_kind(run, "customer", others, resolved["errors"], False, {}))
        summary = SyncSummary()
        result = self.env["qbo.master.data.sync"]._qbo_export_projects(run.company, owners, known, summary, run.client)
        messages = dict(summary.errors)
        for account in accounts.filtered(lambda account: account.id not in result):
            resolved["errors"][("project", account.id)] = messages.get(account.display_name) or _("not in QuickBooks")
        return result

    @api.model
    def _qbo_resolve_kind(self, run, kind, records, errors, dry_run, foreign):
        """Return ``{record_id: qbo_id}`` for ``records`` of ``kind``; failures go to ``errors``."""
        if not records:
            return {}
        mapping = self.env["qbo.mapping"]
        entity = {"customer": "Customer", "vendor": "Vendor", "product": "Item", "account": "Account",
                  "term": "Term"}[kind]
        if dry_run:
            linked = mapping._qbo_ids_for(records, entity, run.company)
            return {record.id: linked.get(record.id) or PREVIEW_PLACEHOLDER.format(entity=entity,
                                                                                    name=record.display_name)
                    for record in records}
        sync = self.env["qbo.master.data.sync"]
        summary = SyncSummary()
        result = {}
        try:
            new_foreign = records.filtered(lambda record: record.id in foreign)
            if new_foreign:
                new_foreign -= records.browse(list(mapping._qbo_ids_for(new_foreign, entity, run.company)))
            if new_foreign:
                result.update(self._qbo_create_foreign_partners(run, kind, new_foreign, foreign, summary))
            result.update(sync._qbo_export(run.company, kind, records - new_foreign, summary, run.client))
        except (UserError, QboApiError) as error:
            # QuickBooks busy or down: the documents are retried as a whole (the fault is kept as is).
            retry = isinstance(error, QboApiError) and error.retryable
            for record in records:
                if record.id not in result:
                    errors[(kind, record.id)] = error if retry else self.env["qbo.fault"]._qbo_explain(
                        error, company=run.company, record=record, entity=entity)
            return result
        messages = dict(summary.errors)
        for record in records:
            if record.id not in result:
                errors[(kind, record.id)] = messages.get(record.display_name) or _(
                    "could not be linked to a QuickBooks %s", entity)
        return result

    @api.model
    def _qbo_foreign_partners(self, run, moves):
        """Return ``{commercial partner id: currency}`` for partners of documents in a foreign currency."""
        home = run.settings["home_currency"]
        return {move.partner_id.commercial_partner_id.id: move.currency_id.name
                for move in moves if move.currency_id.name != home}

    @api.model
    def _qbo_create_foreign_partners(self, run, kind, partners, currencies, summary):
        """Create QuickBooks customers or vendors in the currency of their documents.

        QuickBooks fixes a customer's or vendor's currency at creation, and a document must be in
        its party's currency: a partner first exported with a foreign-currency document is created
        in that currency.
        """
        sync = self.env["qbo.master.data.sync"]
        values = {partner.id: sync._qbo_odoo_values(run.company, kind, partner) for partner in partners}
        payloads = [
            (partner, dict(payload, CurrencyRef={"value": currencies[partner.id]}))
            for partner, payload in sync._qbo_payloads(run.company, kind, partners, values, summary, run.client)
        ]
        return sync._qbo_create_many(run.company, kind, payloads, summary, run.client)

    @api.model
    def _qbo_resolve_error(self, resolved, kind, record):
        """Why ``record`` has no QuickBooks id.

        :raise QboApiError: when QuickBooks was busy or down: the document is retried later
        """
        error = resolved["errors"].get((kind, record.id), _("not in QuickBooks"))
        if isinstance(error, QboApiError):
            raise error
        return error

    @api.model
    def _qbo_term_expressible(self, term):
        """Whether QuickBooks can hold the payment term (one due date, N days after the invoice)."""
        line = term.line_ids
        return len(line) == 1 and line.value == "percent" and line.value_amount == 100 \
            and line.delay_type == "days_after"

    # === PAYLOADS === #

    @api.model
    def _qbo_build(self, run, move, resolved):
        """Return ``(entity, payload, expected)`` for ``move``.

        :raise PayloadError: when a record it refers to is not in QuickBooks or the document cannot be expressed
        """
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        sales = entity in SALES_ENTITIES
        self._qbo_check_home_currency(run, move.company_id)
        partner_id = self._qbo_party_id(resolved, "customer" if sales else "vendor", move.partner_id)
        lines = []
        default_product = move.company_id.qbo_default_product_id
        for line in move.invoice_line_ids.sorted(lambda line: (line.sequence, line.id)):
            if line.display_type in ("line_section", "line_note"):
                lines.append({"display_type": line.display_type, "description": line.name or ""})
            elif line.display_type == "product":
                lines.append(self._qbo_line_values(line, resolved, sales, default_product))
        if move.line_ids.filtered(lambda line: line.display_type == "rounding"):
            raise PayloadError(_("cash rounding lines cannot be exported to QuickBooks"))
        tax_lines = []
        if not sales and run.settings["us"]:
            for line in move.line_ids.filtered(lambda line: line.display_type == "tax"):
                tax_lines.append({"amount": line.amount_currency * move.direction_sign,
                                  "description": line.name or line.tax_line_id.name,
                                  "account_qbo_id": resolved["account"].get(line.account_id.id)})
        settings = self._qbo_sales_settings(run, resolved, lines)
        narration = "" if is_html_empty(move.narration) else html2plaintext(move.narration or "")
        values = {
            "move_type": move.move_type,
            "name": move.name,
            "ref": move.ref,
            "narration": narration,
            "invoice_date": fields.Date.to_string(move.invoice_date or move.date),
            "invoice_date_due": fields.Date.to_string(move.invoice_date_due) if move.invoice_date_due else None,
            "currency": move.currency_id.name,
            "exchange_rate": 1 / move.invoice_currency_rate if move.invoice_currency_rate else 0,
            "amount_untaxed": move.amount_untaxed,
            "amount_tax": move.amount_tax,
            "amount_total": move.amount_total,
            "email": move.partner_id.email if sales else None,
            "partner_qbo_id": partner_id,
            "term_qbo_id": resolved["term"].get(move.invoice_payment_term_id.id),
            "lines": lines,
            "tax_lines": tax_lines,
        }
        entity, payload, expected = build_move_payload(values, settings)
        if sales:
            self._qbo_put_on_project(payload, self._qbo_move_project(move), resolved)
        return entity, payload, expected

    @api.model
    def _qbo_party_id(self, resolved, kind, partner):
        """The QuickBooks Id of the document's customer or vendor (``kind``).

        :raise PayloadError: naming it and why it has none
        """
        partner = partner.commercial_partner_id
        partner_id = resolved[kind].get(partner.id)
        if not partner_id:
            label = _("Customer") if kind == "customer" else _("Vendor")
            raise PayloadError(_("%(kind)s %(name)s: %(error)s", kind=label, name=partner.display_name,
                                 error=self._qbo_resolve_error(resolved, kind, partner)))
        return partner_id

    @api.model
    def _qbo_sales_settings(self, run, resolved, lines):
        """The settings a document's payload is built with: its taxes' codes, and outside the US the code of its
        untaxed lines."""
        settings = self._qbo_payload_settings(run, resolved["tax_maps"])
        if not settings["us"] and settings["sales_tax"] and self._qbo_needs_exempt_code(lines):
            settings["exempt_code"] = self._qbo_exempt_code(run)
        return settings

    @api.model
    def _qbo_put_on_project(self, payload, project, resolved):
        """Land the document on the QuickBooks project of its lines, if they are on one (minor version 69+:
        ProjectRef).

        :raise PayloadError: when the project could not be linked to a QuickBooks project
        """
        if not project:
            return
        project_id = resolved["project"].get(project.id)
        if not project_id:
            raise PayloadError(_("Project %(name)s: %(error)s", name=project.display_name,
                                 error=self._qbo_resolve_error(resolved, "project", project)))
        payload["ProjectRef"] = {"value": project_id}

    @api.model
    def _qbo_line_values(self, line, resolved, sales, default_product):
        product = line.product_id or (default_product if sales else line.product_id)
        item_id = resolved["product"].get(product.id) if product else None
        if product and not item_id:
            raise PayloadError(_("Item %(name)s: %(error)s", name=product.display_name,
                                 error=self._qbo_resolve_error(resolved, "product", product)))
        if sales and not product:
            raise PayloadError(_("the line %s has no product: choose the QuickBooks item for lines without "
                                 "product in the settings", line.name or ""))
        account_id = None
        if not product:
            account_id = resolved["account"].get(line.account_id.id)
            if not account_id:
                raise PayloadError(_("Account %(name)s: %(error)s", name=line.account_id.display_name,
                                     error=self._qbo_resolve_error(resolved, "account", line.account_id)))
        return {
            "display_type": "product",
            "description": line.name or (product.display_name if product else ""),
            "quantity": line.quantity,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "subtotal": line.price_subtotal,
            "total": line.price_total,
            "item_qbo_id": item_id,
            "account_qbo_id": account_id,
            **self._qbo_tax_values(line.tax_ids, resolved),
        }

    @api.model
    def _qbo_tax_values(self, taxes, resolved):
        """Return the tax part of a line's values, worked out once per set of taxes in an export."""
        known = resolved["tax_values"]
        key = tuple(taxes.ids)
        if key not in known:
            mapped = self._qbo_mapping_taxes(taxes, resolved["tax_maps"])
            flat = taxes.flatten_taxes_hierarchy()
            known[key] = {
                "tax_ids": mapped.ids,
                "tax_names": {tax.id: tax.name for tax in mapped},
                "price_include": bool(flat) and all(flat.mapped("price_include")),
                "tax_percent": sum(flat.filtered(lambda tax: tax.amount_type == "percent").mapped("amount")),
            }
        return known[key]

    @api.model
    def _qbo_mapping_taxes(self, taxes, tax_maps):
        """Return the taxes whose mapping applies to a line: a mapped group as a whole, else its children."""
        result = self.env["account.tax"]
        for tax in taxes:
            if tax.amount_type == "group" and tax.id not in tax_maps:
                result |= tax.children_tax_ids
            else:
                result |= tax
        return result

    @api.model
    def _qbo_needs_exempt_code(self, lines):
        product_lines = [line for line in lines if line["display_type"] == "product"]
        return any(line["tax_ids"] for line in product_lines) and any(not line["tax_ids"] for line in product_lines)

    @api.model
    def _qbo_exempt_code(self, run):
        """Return the QuickBooks tax code for untaxed lines of a non-US company (read once per run):
        a code without sales rates, else one whose sales rates are all 0 %, an "exempt" one first."""
        if "exempt_code" not in run.settings:
            codes = [code for code in run.client.query_all("TaxCode") if code.get("Active", True)]
            rates = {str(rate["Id"]): rate.get("RateValue") or 0 for rate in run.client.query_all("TaxRate")}

            def sales_rates(code):
                details = ((code.get("SalesTaxRateList") or {}).get("TaxRateDetail")) or []
                return [rates.get(str((detail.get("TaxRateRef") or {}).get("value")), 0) for detail in details]

            candidates = [code for code in codes if not any(float(rate) for rate in sales_rates(code))]
            candidates.sort(key=lambda code: (bool(sales_rates(code)), "exempt" not in code.get("Name", "").lower()))
            run.settings["exempt_code"] = str(candidates[0]["Id"]) if candidates else None
        return run.settings["exempt_code"]

    @api.model
    def _qbo_refs(self, payload):
        """Yield every reference value of a payload (for the preview's placeholders)."""
        stack = [payload]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                if "value" in value and len(value) == 1:
                    yield value["value"]
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)

    # === VOID AND SEND === #

    @api.model
    def _qbo_void_one(self, run, move):
        """Void (Invoice) or delete (what QuickBooks cannot void) one document's QuickBooks copy.

        :return: the values to write on the document
        :raise UserError: if QuickBooks has payments on it or refuses
        """
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        start = time.monotonic()
        requestid = f"{self._qbo_requestid_prefix(run.company)}-{move.id}-v{move.qbo_export_generation}"
        try:
            current = run.client.read(entity, move.qbo_id)
            if any(link.get("TxnType") in PAYMENT_LINK_TYPES for link in current.get("LinkedTxn") or []):
                raise UserError(_(
                    "QuickBooks: %(name)s has payments applied in QuickBooks (%(entity)s %(id)s); remove them in "
                    "QuickBooks before cancelling it.", name=move.name, entity=entity, id=move.qbo_id))
            body = {"Id": current["Id"], "SyncToken": current["SyncToken"]}
            if entity in VOIDABLE_ENTITIES:
                doc = run.client.void(entity, body, requestid=requestid)
                operation, values = "void", {"qbo_sync_token": str(doc.get("SyncToken", ""))}
            else:
                run.client.delete(entity, body, requestid=requestid)
                operation, values = "delete", {"qbo_id": False, "qbo_sync_token": False,
                                               "qbo_export_generation": move.qbo_export_generation + 1}
        except QboApiError as error:
            if error.code == NOT_FOUND:
                # Already deleted in QuickBooks: nothing left to void.
                operation, values = "delete", {"qbo_id": False, "qbo_sync_token": False,
                                               "qbo_export_generation": move.qbo_export_generation + 1}
            else:
                raise UserError(_("QuickBooks: %(name)s could not be voided in QuickBooks: %(error)s",
                                  name=move.name, error=self._qbo_error_message(run, move, error, entity=entity)
                                  )) from None
        values.update(qbo_state="voided", qbo_error=False, qbo_pending_requestid=False)
        run.logs.append(self._qbo_log_values(run, move, operation, entity, "success", False, requestid,
                                             time.monotonic() - start, move.qbo_id))
        run.notes[move.id] = (_("Voided in QuickBooks (%(entity)s %(id)s).", entity=entity, id=move.qbo_id)
                              if operation == "void" else
                              _("Deleted in QuickBooks (%(entity)s %(id)s): QuickBooks cannot void a %(entity)s.",
                                entity=entity, id=move.qbo_id))
        return values

    @api.model
    def _qbo_email(self, run, moves):
        """Ask QuickBooks to email each document to its customer's invoice address.

        The requestid names the version of the document being sent (sending makes a new one): a
        replay of the same request is answered by QuickBooks without a second email, a later Send
        sends again.
        """
        for move in moves:
            entity = ENTITY_BY_MOVE_TYPE[move.move_type]
            email = move.partner_id.email
            requestid = f"{self._qbo_requestid_prefix(run.company)}-{move.id}-s{move.qbo_sync_token}"
            start = time.monotonic()
            try:
                params = {"sendTo": email} if email else None
                answer = run.client.request("POST", f"{entity.lower()}/{move.qbo_id}/send", params=params,
                                            data=b"", headers={"Content-Type": "application/octet-stream"},
                                            requestid=requestid)
            except QboApiError as error:
                message = self._qbo_error_message(run, move, error, entity=entity)
                run.report.errors.append((move.name, _("not emailed: %s", message)))
                run.logs.append(self._qbo_log_values(run, move, "send", entity, "error", message, requestid,
                                                     time.monotonic() - start, move.qbo_id, error=error))
                run.notes[move.id] = Markup("%s<br/>%s") % (run.notes.get(move.id, ""),
                                                             _("QuickBooks could not email it: %s", message))
                continue
            # Sending changes the QuickBooks record (EmailStatus): keep its new SyncToken.
            sync_token = (answer.get(entity) or {}).get("SyncToken")
            move._qbo_write({"qbo_sent_at": fields.Datetime.now(),
                                       "qbo_sync_token": str(sync_token) if sync_token else move.qbo_sync_token})
            run.report.sent += 1
            # The address is on the document for who may read it; the sync log names no one.
            run.logs.append(self._qbo_log_values(run, move, "send", entity, "success", _("Emailed by QuickBooks."),
                                                 requestid, time.monotonic() - start, move.qbo_id))
            note = _("Emailed by QuickBooks to %s.", email) if email else _("Emailed by QuickBooks.")
            run.notes[move.id] = Markup("%s<br/>%s") % (run.notes[move.id], note) if move.id in run.notes else note

    # === NOTIFICATIONS === #

    @api.model
    def _qbo_notify_requesters(self, users):
        """Tell each user whose queued documents are all done how their export went."""
        move_model = self.env["account.move"]
        for user in users:
            if move_model.search_count([("qbo_export_requested_by", "=", user.id), ("qbo_state", "=", "to_send")]):
                continue
            moves = move_model.search([("qbo_export_requested_by", "=", user.id)])
            failed = moves.filtered(lambda move: move.qbo_state == "error")
            message = _("QuickBooks export finished: %(done)s exported, %(failed)s failed.",
                        done=len(moves) - len(failed), failed=len(failed))
            user._bus_send("simple_notification", {
                "title": _("QuickBooks"),
                "message": message,
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
            })
            moves._qbo_write({"qbo_export_requested_by": False})
