{
    "name": "QuickBooks Online Connector: Sales",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Quotations and sales orders as QuickBooks Estimates, both ways",
    "description": """
Installs itself when both the QuickBooks Online Connector and Sales are installed: quotations and sales
orders go to QuickBooks as Estimates (when sent or confirmed, or from the Action menu), changes update them,
a cancelled order rejects its Estimate, the Estimate's acceptance or rejection in QuickBooks shows on the
order with an activity for the salesperson, and invoices made from an order close its Estimate.
""",
    "author": "quickbooks_connector contributors",
    "license": "LGPL-3",
    "website": "https://apps.odoo.com/apps/modules/18.0/quickbooks_connector",
    "depends": ["quickbooks_connector", "sale"],
    "data": [
        "views/sale_order_views.xml",
        "views/res_company_views.xml",
        "data/ir_actions_server_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "quickbooks_connector_sale/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
