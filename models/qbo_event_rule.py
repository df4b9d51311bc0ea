from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

EVENTS = [
    ("invoice_updated", "Invoice updated"),
    ("payment_created", "Payment created"),
    ("invoice_voided", "Invoice voided"),
    ("imported_updated", "Document created in QuickBooks updated"),
    ("imported_voided", "Document created in QuickBooks voided or deleted"),
]
ACTIONS = [
    ("review", "Flag for review (chatter note and activity)"),
    ("pull", "Import the payment now"),
    ("cancel", "Cancel in Odoo when it has no payment, else flag for review"),
    ("update", "Update in Odoo (reset, updated and posted again) when it has no payment, else flag for review"),
    ("ignore", "Do nothing"),
]
# Which actions each event allows, the first one being the default.
ALLOWED_ACTIONS = {
    "invoice_updated": ("review", "ignore"),
    "payment_created": ("pull", "ignore"),
    "invoice_voided": ("review", "cancel", "ignore"),
    # Documents created in QuickBooks: QuickBooks holds their reference version, Odoo follows by default.
    "imported_updated": ("update", "review", "ignore"),
    "imported_voided": ("cancel", "review", "ignore"),
}


class QboEventRule(models.Model):
    """What Odoo does, per company, when QuickBooks reports a change of a synchronized document (one
    exported from Odoo, or one created in QuickBooks and imported)."""

    _name = "qbo.event.rule"
    _description = "QuickBooks Event Rule"
    _order = "company_id, event"

    company_id = fields.Many2one("res.company", string="Company", required=True, index=True, ondelete="cascade",
                                 default=lambda self: self.env.company)
    event = fields.Selection(EVENTS, string="When QuickBooks reports", required=True)
    action = fields.Selection(ACTIONS, string="Odoo does", required=True)

    _sql_constraints = [
        ("event_unique", "unique(company_id, event)", "Each event has one rule per company."),
    ]

    @api.constrains("event", "action")
    def _check_action(self):
        labels = dict(self._fields["action"]._description_selection(self.env))
        events = dict(self._fields["event"]._description_selection(self.env))
        for rule in self:
            if rule.action not in ALLOWED_ACTIONS[rule.event]:
                raise ValidationError(_("QuickBooks: “%(action)s” is not possible for “%(event)s”.",
                                        action=labels[rule.action], event=events[rule.event]))

    @api.model
    def _qbo_action(self, company, event):
        """Return the action chosen by ``company`` for ``event`` (the default one when no rule is set)."""
        rule = self.sudo().search([("company_id", "=", company.id), ("event", "=", event)], limit=1)
        return rule.action or ALLOWED_ACTIONS[event][0]

    @api.model
    def _qbo_ensure_default_rules(self, companies=None):
        """Give every company (or ``companies``) a rule for each event it has none for."""
        companies = companies if companies is not None else self.env["res.company"].search([])
        existing = {(rule.company_id.id, rule.event) for rule in self.sudo().search(
            [("company_id", "in", companies.ids)])}
        self.sudo().create([{"company_id": company.id, "event": event, "action": ALLOWED_ACTIONS[event][0]}
                            for company in companies for event, _label in EVENTS
                            if (company.id, event) not in existing])
