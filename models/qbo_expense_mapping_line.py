from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import CATEGORY_ENTITY, PROJECT_ENTITY

# QuickBooks account types an expense is filed under (the "categories" of QuickBooks expenses).
EXPENSE_ACCOUNT_TYPES = ("Expense", "Other Expense", "Cost of Goods Sold")
SCREEN_NAMES = {"category": "Expense Categories", "project": "Projects"}


class QboExpenseMappingLine(models.TransientModel):
    """One row of the expense mapping screens: a QuickBooks expense account and its Odoo expense
    category, or a QuickBooks project or customer and its Odoo analytic account.

    Choosing (or clearing) the Odoo side links (or unlinks) the pair in ``qbo.mapping``; the rows
    belong to the user who opened the screen and are rebuilt each time it is opened.
    """

    _name = "qbo.expense.mapping.line"
    _description = "QuickBooks Expense Mapping Screen Row"
    _order = "qbo_name, id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    kind = fields.Selection([("category", "Expense Categories"), ("project", "Projects")], required=True,
                            readonly=True)
    qbo_id = fields.Char(string="QuickBooks ID", required=True, readonly=True)
    qbo_name = fields.Char(string="QuickBooks", readonly=True)
    qbo_is_project = fields.Boolean(string="Project", readonly=True)
    product_id = fields.Many2one("product.product", string="Odoo Expense Category",
                                 domain="[('can_be_expensed', '=', True), ('company_id', 'in', [False, company_id])]")
    analytic_account_id = fields.Many2one("account.analytic.account", string="Odoo Project",
                                          domain="[('company_id', 'in', [False, company_id])]")

    # === SCREEN === #

    @api.model
    def action_open_screen(self, kind):
        """Read QuickBooks and open the mapping screen of ``kind`` (``category`` or ``project``)."""
        self._qbo_check_access("manager")
        company = self.env.company
        self._qbo_rebuild(company, kind)
        return {
            "type": "ir.actions.act_window",
            "name": _("QuickBooks mapping: %s", _(SCREEN_NAMES[kind])),
            "res_model": self._name,
            "view_mode": "list",
            "domain": [("kind", "=", kind), ("company_id", "=", company.id), ("create_uid", "=", self.env.uid)],
            "context": {"qbo_expense_kind": kind},
            "target": "current",
        }

    @api.model
    def _qbo_rebuild(self, company, kind):
        """Replace the current user's rows of ``kind`` with the QuickBooks records and their links."""
        client = company._qbo_get_client()
        self.search([("company_id", "=", company.id), ("kind", "=", kind), ("create_uid", "=", self.env.uid)]).unlink()
        if kind == "category":
            docs = [doc for doc in client.query_all("Account") if doc.get("AccountType") in EXPENSE_ACCOUNT_TYPES]
            entity, field = CATEGORY_ENTITY, "product_id"
        else:
            docs = client.query_all("Customer")
            entity, field = PROJECT_ENTITY, "analytic_account_id"
        linked = self.env["qbo.mapping"]._records_for(company, entity, [doc["Id"] for doc in docs])
        return self.create([{
            "company_id": company.id,
            "kind": kind,
            "qbo_id": str(doc["Id"]),
            "qbo_name": doc.get("FullyQualifiedName") or doc.get("Name") or doc.get("DisplayName"),
            "qbo_is_project": bool(doc.get("IsProject")),
            field: linked[str(doc["Id"])].id if str(doc["Id"]) in linked else False,
        } for doc in docs])

    # === CRUD / OVERRIDES === #

    def write(self, vals):
        # OVERRIDE: choosing the Odoo side of a row is linking it.
        result = super().write(vals)
        if not self.env.context.get("qbo_no_link") and {"product_id", "analytic_account_id"} & set(vals):
            self._qbo_check_access("manager", "write")
            for row in self:
                row._qbo_relink()
        return result

    def _qbo_relink(self):
        """Make the link of this row's QuickBooks record what the row shows.

        :raise UserError: if the Odoo record is already linked to another QuickBooks record
        Note: self.ensure_one()
        """
        self.ensure_one()
        mapping = self.env["qbo.mapping"]
        entity, record = (CATEGORY_ENTITY, self.product_id) if self.kind == "category" else \
            (PROJECT_ENTITY, self.analytic_account_id)
        current = mapping.search([("company_id", "=", self.company_id.id), ("qbo_entity", "=", entity),
                                  ("qbo_id", "=", self.qbo_id)])
        if current and (current.res_model, current.res_id) != (record._name, record.id):
            current.unlink()
        if record:
            mapping._link(self.company_id, record, entity, self.qbo_id, qbo_name=self.qbo_name)

    # === ACTIONS (list header buttons) === #

    def action_create_in_odoo(self):
        """Create the Odoo expense category or project of the selected rows that have none."""
        self._qbo_check_access("manager", "write")
        rows = self.filtered(lambda row: not (row.product_id if row.kind == "category" else row.analytic_account_id))
        if not rows:
            raise UserError(_("QuickBooks: select rows without an Odoo record."))
        company = rows.company_id
        company.ensure_one()
        pull = self.env["qbo.expense.pull"].sudo()
        client = company._qbo_get_client()
        report = pull._qbo_new_report()
        for kind, kind_rows in rows.grouped("kind").items():
            ids = set(kind_rows.mapped("qbo_id"))
            records = pull._qbo_categories(company, client, ids, report) if kind == "category" else \
                pull._qbo_projects(company, client, ids, report)
            for row in kind_rows.filtered(lambda row: row.qbo_id in records):
                field = "product_id" if kind == "category" else "analytic_account_id"
                row.with_context(qbo_no_link=True)[field] = records[row.qbo_id].id
        message = _("%s created or linked in Odoo", len(rows.filtered(
            lambda row: row.product_id or row.analytic_account_id)))
        if report.errors:
            message += "; " + "; ".join(f"{label}: {error}" for label, error in report.errors[:5])
        return company._qbo_notification(message, "warning" if report.errors else "success")
