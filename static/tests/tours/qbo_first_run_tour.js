import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * First use, as an administrator of a company not yet connected: the setup checklist from the menu,
 * the Intuit app's keys, Connect (the test sandbox consents at once), taxes mapped (a code of the
 * same rate by Automatch, one of another rate only once confirmed), defaults, master data matched.
 * Python: tests/test_tours.py (TestTours.test_first_run).
 */
registry.category("web_tour.tours").add("quickbooks_first_run", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Invoicing",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open Configuration",
            trigger: "button[data-menu-xmlid='account.menu_finance_configuration']",
            run: "click",
        },
        {
            content: "Open QuickBooks > Setup",
            trigger: ".dropdown-item[data-menu-xmlid='quickbooks_connector.menu_qbo_setup']",
            run: "click",
        },
        {
            content: "Nothing is done yet",
            trigger: ".o_form_view:contains('0 of 5 steps done')",
        },
        {
            content: "Enter the app's client ID (qbo_sandbox/testing.py)",
            trigger: "div[name='qbo_client_id'] input",
            run: "edit qbo-test-client",
        },
        {
            content: "Enter the app's client secret",
            trigger: "div[name='qbo_client_secret'] input",
            run: "edit qbo-test-secret",
        },
        {
            content: "Connect",
            trigger: "button[name='action_connect']:contains('Connect to QuickBooks')",
            run: "click",
        },
        {
            content: "Back from Intuit on the checklist: connected, by name",
            trigger: ".alert-success:contains('Connected to'):contains('Sandbox Company_US_1')",
        },
        {
            content: "in the Invoicing app, its menu shown",
            trigger: ".o_main_navbar .o_menu_brand:contains('Invoicing')",
        },
        {
            content: "Two steps done",
            trigger: ".o_form_view:contains('2 of 5 steps done')",
        },
        {
            content: "Map the taxes",
            trigger: "button[name='action_map_taxes']:contains('Map Taxes')",
            run: "click",
        },
        {
            content: "The mapping screen shows the taxes",
            trigger: ".o_search_panel_category_value header.active:contains('Taxes')",
        },
        {
            content: "QuickBooks codes show their rates",
            trigger: ".o_data_row:contains('Sales Tax 15'):contains('Sales 15 %')",
        },
        {
            content: "Automatch",
            trigger: "button[name='action_automatch']",
            run: "click",
        },
        {
            content: "The 15 % sales tax is proposed the 15 % code, by rate",
            trigger: ".modal .o_data_row:contains('Sales Tax 15'):contains('Same rate')",
        },
        {
            content: "Link the proposed pair",
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "Linked",
            trigger: ".o_notification:contains('linked')",
        },
        {
            content: "Select the purchase tax (no QuickBooks code has a purchase rate in a US company)",
            trigger: ".o_data_row:contains('Purchases 15 %'):not(:contains('Copy')) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "and the 15 % code",
            trigger: ".o_data_row:contains('Sales Tax 15'):contains('used by') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Link",
            trigger: "button[name='action_link']",
            run: "click",
        },
        {
            content: "Linking to a code of another rate asks first, showing both",
            trigger: ".modal:contains('is 15 % in Odoo'):contains('no Purchases rate')",
        },
        {
            content: "Link anyway",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Linked after confirmation",
            trigger: ".o_notification:contains('1 linked')",
        },
        {
            content: "The 15 % code now serves both default taxes",
            trigger: ".o_data_row:contains('Sales Tax 15'):contains('used by'):contains('15%, ')",
        },
        {
            content: "Back to the checklist",
            trigger: ".o_breadcrumb a:contains('QuickBooks Setup')",
            run: "click",
        },
        {
            content: "Taxes done",
            trigger: ".o_form_view:contains('3 of 5 steps done')",
        },
        {
            content: "Default income account",
            trigger: "div[name='qbo_default_income_account_id'] input",
            run: "edit Product Sales",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Product Sales')",
            run: "click",
        },
        {
            content: "Employee of the expenses imported from QuickBooks",
            trigger: "div[name='qbo_expense_employee_id'] input",
            run: "edit Tour Employee",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Employee')",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "Defaults done",
            trigger: ".o_form_view:contains('4 of 5 steps done')",
        },
        {
            content: "Match customers, products and the rest",
            trigger: "button[name='action_match_records']:contains('Match Records')",
            run: "click",
        },
        {
            content: "The screen opens on the customers",
            trigger: ".o_search_panel_category_value header.active:contains('Customers')",
        },
        {
            trigger: ".o_data_row:contains('Tour Customer')",
        },
        {
            content: "Automatch the customers",
            trigger: "button[name='action_automatch']",
            run: "click",
        },
        {
            content: "The customer found on both sides is proposed",
            trigger: ".modal .o_data_row:contains('Tour Customer')",
        },
        {
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            trigger: ".o_notification:contains('linked')",
        },
        {
            content: "Products",
            trigger: ".o_search_panel_category_value header:contains('Products')",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Tour Service')",
        },
        {
            content: "Automatch the products",
            trigger: "button[name='action_automatch']",
            run: "click",
        },
        {
            content: "The product found on both sides is proposed",
            trigger: ".modal .o_data_row:contains('Tour Service')",
        },
        {
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            trigger: ".o_notification:contains('linked')",
        },
        {
            content: "Back to the checklist",
            trigger: ".o_breadcrumb a:contains('QuickBooks Setup')",
            run: "click",
        },
        {
            content: "Every step done",
            trigger: ".o_form_view:contains('5 of 5 steps done')",
        },
    ],
});
