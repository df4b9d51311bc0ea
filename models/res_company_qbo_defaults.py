from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..qbo_master_data import DEFAULT_THRESHOLD


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_default_income_account_id = fields.Many2one(
        "account.account", string="QuickBooks Default Income Account",
        domain="[('account_type', 'in', ('income', 'income_other')), ('company_ids', 'in', id)]",
        help="Income account of the QuickBooks items created for products whose income account is not linked.",
    )
    qbo_default_expense_account_id = fields.Many2one(
        "account.account", string="QuickBooks Default Expense Account",
        domain="[('account_type', 'in', ('expense', 'expense_other', 'expense_direct_cost')), "
               "('company_ids', 'in', id)]",
        help="Expense account of the QuickBooks items created for products whose expense account is not linked.",
    )
    qbo_deposit_account_id = fields.Many2one(
        "account.account", string="QuickBooks Deposit Account",
        domain="[('account_type', 'in', ('asset_cash', 'asset_current')), ('company_ids', 'in', id)]",
        help="Account that receives incoming payments in QuickBooks; empty means Undeposited Funds.",
    )
    qbo_push_contacts = fields.Boolean(
        string="Update QuickBooks when contacts change",
        help="Changes to the name, email, phone or address of a linked contact are sent to QuickBooks.",
    )
    qbo_automatch_threshold = fields.Integer(
        string="QuickBooks Automatch Threshold", default=DEFAULT_THRESHOLD,
        help="Minimum name similarity (1-100) for automatch to propose two records with different names.",
    )

    @api.constrains("qbo_automatch_threshold")
    def _check_qbo_automatch_threshold(self):
        for company in self:
            if not 1 <= company.qbo_automatch_threshold <= 100:
                raise ValidationError(_("The QuickBooks automatch threshold must be between 1 and 100."))

    def _qbo_on_realm_change(self, old_realm_id, new_realm_id):
        # EXTENDS quickbooks_connector: links to the old realm's records mean nothing in the new one.
        super()._qbo_on_realm_change(old_realm_id, new_realm_id)
        self.env["qbo.mapping"].sudo().search([("company_id", "=", self.id)]).unlink()
        self.env["qbo.tax.map"].sudo().search([("company_id", "=", self.id)]).unlink()
