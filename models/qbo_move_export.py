import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext, is_html_empty

from ..const import BATCH_SIZE
from ..qbo_client import QboApiError, QboClient
from ..qbo_master_data import SyncSummary
from ..qbo_payload.account_move import (
    ENTITY_BY_MOVE_TYPE,
    SALES_ENTITIES,
    SENDABLE_ENTITIES,
    VOIDABLE_ENTITIES,
    PayloadError,
    amounts_differ,
    build_move_payload,
    preview_json,
    qbo_amounts,
    replay_is_stale,
    update_payload,
)

_logger = logging.getLogger(__name__)

STALE_OBJECT = "5010"
CRON_BATCH_SIZE = 1000
MAX_ATTEMPTS = 5
# Minutes before the next automatic attempt after a temporary failure (by attempt number).
RETRY_DELAYS = (1, 5, 15, 60)
# Requests sent at once by a bulk export: Intuit serves 10 at a time per app and realm, and answers
# a 429 beyond (retried after a pause by the client).
PARALLEL_REQUESTS = 10
PAYMENT_LINK_TYPES = ("Payment", "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard", "BillPayment")
PREVIEW_PLACEHOLDER = "<new {entity}: {name}>"  # what the preview shows for records not in QuickBooks yet


def _call(client, job):
    """Send one job's request (no ORM here: it may run in a worker thread).

    :return: ``([(doc or None, QboApiError or None)] per item, seconds)``
    """
    operation, items, requestid, batch = job
    start = time.monotonic()
    try:
        if batch:
            responses = client.batch([{"bId": bid, "operation": operation, entity: payload}
                                      for bid, entity, payload in items], requestid=requestid)
            results = []
            for (_bid, entity, _payload), response in zip(items, responses):
                if entity in response:
                    results.append((response[entity], None))
                else:
                    results.append((None, QboApiError.from_fault(response.get("Fault") or {}, status=400)))
        else:
            _bid, entity, payload = items[0]
            send = client.create if operation == "create" else client.update
            results = [(send(entity, payload, requestid=requestid), None)]
    except QboApiError as error:
        results = [(None, error)] * len(items)
    return results, time.monotonic() - start


class ExportReport:
    """What an export did, counted for the message the user gets."""

    def __init__(self, env):
        self.env = env
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.sent = 0
        self.locked = 0
        self.retry = 0
        self.errors = []  # (document name, message)

    def message(self, skipped=0, from_expenses=0):
        """Return e.g. "12 exported, 2 skipped: not posted"."""
        _ = self.env._
        parts = []
        exported = self.created + self.updated
        if exported or not (self.unchanged or self.errors or self.retry or self.sent):
            parts.append(_("%s exported", exported))
        if self.updated:
            parts.append(_("%s of them updated", self.updated))
        if self.sent:
            parts.append(_("%s emailed by QuickBooks", self.sent))
        if self.unchanged:
            parts.append(_("%s already up to date", self.unchanged))
        if skipped:
            parts.append(_("%s skipped: not posted", skipped))
        if from_expenses:
            parts.append(_("%s skipped: exported with their expense report", from_expenses))
        if self.locked:
            parts.append(_("%s skipped: being exported by another process", self.locked))
        if self.retry:
            parts.append(_("%s will be retried automatically", self.retry))
        if self.errors:
            details = "; ".join(f"{name}: {message}" for name, message in self.errors[:5])
            parts.append(_("%(count)s failed (%(details)s)", count=len(self.errors), details=details))
        return ", ".join(parts)

    def notification_type(self):
        if self.errors:
            return "danger" if not (self.created or self.updated or self.sent) else "warning"
        return "warning" if self.retry or self.locked else "success"


class ExportRun:
    """One export of a company's documents: the client, the QuickBooks settings, what to record."""

    def __init__(self, company, report):
        self.company = company
        self.report = report
        self.client = None
        self.settings = None
        self.logs = []
        self.notes = {}  # move id -> Markup
        self.values = {}  # move id -> QuickBooks bookkeeping values to write
        self.retry_at = None  # when the export cron should try the temporary failures again


class QboMoveExport(models.AbstractModel):
    """Exports posted invoices, credit notes, bills and vendor refunds to QuickBooks Online.

    Master data (customers, vendors, items, terms, accounts) is resolved for the whole selection at
    once, documents go by batches of 30 with a replay-safe requestid, several requests at once,
    QuickBooks' totals are checked to the cent, and each document is settled on its own: one that
    cannot be built or that QuickBooks refuses never stops the others.
    """

    _name = "qbo.move.export"
    _description = "QuickBooks Export of Invoices and Bills"

    # === ENTRY POINTS === #

    @api.model
    def _qbo_export_moves(self, moves):
        """Export ``moves`` (posted documents, any companies) and return the ``ExportReport``."""
        report = ExportReport(self.env)
        for company, company_moves in moves.grouped("company_id").items():
            self._qbo_export_company(company, company_moves, report)
        return report

    @api.model
    def _qbo_cron_export(self):
        """Export one bounded batch of queued documents, report progress, notify who queued them."""
        move_model = self.env["account.move"]
        now = fields.Datetime.now()
        domain = [("qbo_state", "=", "to_send"), ("state", "=", "posted"),
                  "|", ("qbo_next_attempt", "=", False), ("qbo_next_attempt", "<=", now)]
        moves = move_model.search(domain, order="id", limit=CRON_BATCH_SIZE)
        if moves:
            self._qbo_export_moves(moves)
        remaining = move_model.search_count(domain)
        self._qbo_notify_requesters(moves.qbo_export_requested_by)
        self.env["ir.cron"]._notify_progress(done=len(moves), remaining=remaining)
        if not remaining:
            later = move_model.search([("qbo_state", "=", "to_send"), ("state", "=", "posted"),
                                       ("qbo_next_attempt", ">", now)], order="qbo_next_attempt", limit=1)
            if later:
                self.env.ref("quickbooks_connector.ir_cron_qbo_export_moves")._trigger(at=later.qbo_next_attempt)

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
            self._qbo_flush_run(run)
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
            self._qbo_flush_run(run)
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
            _entity, payload, expected = self._qbo_build_one(run, move, resolved)
        except (UserError, QboApiError, PayloadError) as error:
            return dict(values, warning=str(error))
        if move.qbo_id and not (move.qbo_state == "voided" and entity not in VOIDABLE_ENTITIES):
            payload = update_payload(payload, move.qbo_id, move.qbo_sync_token or "0")
        else:
            values["operation"] = "create"
        warning = []
        if move.state != "posted":
            warning.append(_("This document is not posted: it would be skipped."))
        if any(str(ref).startswith("<new ") for ref in self._qbo_refs(payload)):
            warning.append(_("Records marked <new ...> are not in QuickBooks yet: they are created at export."))
        return dict(values, payload_json=preview_json(entity, payload), expected_total=expected["total"],
                    expected_tax=expected["tax"], warning="\n".join(warning) or False)

    # === EXPORT === #

    @api.model
    def _qbo_export_company(self, company, moves, report):
        moves = self._qbo_lock(moves, report)
        up_to_date = moves.filtered(lambda move: move.qbo_state == "exported" and move.qbo_id)
        report.unchanged += len(up_to_date)
        moves -= up_to_date
        if not moves:
            return
        run = ExportRun(company, report)
        try:
            run.client = company._qbo_get_client()
            run.settings = run.company._qbo_export_settings(run.client)
            resolved = self._qbo_resolve(run, moves)
        except (UserError, QboApiError) as error:
            for move in moves:
                self._qbo_apply_failure(run, move, "create" if not move.qbo_id else "update", error)
            self._qbo_flush_run(run)
            return
        self._qbo_send(run, moves, resolved)
        if company.qbo_send_on_export:
            exported = moves.filtered(
                lambda move: move.qbo_state == "exported"
                and ENTITY_BY_MOVE_TYPE[move.move_type] in SENDABLE_ENTITIES and not move.qbo_sent_at)
            self._qbo_email(run, exported)
        self._qbo_flush_run(run)
        self.env["qbo.payment.sync"]._qbo_queue_late_payments(moves.filtered(lambda move: move.qbo_state == "exported"))

    @api.model
    def _qbo_lock(self, moves, report):
        """Lock the documents' rows (skipping those another transaction is exporting or editing)."""
        if not moves:
            return moves
        self.env.cr.execute(
            "SELECT id FROM account_move WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED", [tuple(moves.ids)])
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        skipped = moves.filtered(lambda move: move.id not in locked_ids)
        if skipped:
            report.locked += len(skipped)
            _logger.info("QuickBooks: moves %s are being exported elsewhere, skipped", skipped.ids)
        return moves - skipped

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
        return resolved

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
            for record in records:
                if record.id not in result:
                    errors[(kind, record.id)] = error
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
    def _qbo_term_expressible(self, term):
        """Whether QuickBooks can hold the payment term (one due date, N days after the invoice)."""
        line = term.line_ids
        return len(line) == 1 and line.value == "percent" and line.value_amount == 100 \
            and line.delay_type == "days_after"

    # === PAYLOADS === #

    @api.model
    def _qbo_build_one(self, run, move, resolved):
        """Return ``(entity, payload, expected)`` for ``move``.

        :raise PayloadError: when a record it refers to is not in QuickBooks or the document cannot be expressed
        """
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        sales = entity in SALES_ENTITIES
        if run.settings["home_currency"] != move.company_id.currency_id.name:
            raise PayloadError(_("QuickBooks keeps its books in %(qbo)s and %(company)s in %(odoo)s: amounts "
                                 "cannot be converted", qbo=run.settings["home_currency"],
                                 company=move.company_id.name, odoo=move.company_id.currency_id.name))
        party_kind = "customer" if sales else "vendor"
        partner = move.partner_id.commercial_partner_id
        partner_id = resolved[party_kind].get(partner.id)
        if not partner_id:
            raise PayloadError(_("%(kind)s %(name)s: %(error)s", kind=party_kind.capitalize(),
                                 name=partner.display_name,
                                 error=resolved["errors"].get((party_kind, partner.id), _("not in QuickBooks"))))
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
        tax_maps = resolved["tax_maps"]
        settings = dict(run.settings, tax_codes={
            tax_id: {"code": tax_map.qbo_tax_code_id, "line_code": tax_map.qbo_line_code}
            for tax_id, tax_map in tax_maps.items()})
        if not settings["us"] and settings["sales_tax"] and self._qbo_needs_exempt_code(lines):
            settings["exempt_code"] = self._qbo_exempt_code(run)
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
        return build_move_payload(values, settings)

    @api.model
    def _qbo_line_values(self, line, resolved, sales, default_product):
        product = line.product_id or (default_product if sales else line.product_id)
        item_id = resolved["product"].get(product.id) if product else None
        if product and not item_id:
            raise PayloadError(_("Item %(name)s: %(error)s", name=product.display_name,
                                 error=resolved["errors"].get(("product", product.id), _("not in QuickBooks"))))
        if sales and not product:
            raise PayloadError(_("the line %s has no product: choose the QuickBooks item for lines without "
                                 "product in the settings", line.name or ""))
        account_id = None
        if not product:
            account_id = resolved["account"].get(line.account_id.id)
            if not account_id:
                raise PayloadError(_("Account %(name)s: %(error)s", name=line.account_id.display_name,
                                     error=resolved["errors"].get(("account", line.account_id.id),
                                                                  _("not in QuickBooks"))))
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

    # === SENDING === #

    @api.model
    def _qbo_units(self, run, moves):
        """Split the documents into requests: ``[(operation, moves, requestid or None)]``.

        Creations go by batches of up to 30 (a document alone: a single create). A document whose
        previous attempt got no answer is sent again with that attempt's requestid (and with its
        batch companions), so QuickBooks replays it instead of creating a copy. Updates are full
        updates at the stored SyncToken, by batches of 30.
        """
        def is_update(move):
            entity = ENTITY_BY_MOVE_TYPE[move.move_type]
            return bool(move.qbo_id) and not (move.qbo_state == "voided" and entity not in VOIDABLE_ENTITIES)

        updates = moves.filtered(is_update)
        creates = moves - updates
        units = [("create", group, requestid)
                 for requestid, group in creates.filtered("qbo_pending_requestid").grouped("qbo_pending_requestid")
                 .items()]
        fresh = creates.filtered(lambda move: not move.qbo_pending_requestid)
        units += [("create", fresh[start:start + BATCH_SIZE], None) for start in range(0, len(fresh), BATCH_SIZE)]
        units += [("update", updates[start:start + BATCH_SIZE], None) for start in range(0, len(updates), BATCH_SIZE)]
        return units

    @api.model
    def _qbo_send(self, run, moves, resolved):
        """Build, send and settle the documents, request by request.

        Several requests are in flight at once (up to ``PARALLEL_REQUESTS``), sent by worker
        threads while this thread builds the next payloads and settles the answers already back,
        in order. Only this thread touches the database: each worker thread keeps a client of its
        own (and its connection), holding the access token read here.
        """
        units = self._qbo_units(run, moves)
        if not units:
            return
        if len(units) == 1:
            operation, items, requestid, batch = self._qbo_job(run, *units[0], resolved)
            if items:
                self._qbo_settle(run, operation, items, requestid, _call(run.client, self._qbo_request(
                    operation, items, requestid, batch)))
            self._qbo_flush_run(run)
            return
        token = run.client.get_access_token()
        client = run.client
        workers = threading.local()
        sessions = []

        def call(request):
            # One client per worker thread: its connection is kept from one request to the next.
            if not hasattr(workers, "client"):
                workers.client = QboClient(client.base_url, client.realm_id, lambda: token,
                                           minorversion=client.minorversion, timeout=client.timeout,
                                           max_retries=client.max_retries, sleep=client.sleep, pacer=client.pacer)
                sessions.append(workers.client.session)
            return _call(workers.client, request)

        queue = []
        try:
            with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
                for unit in units:
                    operation, items, requestid, batch = self._qbo_job(run, *unit, resolved)
                    if items:
                        queue.append((operation, items, requestid,
                                      pool.submit(call, self._qbo_request(operation, items, requestid, batch))))
                    while queue and queue[0][3].done():
                        self._qbo_settle_head(run, queue)
                while queue:
                    if not queue[0][3].done():
                        # While QuickBooks answers, record what is settled already.
                        self._qbo_flush_run(run)
                    self._qbo_settle_head(run, queue)
        finally:
            for session in sessions:
                session.close()
        self._qbo_flush_run(run)

    @api.model
    def _qbo_settle_head(self, run, queue):
        operation, items, requestid, future = queue.pop(0)
        self._qbo_settle(run, operation, items, requestid, future.result())

    @api.model
    def _qbo_job(self, run, operation, moves, requestid, resolved):
        """Build the payloads of one request; return ``(operation, items, requestid, batch)``.

        Documents that cannot be built are settled as failures here and left out.
        """
        items = []
        for move in moves:
            try:
                entity, payload, expected = self._qbo_build_one(run, move, resolved)
            except PayloadError as error:
                self._qbo_apply_failure(run, move, operation, error)
                continue
            if operation == "update":
                payload = update_payload(payload, move.qbo_id, move.qbo_sync_token or "0")
            items.append((move, entity, payload, expected))
        if not items:
            return operation, items, requestid, False
        if requestid:
            return operation, items, requestid, requestid.startswith(self._qbo_requestid_prefix(run.company) + "b")
        if len(items) == 1:
            move, _entity, payload, _expected = items[0]
            requestid = (self._qbo_create_requestid(move) if operation == "create"
                         else self._qbo_update_requestid(move, payload))
            return operation, items, requestid, False
        letter = operation[0]
        payloads = [item[2] for item in items] if operation == "update" else ()
        return operation, items, self._qbo_batch_requestid(run.company, [item[0] for item in items], letter,
                                                           payloads), True

    @staticmethod
    def _qbo_request(operation, items, requestid, batch):
        return operation, [(str(move.id), entity, payload) for move, entity, payload, _expected in items], \
            requestid, batch

    @api.model
    def _qbo_settle(self, run, operation, items, requestid, answer):
        results, duration = answer
        for (move, entity, payload, expected), (doc, error) in zip(items, results):
            self._qbo_outcome(run, operation, move, entity, payload, expected, requestid, duration / len(items),
                              doc=doc, error=error)

    @api.model
    def _qbo_outcome(self, run, operation, move, entity, payload, expected, requestid, duration, doc=None,
                     error=None):
        """Settle one document's answer: stale SyncToken and replayed old versions are resent once."""
        if error is not None and operation == "update" and error.code == STALE_OBJECT:
            doc, error = self._qbo_reapply(run, move, entity, payload, error)
            operation = "update"
        elif doc is not None and operation == "create" and replay_is_stale(payload, doc):
            # A replayed creation of an earlier version of the document: bring it up to date.
            doc, error = self._qbo_reapply(run, move, entity, payload, None, current=doc)
        if error is not None:
            self._qbo_apply_failure(run, move, operation, error, requestid=requestid, duration=duration,
                                    entity=entity)
        else:
            self._qbo_apply_success(run, move, operation, entity, doc, expected, requestid, duration)

    @api.model
    def _qbo_reapply(self, run, move, entity, payload, error, current=None):
        """Re-read the QuickBooks copy, apply the payload at its current SyncToken, send once more.

        :return: ``(doc, None)`` or ``(None, error)``
        """
        try:
            current = current or run.client.read(entity, move.qbo_id)
            body = update_payload({key: value for key, value in payload.items()
                                   if key not in ("Id", "SyncToken", "sparse")}, current["Id"], current["SyncToken"])
            return run.client.update(entity, body, requestid=self._qbo_update_requestid(move, body)), None
        except QboApiError as retry_error:
            return None, retry_error

    # === OUTCOMES === #

    @api.model
    def _qbo_apply_success(self, run, move, operation, entity, doc, expected, requestid, duration):
        qbo_total, qbo_tax = qbo_amounts(doc)
        values = {
            "qbo_id": str(doc["Id"]),
            "qbo_sync_token": str(doc.get("SyncToken", "")),
            "qbo_doc_number": doc.get("DocNumber") or False,
            "qbo_exported_at": fields.Datetime.now(),
            "qbo_pending_requestid": False,
            "qbo_retry_count": 0,
            "qbo_next_attempt": False,
            "qbo_amount_total": float(qbo_total),
            "qbo_amount_tax": float(qbo_tax),
        }
        difference = amounts_differ(doc, expected)
        if difference:
            message = _("Amounts differ: QuickBooks total %(qbo_total)s (tax %(qbo_tax)s), Odoo total "
                        "%(odoo_total)s (tax %(odoo_tax)s).", **{key: str(value) for key, value in difference.items()})
            values.update(qbo_state="error", qbo_error=message)
            run.report.errors.append((move.name, message))
        else:
            values.update(qbo_state="exported", qbo_error=False)
            if operation == "create":
                run.report.created += 1
            else:
                run.report.updated += 1
        run.values.setdefault(move.id, {}).update(values)
        run.logs.append(self._qbo_log_values(run, move, operation, entity, "error" if difference else "success",
                                             message if difference else False, requestid, duration, doc["Id"]))
        label = _("Exported to QuickBooks") if operation == "create" else _("Updated in QuickBooks")
        body = Markup("%s: %s %s") % (label, entity, self._qbo_link(run, entity, doc))
        if difference:
            body += Markup("<br/>") + message
        run.notes[move.id] = body

    @api.model
    def _qbo_apply_failure(self, run, move, operation, error, requestid=None, duration=0.0, entity=None):
        entity = entity or ENTITY_BY_MOVE_TYPE.get(move.move_type, "")
        retryable = isinstance(error, QboApiError) and error.retryable
        attempts = move.qbo_retry_count + 1
        message = str(error)
        values = {"qbo_error": message}
        if retryable and attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            values.update(qbo_state="to_send", qbo_retry_count=attempts,
                          qbo_next_attempt=fields.Datetime.now() + timedelta(minutes=delay))
            if operation == "create" and requestid:
                values["qbo_pending_requestid"] = requestid
            status = "retry"
            run.report.retry += 1
            run.retry_at = min(filter(None, (run.retry_at, values["qbo_next_attempt"])))
        else:
            values.update(qbo_state="error", qbo_retry_count=0, qbo_next_attempt=False)
            if operation == "create" and not retryable:
                # The creation was refused: the corrected document is a new request, not a replay.
                values.update(qbo_pending_requestid=False,
                              qbo_export_generation=move.qbo_export_generation + 1)
            elif operation == "create" and requestid:
                values["qbo_pending_requestid"] = requestid
            status = "error"
            run.report.errors.append((move.name, message))
        run.values.setdefault(move.id, {}).update(values)
        run.logs.append(self._qbo_log_values(run, move, operation, entity, status, message, requestid, duration,
                                             move.qbo_id))
        run.notes[move.id] = Markup("%s %s") % (
            _("QuickBooks export failed (will be retried):") if status == "retry" else _("QuickBooks export failed:"),
            message)

    @api.model
    def _qbo_flush_run(self, run):
        """Write the run's outcomes on the documents, its sync logs and chatter notes, in one go each,
        and schedule the retries."""
        if run.values:
            self.env["account.move"]._qbo_write_each(run.values)
            run.values = {}
        if run.retry_at:
            self.env.ref("quickbooks_connector.ir_cron_qbo_export_moves")._trigger(at=run.retry_at)
            run.retry_at = None
        if run.logs:
            self.env["qbo.sync.log"]._qbo_log(run.logs)
            run.logs = []
        if run.notes:
            moves = self.env["account.move"].browse(list(run.notes))
            moves._message_log_batch(bodies=run.notes)
            run.notes = {}

    @api.model
    def _qbo_log_values(self, run, move, operation, entity, status, message, requestid, duration, qbo_id):
        return {
            "company_id": run.company.id,
            "direction": "export",
            "operation": operation,
            "qbo_entity": entity,
            "qbo_id": qbo_id or False,
            "res_model": "account.move",
            "res_id": move.id,
            "res_name": move.name,
            "status": status,
            "message": message or False,
            "requestid": requestid or False,
            "duration": duration,
        }

    @api.model
    def _qbo_link(self, run, entity, doc):
        """Return the document's number, linked to the QuickBooks web app when it has an address."""
        label = doc.get("DocNumber") or doc["Id"]
        url = run.company.sudo()._qbo_document_url(entity, doc["Id"])
        if url:
            return Markup('<a href="%s" target="_blank">%s</a>') % (url, label)
        return label

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
            if error.code == "610":
                # Already deleted in QuickBooks: nothing left to void.
                operation, values = "delete", {"qbo_id": False, "qbo_sync_token": False,
                                               "qbo_export_generation": move.qbo_export_generation + 1}
            else:
                raise UserError(_("QuickBooks: %(name)s could not be voided in QuickBooks: %(error)s",
                                  name=move.name, error=error)) from None
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
        """Ask QuickBooks to email each document to its customer's invoice address."""
        for move in moves:
            entity = ENTITY_BY_MOVE_TYPE[move.move_type]
            email = move.partner_id.email
            requestid = f"{self._qbo_requestid_prefix(run.company)}-{move.id}-s{int(time.time())}"
            start = time.monotonic()
            try:
                params = {"sendTo": email} if email else None
                answer = run.client.request("POST", f"{entity.lower()}/{move.qbo_id}/send", params=params,
                                            data=b"", headers={"Content-Type": "application/octet-stream"},
                                            requestid=requestid)
            except QboApiError as error:
                run.report.errors.append((move.name, _("not emailed: %s", error)))
                run.logs.append(self._qbo_log_values(run, move, "send", entity, "error", str(error), requestid,
                                                     time.monotonic() - start, move.qbo_id))
                run.notes[move.id] = Markup("%s<br/>%s") % (run.notes.get(move.id, ""),
                                                             _("QuickBooks could not email it: %s", error))
                continue
            # Sending changes the QuickBooks record (EmailStatus): keep its new SyncToken.
            sync_token = (answer.get(entity) or {}).get("SyncToken")
            move._qbo_write({"qbo_sent_at": fields.Datetime.now(),
                                       "qbo_sync_token": str(sync_token) if sync_token else move.qbo_sync_token})
            run.report.sent += 1
            run.logs.append(self._qbo_log_values(run, move, "send", entity, "success", email, requestid,
                                                 time.monotonic() - start, move.qbo_id))
            note = _("Emailed by QuickBooks to %s.", email) if email else _("Emailed by QuickBooks.")
            run.notes[move.id] = Markup("%s<br/>%s") % (run.notes[move.id], note) if move.id in run.notes else note

    # === REQUEST IDS === #

    @api.model
    def _qbo_requestid_prefix(self, company):
        """``q<database digest>-<company>``: requestids are unique per QuickBooks company, and two Odoo
        databases (a production and its copy) linked to one must never replay each other's calls."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"q{hashlib.sha1(uuid.encode()).hexdigest()[:6]}-{company.id}"

    @api.model
    def _qbo_create_requestid(self, move):
        """The requestid of a document's creation: stable for one export generation."""
        return f"{self._qbo_requestid_prefix(move.company_id)}-{move.id}-g{move.qbo_export_generation}"

    @api.model
    def _qbo_update_requestid(self, move, payload):
        """The requestid of an update: the SyncToken it applies to and a digest of what it sends."""
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return f"{self._qbo_requestid_prefix(move.company_id)}-{move.id}-u{payload.get('SyncToken')}-{digest}"

    @api.model
    def _qbo_batch_requestid(self, company, moves, operation, payloads=()):
        """The requestid of a batch (at most 36 characters): its documents and their generations."""
        content = [(move.id, move.qbo_export_generation) for move in moves]
        if payloads:
            content = [content, [json.dumps(payload, sort_keys=True, default=str) for payload in payloads]]
        digest = hashlib.sha1(json.dumps(content).encode()).hexdigest()[:16]
        return f"{self._qbo_requestid_prefix(company)}b{operation}{digest}"

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
                "title": _("QuickBooks Online"),
                "message": message,
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
            })
            moves._qbo_write({"qbo_export_requested_by": False})
