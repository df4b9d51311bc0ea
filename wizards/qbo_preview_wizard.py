from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.tools import LazyTranslate

from ..qbo_payload.money import cents

# The lines of a QuickBooks transaction that carry an amount of the document (the others: descriptions,
# the subtotal QuickBooks adds, the discount).
AMOUNT_DETAILS = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")
# What a placeholder of a record not in QuickBooks yet looks like in the payload (qbo.move.export).
NEW_PREFIX = "<new "
_lt = LazyTranslate(__name__)
US_LINE_CODES = {"TAX": _lt("Taxable"), "NON": _lt("Not taxable")}


class QboPreviewWizard(models.TransientModel):
    """Shows the QuickBooks document an export would send for one Odoo document, without sending it:
    its lines and totals as QuickBooks would record them, beside Odoo's (to the cent), and the JSON."""

    _name = "qbo.preview.wizard"
    _description = "QuickBooks Preview"

    move_id = fields.Many2one("account.move", string="Document", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="move_id.currency_id")
    qbo_entity = fields.Char(string="QuickBooks Entity", readonly=True)
    document_label = fields.Char(string="QuickBooks Document", compute="_compute_document_label")
    operation = fields.Selection([("create", "Create"), ("update", "Update")], string="Operation", readonly=True)
    partner = fields.Char(string="QuickBooks Customer or Vendor", readonly=True)
    line_ids = fields.One2many("qbo.preview.line", "wizard_id", string="Lines", readonly=True)
    tax_code = fields.Char(string="Sales Tax Code", readonly=True,
                           help="US companies: the sales tax code of the whole document.")
    qbo_subtotal = fields.Monetary(string="QuickBooks Subtotal", readonly=True)
    qbo_tax = fields.Monetary(string="QuickBooks Tax", readonly=True)
    qbo_total = fields.Monetary(string="QuickBooks Total", readonly=True)
    expected_subtotal = fields.Monetary(string="Odoo Subtotal", readonly=True)
    expected_tax = fields.Monetary(string="Odoo Tax", readonly=True, help="The tax QuickBooks must report.")
    expected_total = fields.Monetary(string="Odoo Total", readonly=True, help="The total QuickBooks must report.")
    amounts_match = fields.Boolean(string="Amounts Match", readonly=True)
    payload_json = fields.Text(string="JSON", readonly=True)
    warning = fields.Text(string="Warning", readonly=True)

    @api.depends("qbo_entity", "operation")
    def _compute_document_label(self):
        fault = self.env["qbo.fault"]
        for wizard in self:
            label = fault._qbo_entity_label(wizard.qbo_entity, title=True) if wizard.qbo_entity else ""
            wizard.document_label = self.env._("%s (update)", label) if wizard.operation == "update" and label \
                else label

    @api.model
    def _qbo_table_values(self, company, payload, expected):
        """Return the wizard's lines and totals for ``payload`` (what the export would send).

        :param dict expected: ``{"total", "tax"}`` QuickBooks must report (Odoo's figures)
        """
        names = self._qbo_names(company, payload)
        lines, subtotal = [], Decimal(0)
        for sequence, line in enumerate(payload.get("Line") or ()):
            detail_type = line.get("DetailType") or ""
            detail = line.get(detail_type) or {}
            amount = cents(line.get("Amount"))
            if detail_type in AMOUNT_DETAILS:
                subtotal += amount
            elif detail_type == "DiscountLineDetail":
                subtotal -= amount
                amount = -amount
            ref = detail.get("ItemRef") or detail.get("AccountRef")
            tax_ref = (detail.get("TaxCodeRef") or {}).get("value")
            lines.append(Command.create({
                "sequence": sequence,
                "display_type": "line_note" if detail_type == "DescriptionOnly" else False,
                "name": line.get("Description") or "",
                "item": names.get(("Item" if "ItemRef" in detail else "Account", str(ref["value"])), "")
                if ref else (self.env._("Discount") if detail_type == "DiscountLineDetail" else ""),
                "quantity": float(detail["Qty"]) if "Qty" in detail else False,
                "price_unit": float(detail["UnitPrice"]) if "UnitPrice" in detail else False,
                "amount": float(amount) if detail_type != "DescriptionOnly" else False,
                "tax_code": self.env._(US_LINE_CODES[tax_ref]) if tax_ref in US_LINE_CODES
                else names.get(("TaxCode", str(tax_ref)), "") if tax_ref else "",
            }))
        tax_detail = payload.get("TxnTaxDetail") or {}
        tax = cents(tax_detail.get("TotalTax"))
        total = subtotal + tax
        code = (tax_detail.get("TxnTaxCodeRef") or {}).get("value")
        party = payload.get("CustomerRef") or payload.get("VendorRef")
        return {
            "partner": names.get(("Customer" if "CustomerRef" in payload else "Vendor", str(party["value"])))
            if party else False,
            "line_ids": lines,
            "tax_code": names.get(("TaxCode", str(code)), "") if code else False,
            "qbo_subtotal": float(subtotal), "qbo_tax": float(tax), "qbo_total": float(total),
            "expected_subtotal": float(cents(expected["total"]) - cents(expected["tax"])),
            "expected_tax": float(cents(expected["tax"])), "expected_total": float(cents(expected["total"])),
            "amounts_match": total == cents(expected["total"]) and tax == cents(expected["tax"]),
        }

    @api.model
    def _qbo_names(self, company, payload):
        """Return ``{(entity, value): name}`` of the items, accounts and tax codes the lines refer to:
        the QuickBooks name of linked records, the Odoo name of those to be created at export."""
        refs = {"Item": set(), "Account": set(), "TaxCode": set(), "Customer": set(), "Vendor": set()}
        for key, entity in (("CustomerRef", "Customer"), ("VendorRef", "Vendor")):
            if payload.get(key):
                refs[entity].add(str(payload[key]["value"]))
        for line in payload.get("Line") or ():
            detail = line.get(line.get("DetailType") or "") or {}
            for key, entity in (("ItemRef", "Item"), ("AccountRef", "Account"), ("TaxCodeRef", "TaxCode")):
                if detail.get(key):
                    refs[entity].add(str(detail[key]["value"]))
        code = ((payload.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value")
        if code:
            refs["TaxCode"].add(str(code))
        names = {}
        for entity, values in refs.items():
            for value in values:
                if value.startswith(NEW_PREFIX):
                    names[(entity, value)] = self.env._("%s (new)", value[len(NEW_PREFIX):].split(": ", 1)[-1]
                                                        .rstrip(">"))
        mappings = self.env["qbo.mapping"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "in", ("Item", "Account", "Customer", "Vendor")),
            ("qbo_id", "in", list(refs["Item"] | refs["Account"] | refs["Customer"] | refs["Vendor"]))])
        for mapping in mappings:
            names[(mapping.qbo_entity, mapping.qbo_id)] = mapping.qbo_name or mapping.res_name or mapping.qbo_id
        for tax_map in self.env["qbo.tax.map"].sudo().search([("company_id", "=", company.id),
                                                              ("qbo_tax_code_id", "in", list(refs["TaxCode"]))]):
            names[("TaxCode", tax_map.qbo_tax_code_id)] = tax_map.qbo_tax_code_name or tax_map.qbo_tax_code_id
        for entity, values in refs.items():
            for value in values:
                names.setdefault((entity, value), value)
        return names
