{
    "name": "QuickBooks Online Connector",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Keep an Odoo company and a QuickBooks Online company in step",
    "description": """
Connects an Odoo company to QuickBooks Online (OAuth 2.0) and keeps both books in step:
invoices, credit notes and bills exported exactly to the cent, payments and expenses
in both directions, documents created in QuickBooks imported, master data matched, webhooks and
change-data-capture, and a comparison of both books with repairs (Books in Step).
A faithful local QuickBooks Online sandbox ships with the module for tests and demos.
""",
    "author": "quickbooks_connector contributors",
    "license": "LGPL-3",
    "website": "https://apps.odoo.com/apps/modules/18.0/quickbooks_connector",
    "images": ["static/description/screenshots/invoices.png"],
    "depends": ["account", "bus", "hr_expense"],
    "external_dependencies": {
        "python": ["requests", "intuit-oauth"],
    },
    "data": [
        "security/qbo_security.xml",
        "security/ir.model.access.csv",
        "security/ir_rule.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "data/qbo_event_rule_data.xml",
        "views/qbo_oauth_templates.xml",
        "views/res_company_views.xml",
        "views/res_config_settings_views.xml",
        "views/qbo_mapping_views.xml",
        "views/qbo_setup_views.xml",
        "views/qbo_automatch_wizard_views.xml",
        "views/qbo_bulk_confirm_views.xml",
        "views/qbo_menus.xml",
        "views/qbo_import_wizard_views.xml",
        "views/qbo_sync_log_views.xml",
        "views/qbo_preview_wizard_views.xml",
        "views/account_move_views.xml",
        "views/account_payment_views.xml",
        "views/hr_expense_views.xml",
        "views/qbo_webhook_event_views.xml",
        "views/qbo_event_rule_views.xml",
        "views/qbo_books_check_views.xml",
        "views/qbo_books_repair_views.xml",
        "data/ir_actions_server_data.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "quickbooks_connector/static/src/**/*",
        ],
        "web.assets_tests": [
            "quickbooks_connector/static/tests/tours/**/*",
        ],
    },
    "demo": [
        "demo/qbo_demo.xml",
    ],
    "installable": True,
    "application": False,
}
