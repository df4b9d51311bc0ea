# Run inside `odoo-bin shell`: uninstall the addon and check that it leaves nothing behind.
# Prints "UNINSTALL CHECK: ok" or "UNINSTALL CHECK: failed: <why>".
problems = []
module = env["ir.module.module"].search([("name", "=", "quickbooks_connector")])
try:
    module.button_immediate_uninstall()
except Exception as error:  # noqa: BLE001 - reported, not swallowed
    problems.append(f"uninstall raised {error!r}")
env.cr.rollback()
env.invalidate_all()
state = env["ir.module.module"].search([("name", "=", "quickbooks_connector")]).state
if state != "uninstalled":
    problems.append(f"module state is {state!r}")
env.cr.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'qbo\\_%%'")
tables = [row[0] for row in env.cr.fetchall()]
if tables:
    problems.append(f"tables left: {', '.join(tables)}")
env.cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'res_company' AND column_name LIKE 'qbo\\_%%'")
columns = [row[0] for row in env.cr.fetchall()]
if columns:
    problems.append(f"res_company columns left: {', '.join(columns)}")
env.cr.execute("SELECT count(*) FROM ir_model_data WHERE module = 'quickbooks_connector'")
leftover = env.cr.fetchone()[0]
if leftover:
    problems.append(f"{leftover} ir.model.data rows left")
print("UNINSTALL CHECK: " + ("failed: " + "; ".join(problems) if problems else "ok"))
