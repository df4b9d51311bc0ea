"""make bench: export N posted invoices of new customers and items to the local QuickBooks sandbox.

Intuit's limits are on in the sandbox (500 requests a minute, 120 batch calls a minute, 10 at once,
429 beyond) and every request waits a simulated network latency. For each N the script prints:
documents per second, QuickBooks requests per document, SQL queries per document, the wall time
and the limit-bound minimum time (what the limits and the latency alone impose on the requests
made: their total latency spread over 10 connections, or the rate windows, whichever is longer).

The master data (new customers and items) is created first and reported on its own line; the
document figures are those of the export itself, "once master data is mapped". Everything runs in
one transaction of the bench database that is rolled back at the end.

Usage: scripts/bench.sh [--latency SECONDS] [N ...]   (default: 100 1000)
"""
import argparse
import math
import os
import sys
import time
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.environ.get("ODOO_SRC", "/opt/odoo"))
sys.path.insert(0, ROOT)  # the sandbox is a plain package of the repository

import odoo  # noqa: E402
from odoo import Command, api  # noqa: E402
from odoo.tools import config  # noqa: E402

from qbo_sandbox import limits  # noqa: E402
from qbo_sandbox.server import SandboxServer  # noqa: E402
from qbo_sandbox.testing import SandboxTestMixin  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "qbo-bench-client", "qbo-bench-secret"


class Meter:
    """Wall time, sandbox requests and SQL queries between ``start`` and ``stop``."""

    def __init__(self, limiter, realm_id, cr):
        self.limiter, self.realm_id, self.cr = limiter, realm_id, cr

    def __enter__(self):
        self.t0 = time.monotonic()
        self.requests0 = self.limiter.count(self.realm_id)
        self.batches0 = self.limiter.count(self.realm_id, "batch")
        self.throttled0 = self.limiter.count(self.realm_id, "throttled")
        self.queries0 = self.cr.sql_log_count
        return self

    def __exit__(self, *exc):
        self.cr.flush()
        self.wall = time.monotonic() - self.t0
        self.requests = self.limiter.count(self.realm_id) - self.requests0
        self.batches = self.limiter.count(self.realm_id, "batch") - self.batches0
        self.throttled = self.limiter.count(self.realm_id, "throttled") - self.throttled0
        self.queries = self.cr.sql_log_count - self.queries0


def limit_bound_minimum(requests, batches, settings):
    """The least time Intuit's limits and the latency allow for ``requests`` (of which ``batches``)."""
    window = settings["window"]
    by_latency = requests * settings["latency"] / settings["concurrent"]
    by_rate = window * (math.ceil(requests / settings["per_minute"]) - 1)
    by_batch_rate = window * (math.ceil(batches / settings["batch_per_minute"]) - 1)
    return max(by_latency, by_rate, by_batch_rate)


def connect(env, company, server):
    """Connect ``company`` to a fresh sandbox company through the real OAuth flow."""
    company.write({
        "qbo_client_id": CLIENT_ID, "qbo_client_secret": CLIENT_SECRET, "qbo_environment": "custom",
        "qbo_discovery_url": server.discovery_url,
    })
    server.state.register_app(CLIENT_ID, CLIENT_SECRET, [company.qbo_redirect_uri])
    realm = server.state.create_company(name="Bench Company_US").realm_id
    admin = env.ref("base.user_admin")
    action = company.with_user(admin).action_qbo_connect()
    answer = SandboxTestMixin.sandbox_consent(action["url"], realm)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    env["res.company"].with_user(admin)._qbo_oauth_callback(params["state"], code=params["code"],
                                                             realm_id=params["realmId"])
    company.invalidate_recordset()
    return realm


def make_documents(env, company, count, tag):
    """``count`` posted invoices (two lines, 8 % tax) of ``count // 10`` new customers and ``count // 20`` items."""
    income = env["account.account"].search([("account_type", "=", "income"), ("company_ids", "in", company.id)],
                                           limit=1)
    company.qbo_default_income_account_id = income
    tax = env["account.tax"].create({"name": f"Bench 8% {tag}", "amount": 8.0, "type_tax_use": "sale",
                                     "company_id": company.id})
    env["qbo.tax.map"]._qbo_link(company, tax, {"id": "TAX", "name": "TAX"}, True)
    partners = env["res.partner"].create([{"name": f"Bench Customer {tag}-{index}", "is_company": True,
                                           "email": f"c{index}@bench.example"}
                                          for index in range(max(1, count // 10))])
    products = env["product.product"].create([{"name": f"Bench Item {tag}-{index}", "type": "service",
                                               "list_price": 10 + index} for index in range(max(2, count // 20))])
    moves = env["account.move"].create([{
        "move_type": "out_invoice",
        "partner_id": partners[index % len(partners)].id,
        "invoice_date": "2026-01-15",
        "invoice_line_ids": [
            Command.create({"product_id": products[index % len(products)].id, "quantity": 1 + index % 7,
                            "price_unit": 12.35 + index % 13, "tax_ids": [Command.set(tax.ids)]}),
            Command.create({"product_id": products[(index + 1) % len(products)].id, "quantity": 2,
                            "price_unit": 3.99, "discount": 10 * (index % 3), "tax_ids": [Command.set(tax.ids)]}),
        ],
    } for index in range(count)])
    moves.action_post()
    return partners, products, moves


def bench(registry, count, latency):
    server = SandboxServer().start()
    limiter = limits.for_state(server.state)
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            company = env.company
            realm = connect(env, company, server)
            partners, products, moves = make_documents(env, company, count, f"{count}-{int(time.time())}")
            cr.flush()
            limiter.configure(enabled=True, latency=latency)
            sync = env["qbo.master.data.sync"]
            with Meter(limiter, realm, cr) as master:
                sync._qbo_resolve_partner(company, partners)
                sync._qbo_resolve_product(company, products)
            company.qbo_export_sync_limit = 1
            moves._qbo_write({"qbo_state": "to_send"})
            cr.flush()
            with Meter(limiter, realm, cr) as export:
                while env["account.move"].search_count([("id", "in", moves.ids), ("qbo_state", "=", "to_send")]):
                    env["account.move"]._cron_qbo_export()
            states = {state: len(group) for state, group in moves.grouped("qbo_state").items()}
            docs = server.state.companies[realm].all("Invoice")
            cr.rollback()
    finally:
        server.stop()
    minimum = limit_bound_minimum(export.requests, export.batches, limiter.settings)
    print(f"N={count}: master data: {len(partners)} customers + {len(products)} items created in "
          f"{master.wall:.1f} s with {master.requests} QuickBooks requests")
    print(f"N={count}: {count / export.wall:.1f} documents/s, {export.requests / count:.3f} QuickBooks requests "
          f"per document ({export.batches} batches, {export.throttled} throttled), {export.queries / count:.1f} SQL "
          f"queries per document; wall {export.wall:.1f} s, limit-bound minimum {minimum:.1f} s "
          f"(x{export.wall / minimum if minimum else float('inf'):.2f}); states {states}; {len(docs)} invoices in QuickBooks")
    return export


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000])
    parser.add_argument("--database", default=os.environ.get("QBO_BENCH_DB", "quickbooks_bench"))
    parser.add_argument("--latency", type=float, default=0.3,
                        help="simulated seconds per QuickBooks request (default 0.3)")
    args = parser.parse_args()
    config.parse_config(["--database", args.database, "--addons-path",
                         ",".join([os.path.join(os.environ.get("ODOO_SRC", "/opt/odoo"), "addons"),
                                   os.path.join(os.environ.get("ODOO_SRC", "/opt/odoo"), "odoo", "addons"),
                                   os.path.join(ROOT, ".addons")]),
                         "--log-level", "warn"])
    registry = odoo.modules.registry.Registry(args.database)
    print(f"Simulated latency {args.latency:.2f} s per request; Intuit's limits on "
          f"(500/min, 120 batch/min, 10 at once).")
    results = {count: bench(registry, count, args.latency) for count in args.sizes}
    if len(results) > 1:
        per_doc = {count: export.queries / count for count, export in results.items()}
        low, high = min(per_doc.values()), max(per_doc.values())
        print(f"SQL queries per document vary by {100 * (high - low) / low:.1f} % across N={sorted(per_doc)}")


if __name__ == "__main__":
    main()
