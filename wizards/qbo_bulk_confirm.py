from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import BULK_CONFIRM_THRESHOLD

# The bulk actions that ask first.
BULK_ACTIONS = {
    ("account.move", "action_qbo_export"),
    ("hr.expense", "action_qbo_export"),
    ("hr.expense.sheet", "action_qbo_export"),
}


class QboBulkConfirm(models.TransientModel):
    """Asks before a QuickBooks action on many documents, with their count (Odoo's Print & Send asks
    the same way): a selection made by mistake is not sent to QuickBooks."""

    _name = "qbo.bulk.confirm"
    _description = "QuickBooks Bulk Action Confirmation"

    res_model = fields.Char(required=True, readonly=True)
    res_ids = fields.Json(required=True, readonly=True)
    method = fields.Char(required=True, readonly=True)
    count = fields.Integer(readonly=True)
    message = fields.Text(readonly=True)

    @api.model
    def _qbo_ask(self, records, method):
        """The confirmation to show before ``records.method()``, or None when the selection is small.

        :param records: the selected records (their access is checked by ``method`` itself)
        """
        if len(records) <= BULK_CONFIRM_THRESHOLD or self.env.context.get("qbo_bulk_confirmed"):
            return None
        if (records._name, method) not in BULK_ACTIONS:
            raise UserError(_("QuickBooks: %s cannot be confirmed in bulk.", method))
        question = {
            "account.move": _("Export %s documents to QuickBooks?", len(records)),
            "hr.expense": _("Export %s expenses to QuickBooks?", len(records)),
            "hr.expense.sheet": _("Export the expenses of %s expense reports to QuickBooks?", len(records)),
        }[records._name]
        confirmation = self.create({
            "res_model": records._name, "res_ids": records.ids, "method": method, "count": len(records),
            "message": question + "\n" + _("Each one is created or updated there, in the background: the "
                                            "statuses change as they are sent."),
        })
        return {
            "type": "ir.actions.act_window",
            "name": _("Export to QuickBooks"),
            "res_model": self._name,
            "res_id": confirmation.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        """Run the action on the documents counted in the question."""
        self.ensure_one()
        self._qbo_check_access("manager", "write")
        if (self.res_model, self.method) not in BULK_ACTIONS:
            raise UserError(_("QuickBooks: %s cannot be confirmed in bulk.", self.method))
        records = self.env[self.res_model].browse(self.res_ids).exists()
        records._qbo_check_access("manager", "write")
        return getattr(records.with_context(qbo_bulk_confirmed=True), self.method)()
