# Run inside `odoo-bin shell` on a database with Sales and quickbooks_connector only: the sales bridge installed
# itself, the bridges needing Project or Timesheets did not. Prints "BRIDGES CHECK: ok" or "... failed: <why>".
WANTED = {"quickbooks_connector_sale": "installed", "quickbooks_connector_project": "uninstalled",
          "quickbooks_connector_timesheet": "uninstalled"}
states = {module.name: module.state for module in env["ir.module.module"].search([("name", "in", list(WANTED))])}
problems = [f"{name} is {states.get(name, 'unknown')}" for name, state in WANTED.items()
            if states.get(name, "uninstalled") != state]
print("BRIDGES CHECK: " + ("failed: " + "; ".join(problems) if problems else "ok"))
