from odoo import _, fields, models
from odoo.exceptions import UserError

ISSUES = [
    ("amount", "Total differs"),
    ("tax", "Tax differs"),
    ("balance", "Open balance differs"),
    ("date", "Date differs"),
    ("partner", "Partner differs"),
    ("voided", "Voided in QuickBooks"),
    ("cancelled", "Cancelled in Odoo"),
    ("deleted", "Deleted in QuickBooks"),
    ("missing_in_odoo", "In QuickBooks only"),
    ("missing_in_qbo", "In Odoo only"),
    ("partner_balance", "Partner balance differs"),
]


class QboBooksCheckLine(models.Model):
    """One difference a comparison of the books found, with both figures; open until it is repaired or
    explained (``qbo.books.repair``)."""

    _name = "qbo.books.check.line"
    _description = "QuickBooks Books in Step: Difference"
    _order = "check_id, kind, id"

    check_id = fields.Many2one("qbo.books.check", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="check_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="check_id.currency_id")
    kind = fields.Selection([("document", "Document"), ("payment", "Payment"), ("expense", "Expense"),
                             ("partner", "Partner")], required=True, readonly=True)
    issue = fields.Selection(ISSUES, required=True, readonly=True)
    qbo_entity = fields.Char(string="QuickBooks Type", readonly=True)
    qbo_id = fields.Char(string="QuickBooks ID", readonly=True)
    qbo_name = fields.Char(string="In QuickBooks", readonly=True)
    move_id = fields.Many2one("account.move", string="In Odoo", readonly=True, index="btree_not_null")
    payment_id = fields.Many2one("account.payment", string="Payment in Odoo", readonly=True, index="btree_not_null")
    expense_id = fields.Many2one("hr.expense", string="Expense in Odoo", readonly=True, index="btree_not_null",
                                 help="The first of the expenses that went to this QuickBooks document.")
    partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    date = fields.Date(readonly=True, help="The document's date (Odoo's, else QuickBooks').")
    odoo_amount = fields.Monetary(string="Odoo", readonly=True)
    qbo_amount = fields.Monetary(string="QuickBooks", readonly=True)
    detail = fields.Text(string="Differences", readonly=True)
    state = fields.Selection([("open", "To review"), ("repaired", "Repaired"), ("explained", "Explained")],
                             default="open", required=True, readonly=True)
    note = fields.Text(readonly=True)

    def action_qbo_repair(self):
        """Open the repair of the selected differences: what each action would change, then the click.

        :raise AccessError: if the user is not a QuickBooks manager of their company
        """
        self._qbo_check_access("manager", "write")
        lines = self.filtered(lambda line: line.state == "open")
        if not lines:
            raise UserError(_("QuickBooks: the selected differences are repaired or explained already."))
        wizard = self.env["qbo.books.repair"].create({"line_ids": [fields.Command.set(lines.ids)]})
        return {"type": "ir.actions.act_window", "name": _("Repair"), "res_model": "qbo.books.repair",
                "res_id": wizard.id, "view_mode": "form", "target": "new"}
