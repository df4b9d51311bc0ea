import { registry } from "@web/core/registry";

const CARD_A = ".o_qbo_dashboard_card:contains('Dashboard Tour Co')";
const CARD_B = ".o_qbo_dashboard_card:contains('Lanes Second Co')";

/** A step that waits for a list of exactly ``count`` rows. */
function listOf(count) {
    return {
        content: `A list of ${count} records`,
        trigger: `.o_list_view .o_data_row:nth-child(${count})`,
        run() {
            const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
            if (rows !== count) {
                throw new Error(`The list shows ${rows} records, the card said ${count}`);
            }
        },
    };
}

const backToDashboard = {
    trigger: ".o_breadcrumb .breadcrumb-item:first-child a",
    run: "click",
};

/**
 * The QuickBooks cards of the Accounting dashboard, as an Accounting Manager working in two connected
 * companies: each figure opens the list it counts, of that company only. Python: tests/test_tours.py
 * (TestDashboardTour).
 */
registry.category("web_tour.tours").add("quickbooks_dashboard", {
    url: "/odoo/accounting",
    steps: () => [
        {
            content: "Company A: two documents to export",
            trigger: `${CARD_A} .o_qbo_dashboard_to_export .o_qbo_dashboard_count:contains('2')`,
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Documents to export (Dashboard Tour Co)')",
        },
        listOf(2),
        {
            trigger: ".o_list_view:not(:has(.o_data_row:contains('30.00')))",
        },
        backToDashboard,
        {
            content: "Company A: one error to fix, in the Sync Log",
            trigger: `${CARD_A} .o_qbo_dashboard_errors .o_qbo_dashboard_count:contains('1')`,
            run: "click",
        },
        listOf(1),
        {
            trigger: ".o_list_view .o_data_row:contains('Dashboard tour error')",
        },
        backToDashboard,
        {
            content: "Company B: one document to export, its own",
            trigger: `${CARD_B} .o_qbo_dashboard_to_export .o_qbo_dashboard_count:contains('1')`,
            run: "click",
        },
        listOf(1),
        {
            trigger: ".o_list_view .o_data_row:contains('30.00')",
        },
    ],
});

/**
 * The same card and the screens it leads to, for a user working in French: the card, the list it opens,
 * the invoice's QuickBooks button, the export's message and the Sync Log, all in French. Python:
 * tests/test_tours.py (TestDashboardTour.test_dashboard_in_french).
 */
registry.category("web_tour.tours").add("quickbooks_dashboard_fr", {
    url: "/odoo/accounting",
    steps: () => [
        {
            content: "The card, in French",
            trigger: ".o_qbo_dashboard_card:contains('Dernier échange réussi') .o_qbo_dashboard_to_export a:contains('Documents à exporter')",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Documents à exporter')",
        },
        listOf(1),
        {
            trigger: ".o_list_view .o_data_row td[name='name']",
            run: "click",
        },
        {
            content: "The invoice's QuickBooks button",
            trigger: ".o_form_view button[name='action_qbo_export']:contains('Exporter vers QuickBooks')",
            run: "click",
        },
        {
            content: "The export's message",
            trigger: ".o_notification:contains('1 exportés')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='qbo_status']:contains('Exporté')",
        },
        backToDashboard,
        {
            content: "Nothing left to export; the Sync Log from the card",
            trigger: ".o_qbo_dashboard_card .o_qbo_dashboard_to_export .o_qbo_dashboard_count:contains('0')",
        },
        {
            trigger: ".o_qbo_dashboard_card .o_qbo_dashboard_last_exchange a",
            run: "click",
        },
        {
            trigger: ".o_list_view th:contains('Sens')",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Vers QuickBooks')",
        },
    ],
});
