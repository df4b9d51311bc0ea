"""make screenshots: what the screens show, in the demo company once set up (run by scripts/screenshots.sh
with ``odoo-bin shell``; ``env`` is given).

A new invoice with Odoo's default tax and a few posted demo invoices are exported to QuickBooks, as an
Accounting Manager would with Action > Export to QuickBooks; prints the new invoice's id.
"""
company = env.ref("base.main_company")  # noqa: F821 (given by odoo-bin shell)
admin = env.ref("base.user_admin")  # noqa: F821
env = env(user=admin, context={"allowed_company_ids": company.ids})  # noqa: F821

invoice = env["account.move"].create({
    "move_type": "out_invoice",
    "partner_id": env.ref("base.res_partner_2").id,  # Deco Addict, also in the sandbox's demo company
    "invoice_line_ids": [(0, 0, {"product_id": env.ref("product.product_product_1").id, "quantity": 4,
                                 "price_unit": 30.75, "tax_ids": [(6, 0, company.account_sale_tax_id.ids)]})],
})
invoice.action_post()
demo_invoices = env["account.move"].search([("company_id", "=", company.id), ("move_type", "=", "out_invoice"),
                                            ("state", "=", "posted"), ("id", "!=", invoice.id)], limit=4)
result = (invoice | demo_invoices).action_qbo_export()
env.cr.commit()
print(f"INVOICE_ID={invoice.id}")
print(f"EXPORT: {result['params']['message']}")
print(f"STATE: {invoice.qbo_state} {invoice.qbo_doc_number or ''} total {invoice.amount_total}")
