from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError
from ..qbo_payload.account_move import ENTITY_BY_MOVE_TYPE

# What the opening import brings over: (kind, QuickBooks entity, Odoo move type, company setting).
IMPORT_KINDS = [
    ("invoice", "Invoice", "out_invoice", "qbo_import_invoices"),
    ("credit_memo", "CreditMemo", "out_refund", "qbo_import_credit_memos"),
    ("sales_receipt", "SalesReceipt", "out_invoice", "qbo_import_sales_receipts"),
    ("refund_receipt", "RefundReceipt", "out_refund", "qbo_import_refund_receipts"),
    ("bill", "Bill", "in_invoice", "qbo_import_bills"),
    ("vendor_credit", "VendorCredit", "in_refund", "qbo_import_vendor_credits"),
]


class QboImportWizard(models.TransientModel):
    """The opening import of the documents a company holds in QuickBooks: how many of each kind
    QuickBooks holds since the start date and how many Odoo holds already, then the import in the
    background (the import job's lanes, in bounded batches, restartable: a document is never imported
    twice). Reopened, it shows how far the import has come."""

    _name = "qbo.import.wizard"
    _description = "QuickBooks Opening Import"

    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    start_date = fields.Date(string="Import From", help="Documents dated before this day are never imported.")
    import_invoices = fields.Boolean(string="Invoices", default=True)
    import_credit_memos = fields.Boolean(string="Credit Memos", default=True)
    import_sales_receipts = fields.Boolean(string="Sales Receipts", default=True)
    import_refund_receipts = fields.Boolean(string="Refund Receipts", default=True)
    import_bills = fields.Boolean(string="Bills", default=True)
    import_vendor_credits = fields.Boolean(string="Vendor Credits", default=True)
    summary = fields.Text(readonly=True)

    @api.model
    def action_qbo_open(self):
        """Open the opening import for the current company, with the counts read from QuickBooks now.

        :raise AccessError: if the user is not a QuickBooks manager of the company
        """
        company = self.env.company
        company._qbo_check_access("manager")
        wizard = self.create({
            "company_id": company.id, "start_date": company.qbo_import_start_date,
            **{f"import_{kind}s": company[field] if company.qbo_import_documents else True
               for kind, _entity, _move_type, field in IMPORT_KINDS},
        })
        wizard.summary = wizard._qbo_summary()
        return {"type": "ir.actions.act_window", "name": _("Import from QuickBooks"), "res_model": self._name,
                "res_id": wizard.id, "view_mode": "form", "target": "new"}

    def action_qbo_count(self):
        """Count again, from the start date chosen."""
        self._qbo_check_access("manager", "write")
        self.ensure_one()
        self.summary = self._qbo_summary()
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new"}

    def action_qbo_import(self):
        """Turn the import on for the kinds chosen, from the start date, and start it in the background.

        :raise UserError: if no kind is chosen or the company is not connected
        """
        self._qbo_check_access("manager", "write")
        self.ensure_one()
        company = self.company_id
        chosen = {field: self[f"import_{kind}s"] for kind, _entity, _move_type, field in IMPORT_KINDS}
        if not any(chosen.values()):
            raise UserError(_("QuickBooks: choose at least one kind of document to import."))
        if company.sudo().qbo_state != "connected":
            raise UserError(company._qbo_not_connected_message())
        company.sudo().write({"qbo_import_documents": True, "qbo_import_start_date": self.start_date, **chosen})
        self.env.ref("quickbooks_connector.ir_cron_qbo_import_documents")._qbo_trigger_lanes()
        return company._qbo_notification(
            _("QuickBooks: the documents are being imported in the background; open Import from QuickBooks "
              "again to follow."), "info")

    def _qbo_summary(self):
        """One line per kind: what QuickBooks holds since the start date, what Odoo holds of it."""
        company = self.company_id.sudo()
        client = company._qbo_get_client()
        lines = []
        for kind, entity, move_type, _field in IMPORT_KINDS:
            where = f" WHERE TxnDate >= '{self.start_date.isoformat()}'" if self.start_date else ""
            try:
                answer = client.query_answer(f"SELECT COUNT(*) FROM {entity}{where}")
            except QboApiError as error:
                raise UserError(self.env["qbo.fault"]._qbo_explain(error, company=company)) from None
            held = (answer.get("QueryResponse") or {}).get("totalCount", 0)
            # Invoices exported from Odoo carry no QuickBooks type: what a move type is there by default.
            of_entity = ([("qbo_imported_entity", "in", [False, entity])] if ENTITY_BY_MOVE_TYPE[move_type] == entity
                         else [("qbo_imported_entity", "=", entity)])
            domain = [("company_id", "=", company.id), ("move_type", "=", move_type), ("qbo_id", "!=", False),
                      *of_entity]
            if self.start_date:
                domain.append(("invoice_date", ">=", self.start_date))
            linked = self.env["account.move"].sudo().search_count(domain)
            imported = self.env["account.move"].sudo().search_count(domain + [("qbo_imported", "=", True)])
            label = self._fields[f"import_{kind}s"].string
            lines.append(_("%(kind)s: %(held)s in QuickBooks, %(linked)s in Odoo (%(imported)s of them imported)",
                           kind=label, held=held, linked=linked, imported=imported))
        return "\n".join(lines)
