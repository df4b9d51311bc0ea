import { registry } from "@web/core/registry";

/**
 * Books in Step, as an Accounting Manager: start a comparison, then open one already made, read the
 * difference with both figures and the totals, and repair it by sending Odoo's version, after the
 * preview says what will change. Python: tests/test_tours.py (TestBooksInStepTour).
 */
registry.category("web_tour.tours").add("quickbooks_books_in_step", {
    url: "/odoo/action-quickbooks_connector.action_qbo_books_check",
    steps: () => [
        {
            content: "A new comparison",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name='date_from'] input",
            run: "edit 01/01/2019",
        },
        {
            trigger: ".o_form_view div[name='date_to'] input",
            run: "edit 12/31/2019",
        },
        {
            content: "Compare",
            trigger: ".o_form_view button[name='action_qbo_run']:contains('Compare')",
            run: "click",
        },
        {
            content: "Told it runs in the background, and following it",
            trigger: ".o_notification:contains('being compared in the background')",
        },
        {
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Comparing')",
        },
        {
            trigger: ".o_breadcrumb a:contains('Books in Step')",
            run: "click",
        },
        {
            content: "The comparison made earlier",
            trigger: ".o_data_row:has(td[name='state']:contains('Compared')) td[name='date_to']",
            run: "click",
        },
        {
            content: "Both figures of the difference",
            trigger: ".o_form_view div[name='line_ids'] .o_data_row:contains('100.00 in Odoo'):contains('120.00 in QuickBooks')",
        },
        {
            content: "The totals, and what of their difference the lines show",
            trigger: ".o_form_view div[name='totals_html'] tr:contains('Sales'):contains('all of it')",
        },
        {
            content: "Review and repair",
            trigger: ".o_form_view button:contains('Review and repair the differences')",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Total differs') .o_list_record_selector input",
            run: "click",
        },
        {
            trigger: ".o_control_panel button:contains('Repair...')",
            run: "click",
        },
        {
            content: "Send Odoo's version",
            trigger: ".modal div[name='action'] .o_radio_item:contains(\"Send Odoo's version\") input",
            run: "click",
        },
        {
            content: "The preview says what will change",
            trigger: ".modal div[name='preview']:contains(\"QuickBooks' copy updated to Odoo's version\")",
        },
        {
            trigger: ".modal button[name='action_qbo_apply']",
            run: "click",
        },
        {
            content: "Repaired: no longer to review",
            trigger: ".o_list_view:not(:has(.modal)):not(:has(.o_data_row:contains('Total differs')))",
        },
    ],
});
