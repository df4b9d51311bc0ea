# Run inside `odoo-bin shell`: uninstall an addon of this repository and check that it leaves nothing behind.
# QBO_UNINSTALL_MODULE names it (default quickbooks_connector).
# Prints "UNINSTALL CHECK: ok" or "UNINSTALL CHECK: failed: <why>".
import os

MODULE = os.environ.get("QBO_UNINSTALL_MODULE", "quickbooks_connector")
# The columns each addon adds to Odoo's tables (LIKE patterns).
ADDED_COLUMNS = {
    "quickbooks_connector": {"res_company": "qbo\\_%"},
    "quickbooks_connector_sale": {"res_company": "qbo\\_export\\_orders", "sale_order": "qbo\\_%"},
    "quickbooks_connector_timesheet": {"res_company": "qbo\\_export\\_timesheets", "account_analytic_line": "qbo\\_%"},
}

problems = []
module = env["ir.module.module"].search([("name", "=", MODULE)])
try:
    module.button_immediate_uninstall()
except Exception as error:  # noqa: BLE001 - reported, not swallowed
    problems.append(f"uninstall raised {error!r}")
env.cr.rollback()
env.invalidate_all()
state = env["ir.module.module"].search([("name", "=", MODULE)]).state
if state != "uninstalled":
    problems.append(f"module state is {state!r}")
if MODULE == "quickbooks_connector":
    env.cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'qbo\\_%%'")
    tables = [row[0] for row in env.cr.fetchall()]
    if tables:
        problems.append(f"tables left: {', '.join(tables)}")
for table, pattern in ADDED_COLUMNS.get(MODULE, {}).items():
    env.cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name LIKE %s",
                   [table, pattern])
    columns = [row[0] for row in env.cr.fetchall()]
    if columns:
        problems.append(f"{table} columns left: {', '.join(columns)}")
env.cr.execute("SELECT count(*) FROM ir_model_data WHERE module = %s", [MODULE])
leftover = env.cr.fetchone()[0]
if leftover:
    problems.append(f"{leftover} ir.model.data rows left")
print("UNINSTALL CHECK: " + ("failed: " + "; ".join(problems) if problems else "ok"))
