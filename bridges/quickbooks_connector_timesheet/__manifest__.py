{
    "name": "QuickBooks Online Connector: Timesheets",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Invoices from timesheets with their tasks, and timesheets as QuickBooks time activities",
    "description": """
Installs itself when the QuickBooks Online Connector's Sales and Projects bridges and Timesheets on sales
orders are installed: invoices made from timesheets go to QuickBooks with the task names on their lines,
and (company setting) timesheets go to QuickBooks as time activities, billable ones marked billed once their
invoice is exported, so nothing is billed twice from QuickBooks.
""",
    "author": "quickbooks_connector contributors",
    "license": "LGPL-3",
    "website": "https://apps.odoo.com/apps/modules/18.0/quickbooks_connector",
    "depends": ["quickbooks_connector_sale", "quickbooks_connector_project", "sale_timesheet"],
    "data": [
        "views/res_company_views.xml",
        "views/account_analytic_line_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
