import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

const ACTION_MENU = ".o_control_panel .o_cp_action_menus button:has(.fa-cog)";
const BULK_ROWS = ".o_data_row:contains('Tour Bulk Customer')";

/**
 * More than 50 invoices exported at once: asked first with their count, queued, then sent in the
 * background while the list stays open; its badges change without a reload. Python:
 * tests/test_tours.py (TestTours.test_bulk_export).
 */
registry.category("web_tour.tours").add("quickbooks_bulk_export", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            trigger: `${BULK_ROWS} td[name='qbo_status']:contains('Not in QuickBooks')`,
        },
        {
            content: "Select every invoice shown",
            trigger: "thead .o_list_record_selector input",
            run: "click",
        },
        {
            trigger: ".o_list_selection_box:contains('51')",
        },
        {
            content: "Action > Export to QuickBooks",
            trigger: ACTION_MENU,
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Export to QuickBooks')",
            run: "click",
        },
        {
            content: "Asked first, with the count",
            trigger: ".modal:contains('Export 51 documents to QuickBooks?')",
        },
        {
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Queued",
            trigger: ".o_notification:contains('51 documents queued')",
        },
        {
            content: "The list says so",
            trigger: `${BULK_ROWS} td[name='qbo_status']:contains('To export')`,
        },
        {
            content: "The background job runs (as its scheduler would)",
            trigger: ".o_list_view",
            run: async () => {
                const [cron] = await rpc("/web/dataset/call_kw/ir.cron/search_read", {
                    model: "ir.cron",
                    method: "search_read",
                    args: [[["ir_actions_server_id.name", "=", "QuickBooks: export queued records"]], ["id"]],
                    kwargs: {},
                });
                await rpc("/web/dataset/call_kw/ir.cron/method_direct_trigger", {
                    model: "ir.cron",
                    method: "method_direct_trigger",
                    args: [[cron.id]],
                    kwargs: {},
                });
            },
        },
        {
            content: "The badges change by themselves: none left to export",
            trigger: `.o_list_view:not(:has(td[name='qbo_status']:contains('To export'))) ${BULK_ROWS} td[name='qbo_status']:contains('Exported')`,
            timeout: 30000,
        },
        {
            content: "and the requester is told",
            trigger: ".o_notification:contains('QuickBooks export finished: 51 exported, 0 failed')",
        },
    ],
});
