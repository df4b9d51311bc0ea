import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const ACTION_MENU = ".o_control_panel .o_cp_action_menus button:has(.fa-cog)";
const EXPORT_ITEM = ".o-dropdown--menu .o-dropdown-item:contains('Export to QuickBooks')";

/**
 * Export from a new invoice's form, then from the list: the user stays where they were (same record,
 * same list), told what happened, the status showing it. Python: tests/test_tours.py
 * (TestTours.test_export_from_form_and_list).
 */
registry.category("web_tour.tours").add("quickbooks_export_form_and_list", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            content: "New invoice",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: "div[name='partner_id'] input",
            run: "edit Tour Form Customer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Form Customer')",
            run: "click",
        },
        {
            content: "Add a line",
            trigger: "div[name='invoice_line_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name='invoice_line_ids'] .o_selected_row div[name='product_id'] input",
            run: "edit Tour Service",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Service')",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: "button[name='action_post']",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='state'] .o_arrow_button_current:contains('Posted')",
        },
        {
            content: "Action > Export to QuickBooks",
            trigger: ACTION_MENU,
            run: "click",
        },
        {
            trigger: EXPORT_ITEM,
            run: "click",
        },
        {
            content: "Told what happened",
            trigger: ".o_notification:contains('1 exported')",
        },
        {
            content: "Still on the same invoice, now in QuickBooks",
            trigger: ".o_form_view:has(.o_breadcrumb .active:contains('INV/')) button[name='action_qbo_open']",
        },
        {
            content: "Not a new draft",
            trigger: ".o_form_view .o_field_widget[name='state'] .o_arrow_button_current:contains('Posted')",
        },
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb a:contains('Invoices')",
            run: "click",
        },
        {
            content: "Select the invoice not exported yet",
            trigger: ".o_data_row:contains('Tour List Customer') .o_list_record_selector input",
            run: "click",
        },
        {
            trigger: ACTION_MENU,
            run: "click",
        },
        {
            trigger: EXPORT_ITEM,
            run: "click",
        },
        {
            trigger: ".o_notification:contains('1 exported')",
        },
        {
            content: "Still on the list, the row's status updated",
            trigger: ".o_list_view .o_data_row:contains('Tour List Customer') td[name='qbo_status']:contains('Exported')",
        },
        ...stepUtils.toggleHomeMenu(),
    ],
});
