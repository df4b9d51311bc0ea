import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, _, api, models, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError

from ..qbo_client import parse_qbo_time
from ..qbo_master_data import KINDS, SyncSummary
from ..qbo_payload.account_move import amounts_differ, qbo_amounts
from ..qbo_payload.money import cents
from .qbo_export_engine import SyncReport

_logger = logging.getLogger(__name__)

# Documents handled per company and kind in one call of the import job or of Import Now.
BATCH_SIZE = 200
# The journals of documents created in QuickBooks, by journal type: (code, name).
IMPORT_JOURNALS = {"sale": ("QBINV", "QuickBooks Invoices"), "purchase": ("QBBIL", "QuickBooks Bills")}
# A document QuickBooks created this long before the oldest creation Odoo sent and has no answer to yet
# may be that creation (the clocks of Odoo and Intuit differ by a little).
CLOCK_MARGIN = timedelta(minutes=1)
# The line details that carry a product or an account.
SALES_DETAIL = "SalesItemLineDetail"
ITEM_EXPENSE_DETAIL = "ItemBasedExpenseLineDetail"
ACCOUNT_EXPENSE_DETAIL = "AccountBasedExpenseLineDetail"


class DocumentImportReport(SyncReport):
    """What an import of documents created in QuickBooks did."""

    def __init__(self, env):
        super().__init__(env)
        self.imported = 0
        self.held = 0  # imported in draft: Odoo's amounts differ from QuickBooks'
        self.flagged = 0  # changed in QuickBooks, flagged for review as the company's rule or a payment says

    def message(self):
        parts = [self.env._("%s documents imported", self.imported)]
        if self.held:
            parts.append(self.env._("%s of them held in draft: amounts differ", self.held))
        if self.updated:
            parts.append(self.env._("%s updated or cancelled as in QuickBooks", self.updated))
        if self.flagged:
            parts.append(self.env._("%s changes flagged for review", self.flagged))
        if self.remaining:
            parts.append(self.env._("more are being imported in the background"))
        return ", ".join(parts + self.common_parts())


class QboDocumentImport(models.AbstractModel):
    """Documents created in QuickBooks become Odoo documents: the adapters of the pull engine for
    invoices, credit memos, bills and vendor credits (``_qbo_entity``, ``_qbo_move_type``).

    The customers, vendors, items and accounts they refer to are linked through the mapping (matched,
    else created in Odoo), their tax codes become Odoo taxes through the tax mapping (a code with no
    Odoo tax stops the document, naming the code), their currency and exchange rate are QuickBooks',
    their DocNumber is their number in Odoo (in a journal of their own). A document is posted only when
    Odoo's total and tax equal QuickBooks' to the cent; otherwise it stays in draft with both figures.
    Documents Odoo exported are never imported back: those linked already, and those QuickBooks may
    have created for an export whose answer Odoo has not recorded yet (``qbo.export.attempt``: created
    after it was sent, with its date and total), which wait for the next run.
    """

    _name = "qbo.document.import"
    _inherit = "qbo.pull.engine"
    _description = "QuickBooks Import of Documents"

    _qbo_move_type = None  # the Odoo move type of the documents of ``_qbo_entity``
    _qbo_type_field = None  # the company's setting that turns this kind of document on

    @api.model
    def _cron_qbo_import_documents(self):
        """Import the documents created in QuickBooks, each kind for the company it served least recently
        (one company per kind and call); the runner calls again while some are left."""
        done = remaining = 0
        for adapter in self._qbo_import_adapters():
            report, left = adapter._qbo_cron_pull_step(BATCH_SIZE)
            done += report.work
            remaining += report.remaining + left
        self.env["ir.cron"]._notify_progress(done=max(done, 1), remaining=remaining)

    @api.model
    def _qbo_import_adapters(self):
        return [self.env[name] for name in sorted(self.env.registry.descendants([self._name], "_inherit"))
                if name != self._name]

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_new_report(self):
        return DocumentImportReport(self.env)

    @api.model
    def _qbo_due_companies(self):
        return super()._qbo_due_companies().filtered(
            lambda company: company.qbo_import_documents and company[self._qbo_type_field])

    @api.model
    def _qbo_start_date(self, company):
        return company.qbo_import_start_date

    @api.model
    def _qbo_pull_context(self, run, docs):
        """The documents Odoo holds already and what the page's documents refer to, read at once."""
        qbo_ids = [str(doc["Id"]) for doc in docs]
        held = self._qbo_held_ids(run, qbo_ids)
        deferred = self._qbo_deferred_ids(run, [doc for doc in docs if str(doc["Id"]) not in held])
        imported = {record.qbo_id: record for record in self._qbo_imported_records(run, qbo_ids)}
        todo = [doc for doc in docs if str(doc["Id"]) not in held | deferred or (
            str(doc["Id"]) in imported and imported[str(doc["Id"])].qbo_sync_token != str(doc.get("SyncToken")))]
        return {
            "held": held,
            "imported": imported,
            "deferred": deferred,
            "refs": self._qbo_resolve_refs(run, todo) if todo else {},
            "names": self._qbo_taken_names(run, todo),
            "settings": run.company._qbo_export_settings(run.client),
        }

    @api.model
    def _qbo_held_ids(self, run, qbo_ids, query=None):
        """Which of these QuickBooks Ids Odoo holds already, read in this transaction and on a connection of its
        own, after QuickBooks answered: an export committed since this transaction began counts too.

        :param str query: selecting ``qbo_id`` with parameters company and Ids (default: this kind of move)
        """
        params = [run.company.id, qbo_ids]
        if query is None:
            query = "SELECT qbo_id FROM account_move WHERE company_id = %s AND qbo_id = ANY(%s) AND move_type = %s"
            params.append(self._qbo_move_type)
        self.env.flush_all()
        self.env.cr.execute(query, params)
        held = {row[0] for row in self.env.cr.fetchall()}
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(query, params)
            held.update(row[0] for row in cr.fetchall())
        return held

    @api.model
    def _qbo_deferred_ids(self, run, docs):
        """The Ids of ``docs`` an export whose answer Odoo has not recorded yet may have created (found by its
        attempt: created after it was sent, same date and total): read again next time."""
        unsettled = self.env["qbo.export.attempt"]._qbo_unsettled_moves(run.company)
        return {str(doc["Id"]) for doc in docs if any(
            str(date) == doc.get("TxnDate") and cents(total) == cents(doc.get("TotalAmt") or 0)
            and parse_qbo_time(doc["MetaData"]["CreateTime"]) >= sent_at - CLOCK_MARGIN
            for date, total, sent_at in unsettled)}

    @api.model
    def _qbo_imported_records(self, run, qbo_ids):
        """The Odoo documents imported from these QuickBooks Ids."""
        return self.env["account.move"].search([
            ("company_id", "=", run.company.id), ("move_type", "=", self._qbo_move_type),
            ("qbo_id", "in", qbo_ids), ("qbo_imported", "=", True)])

    @api.model
    def _qbo_pull_one(self, run, doc, context):
        move = context["imported"].get(str(doc["Id"]))
        if move:
            return self._qbo_apply_remote(run, move, doc, context)
        if str(doc["Id"]) in context["held"]:
            return False  # exported from Odoo: its changes follow the event rules
        if str(doc["Id"]) in context["deferred"]:
            if str(doc["Id"]) not in run.retry_ids:
                run.retry_ids.append(str(doc["Id"]))
            return False
        move = self._qbo_create_moves(run, [doc], context)
        run.report.imported += 1
        self._qbo_settle_move(run, move, doc, "create", _("Imported from QuickBooks:"))
        return True

    @api.model
    def _qbo_pull_docs(self, run, docs, context=None):
        """The page's new documents are created and posted together, in one savepoint (Odoo's costs per
        call are paid once per page); when one of them fails, the engine takes them one by one, each in
        its own savepoint, so that a bad document stops only itself."""
        context = context if context is not None else self._qbo_pull_context(run, docs)
        fresh = []
        for doc in docs:
            qbo_id = str(doc["Id"])
            if qbo_id in run.seen or qbo_id in context["held"] or qbo_id in context["imported"] \
                    or qbo_id in context["deferred"]:
                continue
            if run.report.work + len(fresh) >= run.limit:
                break
            fresh.append(doc)
        if len(fresh) > 1:
            before = list(run.logs), dict(run.notes), run.report.held, list(run.report.errors), set(context["names"])
            try:
                with self.env.cr.savepoint():
                    moves = self._qbo_create_moves(run, fresh, context)
                    self._qbo_settle_moves(run, list(zip(moves, fresh)), "create", _("Imported from QuickBooks:"))
            except (UserError, ValidationError, AccessError) as error:
                _logger.info("QuickBooks: a page of %s handled one by one: %s", self._qbo_entity, error)
                run.logs, run.notes, run.report.held, run.report.errors, context["names"] = before
            else:
                run.seen.update(str(doc["Id"]) for doc in fresh)
                run.report.imported += len(fresh)
                run.report.work += len(fresh)
        return super()._qbo_pull_docs(run, docs, context=context)

    @api.model
    def _qbo_create_moves(self, run, docs, context):
        """Create the Odoo documents (in draft) of QuickBooks documents, in one call."""
        journal = self._qbo_import_journal(run.company)
        return self.env["account.move"].with_company(run.company).with_context(
            qbo_no_push=True, qbo_import=True).create([{
                **self._qbo_move_values(run, doc, context),
                "move_type": self._qbo_move_type,
                "journal_id": journal.id,
                "qbo_id": str(doc["Id"]),
                "qbo_imported": True,
                "qbo_imported_entity": self._qbo_entity,
            } for doc in docs])

    @api.model
    def _qbo_apply_remote(self, run, move, doc, context):
        """Bring a document imported from QuickBooks to QuickBooks' new version as the company's rule says:
        by default rewritten (reset to draft and posted again when equal to the cent), cancelled when voided
        there; flagged for review instead, nothing changed, once it has payments in Odoo."""
        if move.qbo_sync_token == str(doc.get("SyncToken")) or move.state == "cancel":
            return False
        voided = self.env["qbo.event.processor"]._qbo_is_voided(doc)
        action = self.env["qbo.event.rule"]._qbo_action(run.company, "imported_voided" if voided else "imported_updated")
        if self.env.context.get("qbo_force_update"):
            action = "cancel" if voided else "update"  # asked for by a click (Books in Step: take QuickBooks' version)
        if action == "ignore":
            move._qbo_write({"qbo_sync_token": str(doc["SyncToken"])})  # Odoo keeps its version
            return False
        if action == "review" or move._qbo_has_payments():
            change = "voided" if voided else "changed"
            lines = [_("Voided in QuickBooks.")] if voided else self._qbo_remote_difference(move, doc)
            if action != "review":
                lines.append(_("It has payments in Odoo: nothing was changed in Odoo; unreconcile them and the "
                               "next change made in QuickBooks is applied."))
            return self._qbo_flag(run, move, change, lines)
        if voided:
            self._qbo_cancel_imported(move)
            move._qbo_write({"qbo_sync_token": str(doc["SyncToken"])})
            run.logs.append(self._qbo_pull_log_values(run, move, "update", "success", _("Voided in QuickBooks")))
            run.notes[move] = _("Voided in QuickBooks: cancelled in Odoo.")
            run.report.updated += 1
            return True
        editable = move.with_context(qbo_import=True, qbo_no_push=True)
        if move.state == "posted":
            editable.button_draft()
        values = self._qbo_move_values(run, doc, context)
        values["invoice_line_ids"] = [Command.clear(), *values["invoice_line_ids"]]
        editable.write(values)
        run.report.updated += 1
        self._qbo_settle_move(run, move, doc, "update", _("Updated from QuickBooks:"))
        return True

    @api.model
    def _qbo_remote_difference(self, move, doc):
        """What QuickBooks' new version changes, in lines that show both figures."""
        if self._qbo_party_kind() == "customer":
            lines = self.env["qbo.event.processor"]._qbo_invoice_difference(move, doc)
        else:
            difference = amounts_differ(doc, {"total": move.amount_total, "tax": move.amount_tax})
            lines = [_("Total: %(odoo_total)s in Odoo, %(qbo_total)s in QuickBooks", **difference)] if difference else []
        return lines or [_("Changed in QuickBooks (lines, dates or references); the amounts are the same.")]

    @api.model
    def _qbo_flag(self, run, move, change, lines):
        """Flag a change QuickBooks made for review (chatter note and activity, once per difference)."""
        if move.qbo_remote_change == change and move.qbo_remote_difference == "\n".join(lines):
            return False
        summary = _("Voided in QuickBooks") if change == "voided" else _("Deleted in QuickBooks") \
            if change == "deleted" else _("Changed in QuickBooks")
        self.env["qbo.event.processor"]._qbo_review(move, summary, lines, change)
        run.logs.append(self._qbo_pull_log_values(run, move, "update", "success",
                                                  "%s: %s" % (summary, " ".join(lines))))
        run.report.flagged += 1
        return True

    @api.model
    def _qbo_settle_move(self, run, move, doc, operation, label):
        self._qbo_settle_moves(run, [(move, doc)], operation, label)

    @api.model
    def _qbo_settle_moves(self, run, pairs, operation, label):
        """Post the documents whose amounts equal QuickBooks' (together), hold the others in draft with both
        figures.

        :param list pairs: ``[(move, QuickBooks document)]``
        """
        to_post = []
        for move, doc in pairs:
            if move.currency_id != run.company.currency_id and doc.get("ExchangeRate"):
                # QuickBooks gives home currency per unit of the document's; Odoo the reverse (set once the
                # date is, which computes Odoo's own rate).
                move.invoice_currency_rate = 1 / float(doc["ExchangeRate"])
            message = self._qbo_check_amounts(move, doc)
            move._qbo_write({"qbo_state": "error" if message else "imported", "qbo_error": message or False,
                             "qbo_sync_token": str(doc.get("SyncToken", "")),
                             "qbo_remote_change": False, "qbo_remote_difference": False})
            if message:
                run.report.held += 1
                run.report.errors.append((move.display_name, message))
            else:
                to_post.append((move, doc))
            run.logs.append(dict(self._qbo_pull_log_values(run, move, operation, "error" if message else "success",
                                                           message), qbo_doc_number=doc.get("DocNumber") or False))
            run.notes[move] = Markup("%s %s%s") % (label, self._qbo_pull_label(doc),
                                                   Markup("<br/>%s") % message if message else "")
        if to_post:
            self.env["account.move"].concat(*(move for move, _doc in to_post)).with_context(
                qbo_import=True).action_post()
            for move, doc in to_post:
                self._qbo_after_post(run, move, doc)

    @api.model
    def _qbo_after_post(self, run, move, doc):
        """What follows the posting of an imported document (a sales receipt: its payment)."""

    @api.model
    def _qbo_pull_deleted(self, run, entity, qbo_ids):
        """Documents imported from QuickBooks and deleted there follow the company's rule for voided ones:
        cancelled in Odoo by default (flagged for review when paid)."""
        moves = self.env["account.move"].search([
            ("company_id", "=", run.company.id), ("move_type", "=", self._qbo_move_type), ("qbo_id", "in", qbo_ids),
            ("qbo_imported", "=", True), ("state", "!=", "cancel")])
        action = self.env["qbo.event.rule"]._qbo_action(run.company, "imported_voided")
        for move in moves if action != "ignore" else ():
            if action == "review" or move._qbo_has_payments():
                lines = [_("It has payments in Odoo: nothing was changed in Odoo.")] if action != "review" else []
                self._qbo_flag(run, move, "deleted", lines + [_("QuickBooks no longer holds it.")])
                continue
            self._qbo_cancel_imported(move)
            message = _("Deleted in QuickBooks: cancelled in Odoo.")
            run.logs.append(self._qbo_pull_log_values(run, move, "delete", "success", message))
            run.notes[move] = message

    @api.model
    def _qbo_cancel_imported(self, move):
        """Cancel in Odoo a document voided or deleted in QuickBooks (it has no payment in Odoo)."""
        editable = move.with_context(qbo_import=True, qbo_no_push=True)
        if move.state == "posted":
            editable.button_draft()
        editable.button_cancel()
        move._qbo_write({"qbo_state": "voided", "qbo_error": False})

    # === THE DOCUMENT === #

    @api.model
    def _qbo_party_kind(self):
        return "customer" if self._qbo_move_type in ("out_invoice", "out_refund") else "vendor"

    @api.model
    def _qbo_resolve_refs(self, run, docs):
        """Link (or create in Odoo) the partners, items and accounts the documents refer to.

        :return: ``{"customer"|"vendor"|"product"|"account": {qbo_id: record}}``
        """
        party = self._qbo_party_kind()
        wanted = {party: set(), "product": set(), "account": set()}
        for doc in docs:
            wanted[party].add(str(doc[f"{party.capitalize()}Ref"]["value"]))
            for line in doc.get("Line") or []:
                detail = line.get(line.get("DetailType")) or {}
                if detail.get("ItemRef"):
                    wanted["product"].add(str(detail["ItemRef"]["value"]))
                for field in ("AccountRef", "DiscountAccountRef"):
                    if detail.get(field):
                        wanted["account"].add(str(detail[field]["value"]))
        sync = self.env["qbo.master.data.sync"]
        resolved = {}
        for kind, qbo_ids in wanted.items():
            found = self.env["qbo.mapping"]._records_for(run.company, KINDS[kind].entity, qbo_ids)
            missing = qbo_ids - set(found)
            if missing:
                summary = SyncSummary()
                found.update(sync._qbo_import(run.company, kind, sync._qbo_fetch_ids(run.client, kind, missing),
                                              summary))
            resolved[kind] = found
        return resolved

    @api.model
    def _qbo_move_values(self, run, doc, context):
        """The Odoo values of a QuickBooks document: partner, dates, currency, number, lines, QuickBooks figures.

        :raise UserError: when something it refers to has no Odoo counterpart (named in the message)
        """
        refs = context["refs"]
        party = self._qbo_party_kind()
        ref = doc[f"{party.capitalize()}Ref"]
        partner = refs[party].get(str(ref["value"]))
        if not partner:
            raise UserError(_("QuickBooks %(party)s %(name)s could not be linked to an Odoo contact.",
                              party=party, name=ref.get("name") or ref["value"]))
        qbo_total, qbo_tax = qbo_amounts(doc)
        values = {
            "partner_id": partner.id,
            "invoice_date": doc["TxnDate"],
            "currency_id": self._qbo_currency(run.company, (doc.get("CurrencyRef") or {}).get("value")).id,
            "invoice_line_ids": self._qbo_line_commands(run, doc, context),
            "qbo_doc_number": doc.get("DocNumber") or False,
            "qbo_amount_total": float(qbo_total),
            "qbo_amount_tax": float(qbo_tax),
        }
        if doc.get("DocNumber") and party == "vendor":
            values["ref"] = doc["DocNumber"]  # numbered per vendor in QuickBooks: Odoo numbers bills itself
        elif doc.get("DocNumber"):
            values["name"] = self._qbo_free_name(doc, context)
        if doc.get("DueDate"):
            values["invoice_date_due"] = doc["DueDate"]
        return values

    @api.model
    def _qbo_taken_names(self, run, docs):
        """The names the documents' DocNumbers would take that the import journal already gives."""
        numbers = [doc["DocNumber"] for doc in docs if doc.get("DocNumber")]
        if not numbers or self._qbo_party_kind() != "customer":
            return set()
        return set(self.env["account.move"].search([
            ("journal_id", "=", self._qbo_import_journal(run.company).id), ("name", "in", numbers)]).mapped("name"))

    @api.model
    def _qbo_free_name(self, doc, context):
        """The DocNumber as the document's name, unless the journal gives it already: QuickBooks lets a
        DocNumber be used twice (``allowduplicatedocnum``), Odoo's journals do not; then ``DocNumber (Id)``."""
        number = doc["DocNumber"]
        own = context["imported"].get(str(doc["Id"]))
        if own and own.name == number:
            return number
        name = number if number not in context["names"] else f"{number} ({doc['Id']})"
        context["names"].add(name)
        return name

    @api.model
    def _qbo_import_journal(self, company):
        """The journal of the documents of this kind created in QuickBooks (created on first use)."""
        journal_type = "sale" if self._qbo_party_kind() == "customer" else "purchase"
        code, name = IMPORT_JOURNALS[journal_type]
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", journal_type), ("code", "=", code)], limit=1)
        return journal or self.env["account.journal"].with_company(company).create({
            "name": name, "code": code, "type": journal_type, "company_id": company.id})

    @api.model
    def _qbo_line_commands(self, run, doc, context):
        """The document's lines as Odoo invoice lines (sub-totals left out: Odoo computes them).

        A tax-inclusive document (outside the US) takes the Odoo taxes included in the price mapped to each
        line's code, at the gross QuickBooks shows (``TaxInclusiveAmt``); with none such mapped, the
        excluded ones at the net ``Amount``.
        """
        refs = context["refs"]
        us = context["settings"]["us"]
        inclusive = not us and doc.get("GlobalTaxCalculation") == "TaxInclusive"
        commands = []
        taxed = []
        for line in doc.get("Line") or []:
            kind = line.get("DetailType")
            detail = line.get(kind) or {}
            if kind in (SALES_DETAIL, ITEM_EXPENSE_DETAIL, ACCOUNT_EXPENSE_DETAIL):
                taxes = self._qbo_line_taxes(run, doc, detail, us, context.setdefault("taxes", {}), inclusive)
                gross = detail.get("TaxInclusiveAmt") if taxes and all(taxes.mapped("price_include")) else None
                amount = float(gross if gross is not None else line["Amount"])
                values = {"name": line.get("Description") or False, "tax_ids": [Command.set(taxes.ids)]}
                if kind == ACCOUNT_EXPENSE_DETAIL:
                    account = refs["account"].get(str(detail["AccountRef"]["value"]))
                    if not account:
                        raise UserError(_("QuickBooks account %s could not be linked to an Odoo account.",
                                          detail["AccountRef"].get("name") or detail["AccountRef"]["value"]))
                    values.update(account_id=account.id, quantity=1, price_unit=amount)
                else:
                    product = refs["product"].get(str(detail["ItemRef"]["value"]))
                    if not product:
                        raise UserError(_("QuickBooks item %s could not be linked to an Odoo product.",
                                          detail["ItemRef"].get("name") or detail["ItemRef"]["value"]))
                    quantity = float(detail.get("Qty") or 1)
                    price = detail.get("UnitPrice")
                    values.update(product_id=product.id, quantity=quantity, price_unit=(
                        float(price) if price is not None and gross is None else amount / quantity))
                    values["name"] = values["name"] or product.display_name
                commands.append(Command.create(values))
                taxed.append(values["tax_ids"][0][2])
            elif kind == "DiscountLineDetail":
                account = refs["account"].get(str((detail.get("DiscountAccountRef") or {}).get("value")))
                same_taxes = [ids for ids in taxed if ids]
                commands.append(Command.create({
                    "name": line.get("Description") or _("Discount"), "quantity": 1,
                    "price_unit": -float(line["Amount"]),
                    "account_id": (account or run.company.qbo_default_income_account_id).id,
                    "tax_ids": [Command.set(same_taxes[0] if same_taxes and all(
                        ids == same_taxes[0] for ids in same_taxes) else [])],
                }))
            elif kind == "DescriptionOnly" and line.get("Description"):
                commands.append(Command.create({"display_type": "line_note", "name": line["Description"]}))
        return commands

    @api.model
    def _qbo_line_taxes(self, run, doc, detail, us, cache, inclusive=False):
        """The Odoo taxes of a line, through the tax mapping (looked up once per code and page): those
        mapped to its code for sales or purchases, included in the price or not as the document is (else
        the others), one per rate (taxes mapped to one code at the same rate are alternatives; GST and PST
        on one code are two rates).

        :raise UserError: naming the QuickBooks tax code no Odoo tax is mapped to
        """
        code = str((detail.get("TaxCodeRef") or {}).get("value") or "")
        if us:
            if code != "TAX":
                return self.env["account.tax"]
            # The transaction's sales-tax code; none: the taxes mapped to TAX alone.
            code = str(((doc.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value") or "") or "TAX"
        if not code:
            return self.env["account.tax"]
        if (code, inclusive) not in cache:
            domain = [("company_id", "=", run.company.id)]
            domain += ([("qbo_line_code", "=", "TAX"), ("qbo_tax_code_id", "=", False)] if us and code == "TAX"
                       else [("qbo_tax_code_id", "=", code)])
            use = "sale" if self._qbo_party_kind() == "customer" else "purchase"
            taxes = self.env["qbo.tax.map"].search(domain).tax_id
            taxes = taxes.filtered(lambda tax: tax.type_tax_use == use) or taxes
            taxes = taxes.filtered(lambda tax: tax.price_include == inclusive) or taxes
            rates = {}
            for tax in taxes:
                rates.setdefault((tax.amount_type, tax.amount), tax)
            cache[(code, inclusive)] = self.env["account.tax"].concat(*rates.values())
        if not cache[(code, inclusive)]:
            raise UserError(_("QuickBooks tax code %s is mapped to no Odoo tax: map it (Accounting > Configuration "
                              "> QuickBooks > Taxes), then read the document again.", code))
        return cache[(code, inclusive)]

    @api.model
    def _qbo_check_amounts(self, move, doc):
        """A message with both figures when Odoo's total or tax differs from QuickBooks', else False."""
        difference = amounts_differ(doc, {"total": move.amount_total, "tax": move.amount_tax})
        if not difference:
            return False
        message = _("Amounts differ: QuickBooks total %(qbo_total)s (tax %(qbo_tax)s), Odoo total %(odoo_total)s "
                    "(tax %(odoo_tax)s); the document stays in draft until they agree.", **difference)
        rounding = abs(cents(move.amount_tax) - cents(move.qbo_amount_tax))
        if move.company_id.tax_calculation_rounding_method == "round_per_line" \
                and 0 < rounding <= cents(0.01) * len(move.invoice_line_ids):
            message += " " + _("Odoo rounds the tax of each line, QuickBooks each rate's tax on the document's sum: "
                               "rounding taxes globally (Accounting settings) makes them agree.")
        return message
