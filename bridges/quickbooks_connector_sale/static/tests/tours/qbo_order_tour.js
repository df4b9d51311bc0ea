import { registry } from "@web/core/registry";

/**
 * A sales order as the Accounting Manager sees it: Action > Export to QuickBooks from its form, told what
 * happened, its QuickBooks tab showing the Estimate, then what the customer did with it in QuickBooks.
 * Python: tests/test_order_estimate.py (TestOrderTour).
 */
registry.category("web_tour.tours").add("quickbooks_order_estimate", {
    steps: () => [
        {
            content: "Action > Export to QuickBooks",
            trigger: ".o_control_panel .o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Export to QuickBooks')",
            run: "click",
        },
        {
            content: "Told what happened",
            trigger: ".o_notification:contains('1 exported')",
        },
        {
            content: "The QuickBooks tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('QuickBooks')",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name='qbo_status']:contains('Exported')",
        },
        {
            content: "The Estimate waits for the customer",
            trigger: ".o_form_view div[name='qbo_estimate_status']:contains('Pending')",
        },
        {
            trigger: ".o_form_view div[name='qbo_amount_total']:contains('54.00')",
        },
    ],
});
