import { registry } from "@web/core/registry";

/**
 * An approved expense report exported from its form: told what happened, its status and the link to
 * QuickBooks shown on the same report. Python: tests/test_tours.py (TestExpenseReportTour).
 */
registry.category("web_tour.tours").add("quickbooks_expense_report", {
    steps: () => [
        {
            trigger: ".o_form_view .o_breadcrumb .active:contains('Tour trip')",
        },
        {
            content: "Export to QuickBooks",
            trigger: ".o_form_view .o_form_statusbar button[name='action_qbo_export']",
            run: "click",
        },
        {
            content: "Told what happened",
            trigger: ".o_notification:contains('1 exported')",
        },
        {
            content: "Its status says so, on the same report",
            trigger: ".o_form_view:has(.o_breadcrumb .active:contains('Tour trip')) div[name='qbo_status'] .badge:contains('Exported')",
        },
        {
            content: "and it opens in QuickBooks",
            trigger: "button[name='action_qbo_open']:contains('In QuickBooks')",
        },
    ],
});
