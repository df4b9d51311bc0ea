"""make run: walk the demo company through the setup checklist, as its administrator would.

Run by scripts/run.sh with ``odoo-bin shell`` (``env`` is given) once the local sandbox is up.
Connects through the real OAuth flow (the sandbox's consent page, Odoo's callback), maps the default
taxes (Automatch by rate), sets the defaults, links the records found on both sides, so that the
demo's first export of a new invoice with Odoo's default tax succeeds. Does nothing on a company
already connected: a demo database keeps what was done in it.
"""
import os
from urllib.parse import parse_qsl, urlsplit

from odoo.addons.quickbooks_connector.qbo_master_data import KINDS
from odoo.addons.quickbooks_connector.qbo_sandbox.demo import DEMO_REALM_ID
from odoo.addons.quickbooks_connector.qbo_sandbox.testing import press_consent

company = env.ref("base.main_company")  # noqa: F821 (given by odoo-bin shell)
admin = env.ref("base.user_admin")  # noqa: F821
env = env(user=admin, context={"allowed_company_ids": company.ids})  # noqa: F821

# The demo stays offline: Partner Autocomplete (installed with Sales) would ask Odoo's servers about the company
# at the first login.
if "iap_enrich_auto_done" in company._fields:
    env["res.company"].search([]).iap_enrich_auto_done = True

# The sandbox of this run (make screenshots starts one on a port of its own).
port = os.environ.get("QBO_SANDBOX_PORT", "8099")
company.qbo_discovery_url = f"http://127.0.0.1:{port}/.well-known/openid_configuration"
env.cr.commit()

if company.qbo_state == "connected":
    print(f"QuickBooks: {company.name} is connected to {company.qbo_company_name}; nothing to set up.")
else:
    # 1-2. The app's keys come with the demo data; Connect, consent, callback.
    action = company.with_env(env).action_qbo_connect()
    params = dict(parse_qsl(urlsplit(press_consent(action["url"], DEMO_REALM_ID).headers["Location"]).query))
    env["qbo.connection"]._qbo_oauth_callback(params["state"], code=params["code"], realm_id=params["realmId"])
    env.cr.commit()
    company.invalidate_recordset()

    # 3. Taxes: Automatch by rate; what it cannot propose (a US company has no purchase rates) takes the
    # default sales tax's code, confirmed.
    lines = env["qbo.mapping.line"]
    lines.action_open_screen("tax")
    wizard = env["qbo.automatch.wizard"].create({"company_id": company.id, "kind": "tax"})
    wizard.action_propose()
    if wizard.line_ids:
        wizard.action_apply()
    sale_code = env["qbo.tax.map"].search([("company_id", "=", company.id),
                                           ("tax_id", "=", company.account_sale_tax_id.id)])
    if sale_code and company.account_purchase_tax_id:
        rows = lines._qbo_my_rows(company, "tax")
        purchase_row = rows.filtered(lambda row: row.res_id == company.account_purchase_tax_id.id)
        code_row = rows.filtered(lambda row: row.qbo_id == sale_code.qbo_tax_code_id and not row.res_id)
        if purchase_row.state == "odoo" and code_row:
            (purchase_row | code_row).with_context(qbo_link_confirmed=True).action_link()

    # 4. Defaults: the income account of products, the administrator's own expenses.
    setup = env["qbo.setup"].create({"company_id": company.id})
    category_income = env["product.category"].search([], limit=1).property_account_income_categ_id
    setup.write({"qbo_default_income_account_id": category_income.id,
                 "qbo_expense_employee_id": admin.employee_id.id})
    # The timesheets logged from now on go to QuickBooks as time activities (the timesheets bridge addon).
    if "qbo_export_timesheets" in company._fields:
        company.qbo_export_timesheets = True

    # 5. Master data: the records found on both sides (same name, email or reference) are linked.
    for kind in ("customer", "vendor", "product"):
        lines.action_open_screen(kind)
        wizard = env["qbo.automatch.wizard"].create({"company_id": company.id, "kind": kind, "threshold": 100})
        wizard.action_propose()
        if wizard.line_ids:
            wizard.action_apply()
    env.cr.commit()
    setup.invalidate_recordset()
    linked = {kind: env["qbo.mapping"].search_count([("company_id", "=", company.id),
                                                     ("qbo_entity", "=", KINDS[kind].entity)])
              for kind in ("customer", "vendor", "product")}
    print(f"QuickBooks: {company.name} connected to {company.qbo_company_name}; setup checklist "
          f"{setup.steps_done} of 5 steps done; linked {linked}.")
