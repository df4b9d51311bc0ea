from odoo import _, api, models


class QboDashboard(models.AbstractModel):
    _inherit = "qbo.dashboard"

    @api.model
    def _qbo_figures(self, company):
        # EXTENDS quickbooks_connector: the orders waiting to go to QuickBooks as Estimates, and those accepted
        # there (the salesperson's next step), shown when there are some.
        return [
            *super()._qbo_figures(company),
            self._qbo_figure(company, "orders_to_export", _("Orders to export"), "sale.order", [
                ("qbo_state", "in", ("to_send", "changed", "error"))], "sale.sale_order_tree",
                "sale.view_sales_order_filter", hide_zero=True),
            self._qbo_figure(company, "orders_accepted", _("Estimates accepted in QuickBooks"), "sale.order", [
                ("qbo_estimate_status", "=", "Accepted"), ("state", "in", ("draft", "sent"))], "sale.sale_order_tree",
                "sale.view_sales_order_filter", tone="success", hide_zero=True),
        ]
