from markupsafe import Markup

from odoo import Command, _, api, models
from odoo.exceptions import UserError

from odoo.addons.quickbooks_connector.qbo_payload.account_move import ESTIMATE, amounts_differ, qbo_amounts

# The Estimate statuses a quotation created in QuickBooks follows without anyone looking (the others: a note).
OPEN_STATUSES = ("Pending", "Accepted")


class QboEstimateImport(models.AbstractModel):
    """Estimates created in QuickBooks become quotations in Odoo, when the company imports documents created in
    QuickBooks and estimates among them (an adapter of the import of documents: same cursor, lanes, customers,
    items, taxes and currency). A quotation whose amounts differ from QuickBooks' is marked with both figures.
    While it is a quotation, QuickBooks' changes rewrite it and a deletion cancels it; once confirmed in Odoo, a
    change is flagged for review, nothing changed. Estimates Odoo sent are never imported back."""

    _name = "qbo.estimate.import"
    _inherit = "qbo.document.import"
    _description = "QuickBooks Import of Estimates"

    _qbo_stream = "import_estimate"
    _qbo_entity = ESTIMATE
    _qbo_move_type = "out_invoice"  # its lines are sales lines, its party a customer
    _qbo_type_field = "qbo_import_estimates"

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_held_ids(self, run, qbo_ids, query=None):
        # EXTENDS quickbooks_connector: the orders Odoo holds.
        return super()._qbo_held_ids(
            run, qbo_ids, query=query or "SELECT qbo_id FROM sale_order WHERE company_id = %s AND qbo_id = ANY(%s)")

    @api.model
    def _qbo_deferred_ids(self, run, docs):
        """The Estimates an export of an order still running may have created (same total)."""
        unsettled = {round(total, 2) for total, _sent_at in self.env["qbo.export.attempt"]._qbo_unsettled(
            run.company, "sale.order", ("amount_total",))}
        return {str(doc["Id"]) for doc in docs if round(float(doc.get("TotalAmt") or 0), 2) in unsettled}

    @api.model
    def _qbo_imported_records(self, run, qbo_ids):
        return self.env["sale.order"].search([
            ("company_id", "=", run.company.id), ("qbo_id", "in", qbo_ids), ("qbo_imported", "=", True)])

    @api.model
    def _qbo_taken_names(self, run, docs):
        return set()  # an Estimate's number is the quotation's customer reference, not its name

    @api.model
    def _qbo_create_moves(self, run, docs, context):
        """Create the quotations of the Estimates, in one call."""
        return self.env["sale.order"].with_company(run.company).with_context(qbo_import=True).create([{
            **self._qbo_order_values(run, doc, context),
            "qbo_id": str(doc["Id"]),
            "qbo_imported": True,
        } for doc in docs])

    @api.model
    def _qbo_settle_moves(self, run, pairs, operation, label):
        """Record QuickBooks' figures and status on the quotations; mark those whose amounts differ."""
        for order, doc in pairs:
            qbo_total, _qbo_tax = qbo_amounts(doc)
            difference = amounts_differ(doc, {"total": order.amount_total, "tax": order.amount_tax})
            message = difference and self.env["qbo.export.engine"]._qbo_difference_message(difference)
            order._qbo_write({"qbo_state": "error" if message else "imported", "qbo_error": message or False,
                              "qbo_sync_token": str(doc.get("SyncToken", "")), "qbo_amount_total": float(qbo_total),
                              "qbo_doc_number": doc.get("DocNumber") or False,
                              "qbo_estimate_status": doc.get("TxnStatus") or "Pending",
                              "qbo_remote_change": False, "qbo_remote_difference": False})
            if message:
                run.report.held += 1
                run.report.errors.append((order.display_name, message))
            run.logs.append(dict(self._qbo_pull_log_values(run, order, operation, "error" if message else "success",
                                                           message), qbo_doc_number=doc.get("DocNumber") or False))
            run.notes[order] = Markup("%s %s%s") % (label, self._qbo_pull_label(doc),
                                                    Markup("<br/>%s") % message if message else "")

    @api.model
    def _qbo_apply_remote(self, run, order, doc, context):
        """A quotation follows QuickBooks' new version of its Estimate (lines rewritten while it is a quotation
        and the Estimate open); a confirmed or cancelled order, or an Estimate closed or rejected, gets the
        change flagged for review and the status shown, nothing else changed."""
        if order.qbo_sync_token == str(doc.get("SyncToken")):
            return False
        status = doc.get("TxnStatus") or "Pending"
        if order.state in ("draft", "sent") and status in OPEN_STATUSES:
            order.with_context(qbo_import=True).write(dict(self._qbo_order_values(run, doc, context),
                                                           order_line=[Command.clear(), *self._qbo_order_lines(
                                                               run, doc, context)]))
            run.report.updated += 1
            self._qbo_settle_moves(run, [(order, doc)], "update", _("Updated from QuickBooks:"))
            return True
        order._qbo_write({"qbo_sync_token": str(doc.get("SyncToken", "")), "qbo_estimate_status": status})
        difference = amounts_differ(doc, {"total": order.amount_total, "tax": order.amount_tax})
        if not difference:
            return False
        return self._qbo_flag(run, order, "changed", [
            _("Total: %(odoo_total)s in Odoo, %(qbo_total)s in QuickBooks", **difference)])

    @api.model
    def _qbo_flag(self, run, order, change, lines):
        if order.qbo_remote_change == change and order.qbo_remote_difference == "\n".join(lines):
            return False
        summary = _("Deleted in QuickBooks") if change == "deleted" else _("Changed in QuickBooks")
        self.env["qbo.event.processor"]._qbo_order_news(order, summary, change, "\n".join(lines))
        run.logs.append(self._qbo_pull_log_values(run, order, "update", "success", f"{summary}: {' '.join(lines)}"))
        run.report.flagged += 1
        return True

    @api.model
    def _qbo_pull_deleted(self, run, entity, qbo_ids):
        """A quotation whose Estimate was deleted in QuickBooks is cancelled; a confirmed order is flagged."""
        orders = self.env["sale.order"].search([
            ("company_id", "=", run.company.id), ("qbo_id", "in", qbo_ids), ("qbo_imported", "=", True),
            ("state", "!=", "cancel")])
        for order in orders:
            if order.state != "sale":
                order.with_context(qbo_import=True)._action_cancel()
                message = _("Deleted in QuickBooks: cancelled in Odoo.")
                run.logs.append(self._qbo_pull_log_values(run, order, "delete", "success", message))
                run.notes[order] = message
            else:
                self._qbo_flag(run, order, "deleted", [_("QuickBooks no longer holds it.")])

    # === THE QUOTATION === #

    @api.model
    def _qbo_order_values(self, run, doc, context):
        """The quotation's partner, dates, currency (through a pricelist in that currency) and number."""
        ref = doc["CustomerRef"]
        partner = context["refs"]["customer"].get(str(ref["value"]))
        if not partner:
            raise UserError(_("QuickBooks customer %s could not be linked to an Odoo contact.",
                              ref.get("name") or ref["value"]))
        currency = self._qbo_currency(run.company, (doc.get("CurrencyRef") or {}).get("value"))
        order = {
            "partner_id": partner.id,
            "date_order": doc["TxnDate"],
            "validity_date": doc.get("ExpirationDate") or False,
            "order_line": self._qbo_order_lines(run, doc, context),
        }
        if doc.get("DocNumber"):
            order["client_order_ref"] = doc["DocNumber"]
        if currency != run.company.currency_id:
            order["pricelist_id"] = self._qbo_pricelist(run.company, currency).id
        return order

    @api.model
    def _qbo_order_lines(self, run, doc, context):
        """The Estimate's lines as quotation lines (from the invoice lines the import of documents reads: lines
        on an account, and discounts, take the company's item for lines without product)."""
        lines = []
        for command in self._qbo_line_commands(run, doc, context):
            values = command[2]
            if values.get("display_type"):
                lines.append(Command.create({"display_type": values["display_type"], "name": values["name"]}))
                continue
            product_id = values.get("product_id") or run.company.qbo_default_product_id.id
            lines.append(Command.create({
                "product_id": product_id, "name": values.get("name") or False,
                "product_uom_qty": values.get("quantity", 1), "price_unit": values["price_unit"],
                "tax_id": values["tax_ids"],
            }))
        return lines

    @api.model
    def _qbo_pricelist(self, company, currency):
        """A pricelist in ``currency`` for the quotations in it (created on first use)."""
        pricelist = self.env["product.pricelist"].search(
            [("currency_id", "=", currency.id), ("company_id", "in", (company.id, False))], limit=1)
        return pricelist or self.env["product.pricelist"].create({
            "name": _("QuickBooks %s", currency.name), "currency_id": currency.id, "company_id": company.id})
