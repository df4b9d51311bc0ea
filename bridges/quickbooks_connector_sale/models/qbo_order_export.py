from odoo import _, api, fields, models
from odoo.tools import html2plaintext, is_html_empty

from odoo.addons.quickbooks_connector.qbo_payload.account_move import (
    ESTIMATE,
    PayloadError,
    build_move_payload,
    qbo_amounts,
)


class QboOrderExport(models.AbstractModel):
    """Quotations and sales orders to QuickBooks Online as Estimates: an adapter of the export engine.

    An Estimate is built as an invoice is (``qbo_payload.account_move``), with the customers, items, taxes and
    currency the invoices' export resolves, and checked to the cent the same way. A cancelled order already in
    QuickBooks rejects its Estimate.
    """

    _name = "qbo.order.export"
    _inherit = "qbo.export.engine"
    _description = "QuickBooks Export of Sales Orders"

    _qbo_model = "sale.order"
    _qbo_requestid_tag = "so"
    _qbo_retry_cron = "quickbooks_connector.ir_cron_qbo_export"

    # === ENGINE HOOKS === #

    @api.model
    def _qbo_prepare(self, run, orders):
        # Orders cancelled before they ever reached QuickBooks have nothing to send.
        never_sent = orders.filtered(lambda order: order.state == "cancel" and not order.qbo_id)
        for order in never_sent:
            run.values.setdefault(order.id, {}).update(qbo_state="not_exported", qbo_error=False)
        up_to_date = orders.filtered(lambda order: order.qbo_state == "exported" and order.qbo_id)
        run.report.unchanged += len(up_to_date)
        return orders - never_sent - up_to_date

    @api.model
    def _qbo_entity(self, order):
        return ESTIMATE

    @api.model
    def _qbo_resolve(self, run, orders):
        """Resolve the customers, items and taxes of the orders for the whole selection (see
        ``qbo.move.export._qbo_resolve``)."""
        moves = self.env["qbo.move.export"]
        lines = orders.order_line.filtered(lambda line: not line.display_type)
        products = lines.product_id
        if lines.filtered(lambda line: not line.product_id):
            products |= run.company.qbo_default_product_id
        resolved = {"errors": {}, "tax_values": {}}
        foreign = moves._qbo_foreign_partners(run, orders)
        resolved["customer"] = moves._qbo_resolve_kind(run, "customer", orders.partner_id.commercial_partner_id,
                                                       resolved["errors"], False, foreign)
        resolved["product"] = moves._qbo_resolve_kind(run, "product", products, resolved["errors"], False, {})
        taxes = lines.tax_id | lines.tax_id.flatten_taxes_hierarchy()
        resolved["tax_maps"] = self.env["qbo.tax.map"]._qbo_maps_for(run.company, taxes)
        resolved["project"] = moves._qbo_resolve_projects(run, orders, resolved, project_of=self._qbo_order_project)
        return resolved

    @api.model
    def _qbo_order_project(self, order):
        """The project (an account of the projects plan) all the order's lines are on, if one."""
        projects = self.env["account.analytic.account"]._qbo_projects_of(
            order.order_line.filtered(lambda line: not line.display_type).mapped("analytic_distribution"))
        return projects if len(projects) == 1 else projects.browse()

    @api.model
    def _qbo_build(self, run, order, resolved):
        """Return ``("Estimate", payload, expected)`` for ``order``.

        :raise PayloadError: when its customer, an item or a tax is not in QuickBooks, or it cannot be expressed
        """
        moves = self.env["qbo.move.export"]
        self._qbo_check_home_currency(run, order.company_id)
        partner_id = moves._qbo_party_id(resolved, "customer", order.partner_id)
        lines = []
        for line in order.order_line.sorted(lambda line: (line.sequence, line.id)):
            if line.display_type in ("line_section", "line_note"):
                lines.append({"display_type": line.display_type, "description": line.name or ""})
            elif not line.display_type:
                lines.append(self._qbo_line_values(line, resolved))
        settings = moves._qbo_sales_settings(run, resolved, lines)
        note = "" if is_html_empty(order.note) else html2plaintext(order.note or "")
        values = {
            "entity": ESTIMATE,
            "move_type": "out_invoice",
            "name": order.name,
            "ref": order.client_order_ref,
            "narration": note,
            "invoice_date": fields.Date.to_string(fields.Date.context_today(order, order.date_order)),
            "expiration_date": fields.Date.to_string(order.validity_date) if order.validity_date else None,
            # A cancelled order rejects its Estimate; otherwise what QuickBooks says of it is kept.
            "txn_status": "Rejected" if order.state == "cancel" else order.qbo_estimate_status or None,
            "currency": order.currency_id.name,
            "exchange_rate": 1 / order.currency_rate if order.currency_rate else 0,
            "amount_untaxed": order.amount_untaxed,
            "amount_tax": order.amount_tax,
            "amount_total": order.amount_total,
            "email": order.partner_id.email,
            "partner_qbo_id": partner_id,
            "term_qbo_id": None,
            "lines": lines,
            "tax_lines": [],
        }
        entity, payload, expected = build_move_payload(values, settings)
        moves._qbo_put_on_project(payload, self._qbo_order_project(order), resolved)
        return entity, payload, expected

    @api.model
    def _qbo_line_values(self, line, resolved):
        product = line.product_id or line.company_id.qbo_default_product_id
        item_id = resolved["product"].get(product.id) if product else None
        if not item_id:
            if not product:
                raise PayloadError(_("the line %s has no product: choose the QuickBooks item for lines without "
                                     "product in the settings", line.name or ""))
            raise PayloadError(_("Item %(name)s: %(error)s", name=product.display_name,
                                 error=self.env["qbo.move.export"]._qbo_resolve_error(resolved, "product", product)))
        return {
            "display_type": "product",
            "description": line.name or product.display_name,
            "quantity": line.product_uom_qty,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "subtotal": line.price_subtotal,
            "total": line.price_total,
            "item_qbo_id": item_id,
            "account_qbo_id": None,
            **self.env["qbo.move.export"]._qbo_tax_values(line.tax_id, resolved),
        }

    @api.model
    def _qbo_success_values(self, run, order, entity, doc):
        qbo_total, _qbo_tax = qbo_amounts(doc)
        return {"qbo_doc_number": doc.get("DocNumber") or False, "qbo_exported_at": fields.Datetime.now(),
                "qbo_amount_total": float(qbo_total), "qbo_estimate_status": doc.get("TxnStatus") or False,
                "qbo_remote_change": False, "qbo_remote_difference": False}
