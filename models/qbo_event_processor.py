import logging
from datetime import timedelta
from decimal import Decimal

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_amount, format_date

from ..const import NOT_FOUND
from ..qbo_client import QboApiError

_logger = logging.getLogger(__name__)

# Events handled per company in one call of the processing job.
BATCH_SIZE = 500
NAME_LISTS = ("Customer", "Vendor", "Item")
# Changed entities read in one query.
READ_CHUNK = 100
# When QuickBooks is throttling or down, the pending events are tried again this much later.
RETRY_DELAY = timedelta(minutes=5)


class QboEventProcessor(models.AbstractModel):
    """Applies the changes QuickBooks reported (webhooks or change data capture) to Odoo.

    Each changed entity is read again through the API: the event only says which one. Events of one
    entity are handled together, oldest first, and the result depends only on the entity's current
    version, so a duplicate or an out-of-order delivery leaves the same result as one in-order
    delivery. What happens to an invoice or payment follows the company's ``qbo.event.rule``.
    """

    _name = "qbo.event.processor"
    _description = "QuickBooks Change Processor"

    # === ENTRY POINTS === #

    @api.model
    def _cron_qbo_process_events(self):
        """Process the pending events of every company; the runner calls again while some remain."""
        events = self.env["qbo.webhook.event"].sudo()
        companies = events.search([("state", "=", "pending")]).company_id
        done = 0
        for company in companies:
            done += self._qbo_process(company)
        remaining = events.search_count([("state", "=", "pending")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _qbo_process(self, companies, limit=BATCH_SIZE):
        """Process at most ``limit`` pending events per company; return how many were handled."""
        handled = 0
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    handled += self._qbo_process_company(company, limit)
            except (UserError, QboApiError) as error:
                # Not connected, or QuickBooks unreachable: the events stay pending for the next run.
                _logger.info("QuickBooks: changes of company %s not processed: %s", company.id, error)
        return handled

    @api.model
    def _qbo_process_company(self, company, limit):
        """Apply the company's pending events, entity by entity; return how many were closed."""
        if not self.env["qbo.sync.cursor"]._qbo_acquire(company, "events"):
            return 0  # another run is processing this company's events; they stay pending for it
        events = self.env["qbo.webhook.event"].sudo().search(
            [("company_id", "=", company.id), ("state", "=", "pending")], order="event_time, id", limit=limit)
        if not events:
            return 0
        client = company._qbo_get_client()
        groups = {}
        for event in events:
            groups.setdefault((event.qbo_entity, event.qbo_id), event.browse())
            groups[(event.qbo_entity, event.qbo_id)] |= event
        purchases = closed = events.browse()
        logs = []
        prefetched = {}
        for (entity, qbo_id), group in groups.items():
            if entity == "Purchase":
                purchases |= group
                continue
            try:
                if entity == "Preferences":
                    outcome = self._qbo_apply_preferences(company, client)
                else:
                    if entity not in prefetched:
                        prefetched[entity] = self._qbo_read_many(
                            client, entity, [key[1] for key in groups if key[0] == entity])
                    with self.env.cr.savepoint():
                        doc = prefetched[entity].get(qbo_id) or self._qbo_read(client, entity, qbo_id)
                        outcome = self._qbo_apply(company, client, entity, qbo_id, doc, group)
            except QboApiError as error:
                if error.retryable:
                    # QuickBooks is throttling or down: this and the following events wait for a later run.
                    retry_at = fields.Datetime.now() + RETRY_DELAY
                    message = self.env["qbo.fault"]._qbo_explain(error, company=company, entity=entity,
                                                                 retry_at=retry_at)
                    logs.append(self._qbo_log_values(company, group[:1], {"state": "retry", "error": message}))
                    self.env.ref("quickbooks_connector.ir_cron_qbo_process_events")._qbo_trigger_lanes(at=retry_at)
                    purchases = events.browse()
                    break
                outcome = {"state": "error", "action_taken": _("Failed"),
                           "error": self.env["qbo.fault"]._qbo_explain(error, company=company, entity=entity)}
            except (UserError, ValidationError, AccessError) as error:
                outcome = {"state": "error", "error": str(error), "action_taken": _("Failed")}
            self._qbo_close(group, outcome)
            closed |= group
            logs.append(self._qbo_log_values(company, group[:1], outcome))
        if purchases:
            outcome = self._qbo_pull_purchases(company)
            self._qbo_close(purchases, outcome)
            closed |= purchases
            logs.append(self._qbo_log_values(company, purchases[:1], outcome))
        self.env["qbo.sync.log"]._qbo_log([values for values in logs if values])
        return len(closed)

    # === READ AND DISPATCH === #

    @api.model
    def _qbo_read_many(self, client, entity, qbo_ids):
        """Return ``{Id: doc}`` for the ids QuickBooks finds in one query per ``READ_CHUNK`` ids.

        Ids missing from the answer (deleted, or inactive name-list records) are read one by one later.
        """
        docs = {}
        for start in range(0, len(qbo_ids), READ_CHUNK):
            ids = ", ".join(f"'{qbo_id}'" for qbo_id in qbo_ids[start:start + READ_CHUNK] if qbo_id.isdigit())
            if not ids:
                continue
            try:
                answer = client.query(f"SELECT * FROM {entity} WHERE Id IN ({ids}) MAXRESULTS {READ_CHUNK}")
            except QboApiError as error:
                if error.retryable:
                    raise
                _logger.info("QuickBooks: %s changes read one by one (%s)", entity, error)
                return docs
            docs.update((str(doc["Id"]), doc) for doc in answer.get(entity, []))
        return docs

    @api.model
    def _qbo_read(self, client, entity, qbo_id):
        """Return the entity's current version, or None when QuickBooks no longer has it."""
        try:
            return client.read(entity, qbo_id)
        except QboApiError as error:
            if error.code == NOT_FOUND:
                return None
            raise

    @api.model
    def _qbo_apply(self, company, client, entity, qbo_id, doc, events):
        """Apply one entity's current version; return the outcome (values of the events)."""
        if entity == "Invoice":
            return self._qbo_apply_invoice(company, qbo_id, doc)
        if entity == "Payment":
            return self._qbo_apply_payment(company, client, qbo_id, doc)
        if entity in NAME_LISTS:
            return self._qbo_apply_name_list(company, entity, qbo_id, doc, events)
        if self._qbo_import_follows(company, entity):
            return self._qbo_hand_to_import()
        return {"state": "ignored", "action_taken": _("Not followed")}

    @api.model
    def _qbo_import_follows(self, company, entity):
        """Whether the company imports the documents of this entity created in QuickBooks."""
        return company.qbo_import_documents and any(
            adapter._qbo_entity == entity and company[adapter._qbo_type_field]
            for adapter in self.env["qbo.document.import"]._qbo_import_adapters())

    @api.model
    def _qbo_hand_to_import(self, record=None):
        """Wake the import of documents: it reads what changed since its cursor and applies the company's
        rules (a document exported from Odoo is left to the rules of this processor)."""
        self.env.ref("quickbooks_connector.ir_cron_qbo_import_documents")._qbo_trigger_lanes()
        return {"record": record, "action_taken": _("Created in QuickBooks: the import of documents follows it")}

    @api.model
    def _qbo_close(self, events, outcome):
        values = {"state": "done", "error": False, "processed_at": fields.Datetime.now(), **outcome}
        record = values.pop("record", None)
        if record:
            values.update(res_model=record._name, res_id=record.id)
        events.write(values)

    # === INVOICES === #

    @api.model
    def _qbo_apply_invoice(self, company, qbo_id, doc):
        move = self.env["account.move"].sudo().search([
            ("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("qbo_id", "=", qbo_id)], limit=1)
        if not move and self._qbo_import_follows(company, "Invoice") or move.qbo_imported:
            return self._qbo_hand_to_import(move)
        if not move:
            return {"state": "ignored", "action_taken": _("Invoice not synchronized with Odoo")}
        sync_token = doc["SyncToken"] if doc else "deleted"
        base = {"record": move, "qbo_sync_token": sync_token}
        if move.state == "cancel" or move.qbo_state == "voided":
            return {**base, "action_taken": _("Already cancelled in Odoo")}
        if doc is None or self._qbo_is_voided(doc):
            return {**base, **self._qbo_invoice_voided(company, move, doc)}
        if doc["SyncToken"] == move.qbo_sync_token:
            return {**base, "action_taken": _("No change (the version Odoo sent)")}
        difference = self._qbo_invoice_difference(move, doc)
        if not difference:
            if move.qbo_remote_change == "changed":
                move._qbo_clear_remote_change()
                move._message_log(body=_("The change made in QuickBooks was undone there: the invoice is the same "
                                         "on both sides again."))
            return {**base, "action_taken": _("No difference with Odoo")}
        action = self.env["qbo.event.rule"]._qbo_action(company, "invoice_updated")
        if action == "ignore":
            return {**base, "state": "ignored", "action_taken": _("Ignored (rule)")}
        detail = "\n".join(difference)
        if self._qbo_already_flagged(company, "Invoice", qbo_id, detail):
            return {**base, "action_taken": _("Already flagged")}
        self._qbo_review(move, _("Changed in QuickBooks"), difference, "changed")
        return {**base, "action_taken": _("Flagged for review"), "detail": detail}

    @api.model
    def _qbo_invoice_voided(self, company, move, doc):
        action = self.env["qbo.event.rule"]._qbo_action(company, "invoice_voided")
        summary = _("Voided in QuickBooks") if doc else _("Deleted in QuickBooks")
        if action == "ignore":
            return {"state": "ignored", "action_taken": _("Ignored (rule)")}
        has_payments = move._qbo_has_payments()
        if action == "cancel" and not has_payments:
            move._qbo_write({"qbo_state": "voided"})
            move.button_cancel()
            move._message_log(body=Markup("<strong>%s</strong><br/>%s") % (
                summary, _("The invoice was cancelled in Odoo as the QuickBooks rule asks.")))
            return {"action_taken": _("Cancelled in Odoo")}
        if self._qbo_already_flagged(company, "Invoice", move.qbo_id, summary):
            return {"action_taken": _("Already flagged")}
        reason = [_("The invoice has payments in Odoo: it was not cancelled.")] if action == "cancel" else []
        self._qbo_review(move, summary, reason + [_("Nothing was changed in Odoo.")], "voided" if doc else "deleted")
        return {"action_taken": _("Flagged for review"), "detail": summary}

    @api.model
    def _qbo_is_voided(self, doc):
        return str(doc.get("PrivateNote") or "").startswith("Voided") and not Decimal(str(doc.get("TotalAmt") or 0))

    @api.model
    def _qbo_invoice_difference(self, move, doc):
        """Return what differs between an Odoo invoice and its QuickBooks version (amounts, lines, dates)."""
        currency = move.currency_id
        difference = []

        def money(amount):
            return currency.round(float(Decimal(str(amount or 0))))

        def show(amount):
            return format_amount(self.env, amount, currency)

        total = money(doc.get("TotalAmt"))
        if float_compare(total, move.amount_total, precision_rounding=currency.rounding):
            difference.append(_("Total: %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                                odoo=show(move.amount_total), qbo=show(total)))
        # The lines were sent in Odoo's order: compare them one by one, naming each.
        qbo_lines = [line for line in doc.get("Line") or [] if line.get("DetailType") == "SalesItemLineDetail"]
        odoo_lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        for number, (odoo_line, qbo_line) in enumerate(zip(odoo_lines, qbo_lines), start=1):
            odoo_amount, qbo_amount = currency.round(odoo_line.price_subtotal), money(qbo_line.get("Amount"))
            if float_compare(odoo_amount, qbo_amount, precision_rounding=currency.rounding):
                difference.append(_("Line %(number)s (%(name)s): %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                                    number=number, name=(odoo_line.name or "").split("\n")[0],
                                    odoo=show(odoo_amount), qbo=show(qbo_amount)))
        if len(odoo_lines) != len(qbo_lines):
            difference.append(_("Lines: %(odoo)s in Odoo, %(qbo)s in QuickBooks",
                                odoo=len(odoo_lines), qbo=len(qbo_lines)))
        for label, key, value in ((_("Date"), "TxnDate", move.invoice_date),
                                  (_("Due date"), "DueDate", move.invoice_date_due)):
            remote = doc.get(key) and fields.Date.to_date(doc[key])
            if remote and value and remote != value:
                difference.append(_("%(label)s: %(odoo)s in Odoo, %(qbo)s in QuickBooks", label=label,
                                    odoo=format_date(self.env, value), qbo=format_date(self.env, remote)))
        return difference

    @api.model
    def _qbo_review(self, move, summary, lines, change):
        """Flag the invoice as ``change``d in QuickBooks (its badge and form say so until someone reviews it or
        exports Odoo's version), tell what QuickBooks changed in its chatter and ask someone to review it."""
        move._qbo_write({"qbo_remote_change": change, "qbo_remote_difference": "\n".join(lines)})
        body = Markup("<strong>%s</strong><ul>%s</ul>") % (
            summary, Markup("").join(Markup("<li>%s</li>") % line for line in lines))
        move._message_log(body=body)
        move.activity_schedule(
            "mail.mail_activity_data_todo", summary=_("Review the QuickBooks change"), note=body,
            user_id=(move.qbo_export_requested_by or move.invoice_user_id or self.env.user).id,
        )

    @api.model
    def _qbo_already_flagged(self, company, entity, qbo_id, detail):
        """Whether the last difference reported for this entity is ``detail``: then it is not reported again."""
        last = self.env["qbo.webhook.event"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "=", entity), ("qbo_id", "=", qbo_id),
            ("state", "=", "done"), ("detail", "!=", False)], order="processed_at desc, id desc", limit=1)
        return last.detail == detail

    # === PAYMENTS === #

    @api.model
    def _qbo_apply_payment(self, company, client, qbo_id, doc):
        payment = self.env["account.payment"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "=", "Payment"), ("qbo_id", "=", qbo_id)], limit=1)
        if doc is None:
            return {"state": "ignored", "record": payment,
                    "action_taken": _("Deleted in QuickBooks: left to the payment sync")}
        if self.env["qbo.event.rule"]._qbo_action(company, "payment_created") == "ignore":
            return {"state": "ignored", "record": payment,
                    "action_taken": _("Ignored (rule): left to the payment sync")}
        report = self.env["qbo.payment.pull"].sudo()._qbo_pull_now(company, [doc])
        if report.errors:
            raise UserError("; ".join(f"{label}: {message}" for label, message in report.errors))
        payment = payment or self.env["account.payment"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "=", "Payment"), ("qbo_id", "=", qbo_id)], limit=1)
        return {"record": payment, "qbo_sync_token": doc["SyncToken"], "action_taken": str(report.message())}

    # === NAME LISTS AND PURCHASES === #

    @api.model
    def _qbo_apply_name_list(self, company, entity, qbo_id, doc, events):
        """Refresh the mapping of a customer, vendor or item (name and SyncToken); drop one merged away."""
        mapping_model = self.env["qbo.mapping"].sudo()
        merged_away = [event.deleted_id for event in events if event.deleted_id]
        if merged_away:
            mapping_model.search([("company_id", "=", company.id), ("qbo_entity", "=", entity),
                                  ("qbo_id", "in", merged_away)]).unlink()
        mapping = mapping_model.search([("company_id", "=", company.id), ("qbo_entity", "=", entity),
                                        ("qbo_id", "=", qbo_id)], limit=1)
        if not mapping:
            return {"state": "ignored", "action_taken": _("Not linked to an Odoo record")}
        if doc is None:
            return {"state": "ignored", "action_taken": _("Deleted in QuickBooks")}
        mapping.write({"qbo_sync_token": doc["SyncToken"], "qbo_name": doc.get("DisplayName") or doc.get("Name"),
                       "last_sync_date": fields.Datetime.now()})
        record = self.env[mapping.res_model].sudo().browse(mapping.res_id).exists()
        return {"record": record, "qbo_sync_token": doc["SyncToken"], "action_taken": _("Mapping refreshed")}

    @api.model
    def _qbo_apply_preferences(self, company, client):
        """Read the QuickBooks company's settings again: exports depend on them."""
        company._qbo_connection()._qbo_refresh_settings(client)
        return {"action_taken": _("QuickBooks company settings read again")}

    @api.model
    def _qbo_pull_purchases(self, company):
        """Run the expense pull (it reads every purchase changed since its cursor)."""
        try:
            with self.env.cr.savepoint():
                report = self.env["qbo.expense.pull"].sudo()._qbo_pull_expenses(company)
        except (UserError, QboApiError) as error:
            return {"state": "error", "error": str(error), "action_taken": _("Expense pull failed")}
        return {"action_taken": str(report.message())[:200]}

    # === TOOLING === #

    @api.model
    def _qbo_log_values(self, company, event, outcome):
        """The sync log row of a processed change, or None when nothing was done (the change list shows
        those: the log keeps the exchanges that did something or failed)."""
        if outcome.get("state") == "ignored":
            return None
        record = outcome.get("record") or None
        status = outcome.get("state") if outcome.get("state") in ("error", "retry") else "success"
        return {
            "company_id": company.id, "direction": "import", "operation": "read", "qbo_entity": event.qbo_entity,
            "qbo_id": event.qbo_id, "status": status, "res_model": record and record._name,
            "res_id": record and record.id, "res_name": record and record.display_name,
            "message": outcome.get("error") or outcome.get("action_taken"),
        }
