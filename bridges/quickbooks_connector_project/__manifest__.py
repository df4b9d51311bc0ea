{
    "name": "QuickBooks Online Connector: Projects",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Odoo projects as QuickBooks projects, both ways",
    "description": """
Installs itself when both the QuickBooks Online Connector and Project are installed: an Odoo project is its
QuickBooks project (a sub-customer flagged as a project) under the project's customer; invoices and expenses
on the project land on it in QuickBooks, and QuickBooks expenses added to a project Odoo does not know yet
create the Odoo project.
""",
    "author": "quickbooks_connector contributors",
    "license": "LGPL-3",
    "website": "https://apps.odoo.com/apps/modules/18.0/quickbooks_connector",
    "depends": ["quickbooks_connector", "project"],
    "auto_install": True,
    "installable": True,
}
