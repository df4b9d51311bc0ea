from odoo import _, api, models
from odoo.tools.misc import format_datetime

from ..const import MANAGER_GROUP, USER_GROUP
from ..qbo_payload.account_move import ENTITY_BY_MOVE_TYPE

# What a document waiting for its export is in: the "To export to QuickBooks" filter of the invoice lists.
TO_EXPORT_STATES = ("not_exported", "changed", "to_send")


class QboDashboard(models.AbstractModel):
    """The QuickBooks card of the Accounting dashboard: where each connected company stands, each figure
    with the list it counts."""

    _name = "qbo.dashboard"
    _description = "QuickBooks Dashboard Card"

    @api.model
    def qbo_dashboard_cards(self):
        """One card per company the user works in now that is connected or must reconnect.

        Each figure is counted with the user's own rights by the domain of the list it opens, so a figure is
        the length of its list. Users without the QuickBooks role get no card (the dashboard asks for
        every accountant)."""
        if not self.env.user.has_group(USER_GROUP):
            return []
        connections = self.env["qbo.connection"].sudo().search(
            [("company_id", "in", self.env.companies.ids), ("state", "!=", "disconnected")])
        by_company = {connection.company_id: connection for connection in connections}
        # In the order of the company switcher: the current company first.
        return [self._qbo_card(company, by_company[company]) for company in self.env.companies
                if company in by_company]

    @api.model
    def _qbo_card(self, company, connection):
        manager = self.env.user.has_group(MANAGER_GROUP)
        state_label = dict(connection._fields["state"]._description_selection(self.env))[connection.state]
        return {
            "company_id": company.id,
            "company_name": company.name,
            "qbo_company_name": connection.qbo_company_name or "",
            "state": connection.state,
            "state_label": state_label,
            # Reconnecting is the setup checklist's job, for the managers who may open it.
            "setup_action": manager and {
                "type": "ir.actions.server",
                "id": self.env.ref("quickbooks_connector.action_qbo_setup").id,
                "context": {"allowed_company_ids": [company.id, *(self.env.companies - company).ids]},
            },
            "figures": [figure for figure in self._qbo_figures(company) if figure],
            **self._qbo_last_exchange(company),
        }

    @api.model
    def _qbo_figures(self, company):
        """The card's figures (None: not shown); bridge addons add theirs."""
        return [
            self._qbo_figure(company, "to_export", _("Documents to export"), "account.move", [
                ("move_type", "in", list(ENTITY_BY_MOVE_TYPE)), ("state", "=", "posted"),
                ("expense_sheet_id", "=", False), ("qbo_state", "in", TO_EXPORT_STATES)],
                "account.view_invoice_tree", "account.view_account_invoice_filter"),
            self._qbo_figure(company, "errors", _("Errors to fix"), "qbo.sync.log", [
                ("status", "=", "error"), ("resolved_at", "=", False)],
                "quickbooks_connector.qbo_sync_log_view_list", "quickbooks_connector.qbo_sync_log_view_search",
                tone="danger"),
            self._qbo_figure(company, "review_moves", _("Documents changed in QuickBooks"), "account.move", [
                ("qbo_remote_change", "!=", False)],
                "account.view_invoice_tree", "account.view_account_invoice_filter", tone="warning"),
            self._qbo_figure(company, "review_payments", _("Payments changed in QuickBooks"), "account.payment", [
                ("qbo_remote_change", "!=", False)], "account.view_account_payment_tree", tone="warning",
                hide_zero=True),
            self._qbo_figure(company, "review_expenses", _("Expenses changed in QuickBooks"), "hr.expense", [
                ("qbo_remote_change", "!=", False)], "hr_expense.view_expenses_tree", tone="warning",
                hide_zero=True),
            self._qbo_figure(company, "changes_failed", _("Changes from QuickBooks not applied"),
                             "qbo.webhook.event", [("state", "=", "error")],
                             "quickbooks_connector.qbo_webhook_event_view_list",
                             "quickbooks_connector.qbo_webhook_event_view_search", tone="danger", hide_zero=True),
            self._qbo_books_figure(company),
        ]

    @api.model
    def _qbo_figure(self, company, key, label, model, domain, list_view, search_view=None, tone="primary",
                    hide_zero=False):
        """A figure and the list it opens, or None when the user may not read that list (or it is empty and
        shown only when something needs attention)."""
        if model not in self.env or not self.env[model].has_access("read"):
            return None
        domain = [("company_id", "=", company.id), *domain]
        count = self.env[model].search_count(domain)
        if hide_zero and not count:
            return None
        return {"key": key, "label": label, "count": count, "tone": tone if count else "muted",
                "action": self._qbo_list_action(company, label, model, domain, list_view, search_view)}

    @api.model
    def _qbo_list_action(self, company, label, model, domain, list_view, search_view=None):
        action = {
            "type": "ir.actions.act_window",
            "name": _("%(label)s (%(company)s)", label=label, company=company.name),
            "res_model": model,
            "views": [[self.env.ref(list_view).id, "list"], [False, "form"]],
            "domain": domain,
            "context": {"create": False},
            "target": "current",
        }
        if search_view:
            action["search_view_id"] = [self.env.ref(search_view).id, "search"]
        return action

    @api.model
    def _qbo_books_figure(self, company):
        """The open differences of the company's last comparison with QuickBooks (Books in Step)."""
        checks = self.env["qbo.books.check"]
        if not checks.has_access("read"):
            return None
        check = checks._qbo_last_check(company)
        if not check:
            return None
        domain = [("company_id", "=", company.id), ("check_id", "=", check.id), ("state", "=", "open")]
        count = self.env["qbo.books.check.line"].search_count(domain)
        return {"key": "books", "label": _("Differences with QuickBooks"), "count": count,
                "tone": "danger" if count else "muted",
                "action": self._qbo_list_action(company, _("Differences with QuickBooks"), "qbo.books.check.line",
                                                domain, "quickbooks_connector.qbo_books_check_line_view_list")}

    @api.model
    def _qbo_last_exchange(self, company):
        """When QuickBooks and Odoo last exchanged something successfully, opening the company's Sync Log."""
        last = self.env["qbo.sync.log"]._qbo_last_success(company)
        return {
            "last_exchange": last and format_datetime(self.env, last.create_date) or _("Never"),
            "log_action": self._qbo_list_action(
                company, _("QuickBooks Sync Log"), "qbo.sync.log", [("company_id", "=", company.id)],
                "quickbooks_connector.qbo_sync_log_view_list", "quickbooks_connector.qbo_sync_log_view_search"),
        }
