"""make bench: export N posted invoices of new customers and items to the local QuickBooks sandbox.

Intuit's limits are on in the sandbox (per realm and app: 10 requests a second, 500 a minute, 40
batch calls a minute, 10 at once; 429 beyond), the connector paces its calls within them, and every
request takes a simulated response time (the latency, the sandbox's own processing included).

For each N the script prints: documents per second, QuickBooks requests per document, SQL queries
per document, the wall time and the limit-bound minimum time (what the limits and the latency alone
impose on the requests made: their latency spread over 10 connections, or the rate windows and one
latency, whichever is longer), and the exporting thread's own CPU time: the Odoo work (payloads,
answers, writes, logs, chatter notes) that no amount of concurrency hides. With two sizes or more it
splits the SQL queries into a part per export run and a part per document.

The master data (new customers and items) is created first and reported on its own line; the
document figures are those of the export itself, "once master data is mapped" (the rate windows start
afresh). Then, the export rolled back in Odoo, the invoices QuickBooks holds are imported as documents
created there (the import job's adapter, its batches of 200; customers and items created on the way):
documents per second, requests and SQL queries per document, CPU. Everything runs in one transaction of the bench database that is rolled back at the end.

Usage: scripts/bench.sh [--latency SECONDS] [N ...]   (default: 100 1000)
"""
import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.environ.get("ODOO_SRC", "/opt/odoo"))
sys.path.insert(0, ROOT)  # the sandbox is a plain package of the repository

import odoo  # noqa: E402
from odoo import Command, api  # noqa: E402
from odoo.tools import config  # noqa: E402

from qbo_sandbox import accounting, limits  # noqa: E402
from qbo_sandbox.server import SandboxServer  # noqa: E402
from qbo_sandbox.testing import SandboxTestMixin  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "qbo-bench-client", "qbo-bench-secret"


class RequestCounter:
    """Counts the Accounting API requests this process sends (all threads) and the 429 answers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        original = requests.Session.request

        def request(session, method, url, *args, **kwargs):
            response = original(session, method, url, *args, **kwargs)
            if "/v3/company/" in str(url):
                kind = "batch" if str(url).split("?")[0].endswith("/batch") else "other"
                with self.lock:
                    self.counts[kind] += 1
                    self.counts["throttled"] += response.status_code == 429
            return response

        requests.Session.request = request

    def snapshot(self):
        with self.lock:
            return Counter(self.counts)


class Meter:
    """Wall time, the calling thread's CPU time and the QuickBooks requests of one phase
    (``queries_of_export``: SQL queries the bench counts)."""

    def __init__(self, counter, cr):
        self.counter, self.cr = counter, cr

    def __enter__(self):
        self.queries_of_export = 0
        self.t0 = time.monotonic()
        self.cpu0 = time.thread_time()
        self.counts0 = self.counter.snapshot()
        return self

    def __exit__(self, *exc):
        self.cr.flush()
        self.wall = time.monotonic() - self.t0
        self.cpu = time.thread_time() - self.cpu0
        counts = self.counter.snapshot() - self.counts0
        self.batches, self.throttled = counts["batch"], counts["throttled"]
        self.requests = counts["batch"] + counts["other"]


class SandboxProcess:
    """The sandbox in its own process (as QuickBooks is another machine): limits on, latency simulated.

    It records how long it spent answering (its own processing, serialized per company) in a stats file.
    """

    def __init__(self, latency):
        self.stats_file = tempfile.mktemp(prefix="qbo_bench_", suffix=".json")
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve-sandbox", str(latency), self.stats_file],
            stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        self.discovery_url = f"{self.url}/.well-known/openid_configuration"

    def control(self, path, payload):
        answer = requests.post(f"{self.url}/_sandbox/{path}", json=payload, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def stats(self):
        """The sandbox's processing time so far (``seconds``, ``requests``) and its limits."""
        previous = self._read().get("sequence", 0)
        self.process.send_signal(signal.SIGUSR1)
        for _attempt in range(200):
            result = self._read()
            if result.get("sequence", 0) > previous:
                return result
            time.sleep(0.01)
        raise RuntimeError("the sandbox did not report its statistics")

    def _read(self):
        try:
            with open(self.stats_file) as stats:
                return json.load(stats)
        except (OSError, ValueError):
            return {}

    def forget_windows(self):
        """Start the limits' windows afresh, as if the calls so far were long past."""
        self.process.send_signal(signal.SIGUSR2)
        time.sleep(0.1)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        if os.path.exists(self.stats_file):
            os.unlink(self.stats_file)


def serve_sandbox(latency, stats_file):
    """Run a sandbox with Intuit's limits on until SIGTERM; print its URL first, write its stats last."""
    server = SandboxServer()
    limits.for_state(server.state).configure(enabled=True, latency=latency)
    busy = {"seconds": 0.0, "requests": 0}
    route = accounting._route

    def timed_route(*args, **kwargs):
        # runs under the company's lock: these times add up to the company's busy time
        start = time.monotonic()
        try:
            return route(*args, **kwargs)
        finally:
            busy["seconds"] += time.monotonic() - start
            busy["requests"] += 1

    accounting._route = timed_route
    sequence = [0]

    def write_stats(*_args):
        sequence[0] += 1
        with open(stats_file + ".tmp", "w") as stats:
            limiter = limits.for_state(server.state)
            with limiter.lock:
                counts = [[realm_id, kind, count] for (realm_id, kind), count in limiter.counts.items()]
            json.dump({**busy, "sequence": sequence[0], "limits": limiter.settings, "counts": counts}, stats)
        os.replace(stats_file + ".tmp", stats_file)

    signal.signal(signal.SIGUSR1, write_stats)
    signal.signal(signal.SIGUSR2, lambda *_args: limits.for_state(server.state).reset())
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    write_stats()


def limit_bound_minimum(requests, batches, settings):
    """The least time Intuit's limits and the latency allow for ``requests`` (of which ``batches``):
    each request takes the latency, at most ``concurrent`` at once, the last one sent no sooner than the
    rate windows (per second, per minute, batch calls per minute) let it."""
    window, latency = settings["window"], settings["latency"]
    by_latency = math.ceil(requests / settings["concurrent"]) * latency
    by_second = math.ceil(requests / settings["per_second"]) - 1 + latency
    by_rate = window * (math.ceil(requests / settings["per_minute"]) - 1) + latency
    by_batch_rate = window * (math.ceil(batches / settings["batch_per_minute"]) - 1) + latency
    return max(by_latency, by_second, by_rate, by_batch_rate)


def connect(env, company, sandbox):
    """Connect ``company`` to a fresh sandbox company through the real OAuth flow."""
    company.write({
        "qbo_client_id": CLIENT_ID, "qbo_client_secret": CLIENT_SECRET, "qbo_environment": "custom",
        "qbo_discovery_url": sandbox.discovery_url,
    })
    sandbox.control("apps", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "redirect_uris": [company.qbo_redirect_uri]})
    realm = sandbox.control("companies", {"name": "Bench Company_US"})["realm_id"]
    # Each run connects to a new sandbox company: the connection (committed on its own) expects it.
    company._qbo_connection()._qbo_commit({"allow_realm_change": True})
    admin = env.ref("base.user_admin")
    action = company.with_user(admin).action_qbo_connect()
    answer = SandboxTestMixin.sandbox_consent(action["url"], realm)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    env["qbo.connection"].with_user(admin)._qbo_oauth_callback(params["state"], code=params["code"],
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


def bench(registry, counter, count, latency):
    sandbox = SandboxProcess(latency)
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            company = env.company
            connect(env, company, sandbox)
            partners, products, moves = make_documents(env, company, count, f"{count}-{int(time.time())}")
            cr.flush()
            sync = env["qbo.master.data.sync"]
            with Meter(counter, cr) as master:
                sync._qbo_resolve_partner(company, partners)
                sync._qbo_resolve_product(company, products)
            moves._qbo_write({"qbo_state": "to_send"})
            # The export is measured "once master data is mapped": as if the set-up calls were long past.
            sandbox.forget_windows()
            company._qbo_connection()._qbo_pacer(company.qbo_realm_id).reset()
            before = sandbox.stats()
            with Meter(counter, cr) as export:
                while env["account.move"].search_count([("id", "in", moves.ids), ("qbo_state", "=", "to_send")]):
                    queries = cr.sql_log_count
                    env["qbo.move.export"]._qbo_cron_export()
                    cr.flush()
                    export.queries_of_export += cr.sql_log_count - queries
            after = sandbox.stats()
            states = {state: len(group) for state, group in moves.grouped("qbo_state").items()}
            distinct = len(set(moves.mapped("qbo_id")))
            # The app's settings written by connect() are rolled back with the rest; the tokens are not.
            settings = {name: company[name] for name in ("qbo_client_id", "qbo_client_secret", "qbo_environment",
                                                         "qbo_discovery_url")}
            cr.rollback()
        with registry.cursor() as cr:
            imported = bench_import(api.Environment(cr, odoo.SUPERUSER_ID, {}), counter, sandbox, settings)
            compared = bench_compare(api.Environment(cr, odoo.SUPERUSER_ID, {}), counter, sandbox)
            cr.rollback()
    finally:
        sandbox.stop()
    minimum = limit_bound_minimum(export.requests, export.batches, after["limits"])
    processing = after["seconds"] - before["seconds"]
    # the sandbox processes one request of a company at a time, within the requests' latency: when its
    # processing adds up to more than the limit-bound minimum, that is the least time it can answer in
    with_processing = max(minimum, processing)
    print(f"N={count}: master data: {len(partners)} customers + {len(products)} items created in "
          f"{master.wall:.1f} s with {master.requests} QuickBooks requests")
    print(f"N={count}: {count / export.wall:.1f} documents/s, {export.requests / count:.3f} QuickBooks requests "
          f"per document ({export.batches} batches, {export.throttled} throttled), "
          f"{export.queries_of_export / count:.3f} SQL queries per document ({export.queries_of_export} in all)")
    print(f"N={count}: wall {export.wall:.2f} s; limit-bound minimum {minimum:.2f} s (ratio "
          f"{export.wall / minimum:.2f}); with the sandbox's own processing ({processing:.1f} s) "
          f"{with_processing:.1f} s (ratio {export.wall / with_processing:.2f})")
    print(f"N={count}: the exporting thread's own CPU time {export.cpu:.2f} s ({1000 * export.cpu / count:.2f} ms "
          f"per document; its database and network waits not included)")
    print(f"N={count}: states {states}, {distinct} distinct QuickBooks ids")
    print(f"N={count}: import of the {count} invoices as documents created in QuickBooks: "
          f"{count / imported.wall:.1f} documents/s, {imported.requests / count:.3f} QuickBooks requests and "
          f"{imported.queries_of_export / count:.1f} SQL queries per document, {imported.cpu / count * 1000:.2f} ms "
          f"of CPU per document; {imported.states}")
    print_compare(f"N={count}", compared)
    export.imported = imported
    return export


def bench_import(env, counter, sandbox, settings):
    """Import the invoices QuickBooks now holds as documents created there, as a company moving from
    QuickBooks does (Odoo's export was rolled back: customers and items are created on the way): the
    import job's adapter reads them all, by its batches."""
    company = env.company
    company.write(settings)
    tax = env["account.tax"].create({"name": f"Bench import 8% {time.time()}", "amount": 8.0,
                                     "type_tax_use": "sale", "company_id": company.id})
    env["qbo.tax.map"]._qbo_link(company, tax, {"id": "TAX", "name": "TAX"}, True)
    company.write({"qbo_import_documents": True})
    sandbox.forget_windows()
    company._qbo_connection()._qbo_pacer(company.qbo_realm_id).reset()
    adapter = env["qbo.invoice.import"].with_context(lastcall=odoo.fields.Datetime.now())
    cr = env.cr
    with Meter(counter, cr) as meter:
        queries = cr.sql_log_count
        while adapter._qbo_pull(company, 200).remaining:
            pass
        cr.flush()
        meter.queries_of_export = cr.sql_log_count - queries
    imported = env["account.move"].search([("company_id", "=", company.id), ("qbo_imported", "=", True)])
    meter.states = {f"{state}/{qbo_state}": len(group)
                    for (state, qbo_state), group in imported.grouped(lambda move: (move.state, move.qbo_state)).items()}
    return meter


def bench_compare(env, counter, sandbox):
    """Books in Step over the company's documents (all in step): its steps to the end, as the job runs them."""
    company = env.company
    sandbox.forget_windows()
    company._qbo_connection()._qbo_pacer(company.qbo_realm_id).reset()
    check = env["qbo.books.check"].create({"company_id": company.id, "date_from": "2026-01-01",
                                           "date_to": "2026-12-31"})
    cr = env.cr
    before = sandbox.stats()["seconds"]
    with Meter(counter, cr) as meter:
        queries = cr.sql_log_count
        check._qbo_run_all()
        cr.flush()
        meter.queries_of_export = cr.sql_log_count - queries
    meter.sandbox_seconds = sandbox.stats()["seconds"] - before
    meter.check = {name: check[name] for name in ("document_count", "partner_count", "state", "difference_count")}
    return meter


def print_compare(label, meter):
    check = meter.check
    count = max(check["document_count"], 1)
    # Intuit's budget for one realm: 500 requests a minute.
    budget = meter.requests / 500 * 60
    print(f"{label}: Books in Step over {check['document_count']} documents and {check['partner_count']} partners: "
          f"{check['document_count'] / meter.wall:.0f} documents/s ({meter.wall:.1f} s, of which the sandbox's own "
          f"processing {meter.sandbox_seconds:.1f} s), {meter.requests} QuickBooks "
          f"requests ({meter.requests / count:.4f} per document; {budget:.1f} s of one realm's budget of 500 a "
          f"minute, {meter.throttled} throttled), {meter.queries_of_export / count:.3f} SQL queries and "
          f"{1000 * meter.cpu / count:.2f} ms of CPU per document; {check['state']}, {check['difference_count']} "
          f"differences")


def bench_compare_scale(registry, counter, count, latency):
    """Books in Step over ``count`` invoices held on both sides (seeded outside the limits: QuickBooks'
    through the sandbox's control API, Odoo's posted and linked in bulk), then compared within them."""
    sandbox = SandboxProcess(latency)
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            company = env.company
            realm = connect(env, company, sandbox)
            started = time.monotonic()
            client = company._qbo_get_client()
            income = next(account for account in client.query("SELECT * FROM Account MAXRESULTS 1000")["Account"]
                          if account["AccountType"] == "Income")
            # A customer per 100 invoices: QuickBooks keeps each customer's balance over its documents.
            tag = int(time.time())
            names = [f"Bench Books {tag}-{index}" for index in range(max(1, count // 100))]
            customers = sandbox.control("records", {"realm_id": realm, "entity": "Customer", "records": [
                {"DisplayName": name} for name in names]})["ids"]
            item = client.create("Item", {"Name": f"Bench Books Item {tag}", "Type": "Service",
                                          "IncomeAccountRef": {"value": income["Id"]}})
            prices = [round(10 + index % 97 * 0.37, 2) for index in range(count)]
            ids = []
            seeded = time.monotonic()
            for start in range(0, count, 500):
                ids += sandbox.control("records", {"realm_id": realm, "entity": "Invoice", "records": [{
                    "CustomerRef": {"value": customers[index % len(customers)]}, "TxnDate": "2026-01-15",
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": prices[index], "SalesItemLineDetail": {
                        "ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": prices[index]}}],
                } for index in range(start, min(start + 500, count))]})["ids"]
            print(f"{count} invoices of {len(customers)} customers seeded in QuickBooks in "
                  f"{time.monotonic() - seeded:.0f} s")
            partners = env["res.partner"].create([{"name": name, "is_company": True} for name in names])
            for partner, qbo_id in zip(partners, customers):
                env["qbo.mapping"]._link(company, partner, "Customer", qbo_id)
            product = env["product.product"].create({"name": item["Name"], "type": "service"})
            for start in range(0, count, 1000):
                # Named here: Odoo's numbering looks for the journal's last number at each posting, a cost
                # that grows with the journal.
                moves = env["account.move"].with_context(qbo_no_push=True).create([{
                    "move_type": "out_invoice", "partner_id": partners[index % len(partners)].id,
                    "invoice_date": "2026-01-15", "name": f"BENCH/{tag}/{index:06d}",
                    "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1,
                                                         "price_unit": prices[index], "tax_ids": []})],
                } for index in range(start, min(start + 1000, count))])
                moves.action_post()
                cr.flush()
                cr.execute("UPDATE account_move SET qbo_id = linked.qbo_id, qbo_state = 'exported' "
                           "FROM unnest(%s::int[], %s::varchar[]) AS linked(id, qbo_id) WHERE account_move.id = linked.id",
                           [moves.ids, ids[start:start + 1000]])
                moves.invalidate_recordset(["qbo_id", "qbo_state"])
            print(f"{count} invoices seeded on both sides in {time.monotonic() - started:.0f} s")
            compared = bench_compare(env, counter, sandbox)
            cr.rollback()
    finally:
        sandbox.stop()
    print_compare(f"N={count}", compared)


def main():
    if sys.argv[1:2] == ["--serve-sandbox"]:
        serve_sandbox(float(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000])
    parser.add_argument("--database", default=os.environ.get("QBO_BENCH_DB", "quickbooks_bench"))
    parser.add_argument("--latency", type=float, default=0.3,
                        help="simulated seconds of network per QuickBooks request (default 0.3)")
    parser.add_argument("--compare", type=int, metavar="N",
                        help="only Books in Step over N invoices held on both sides (make bench-compare: 20000)")
    args = parser.parse_args()
    odoo_src = os.environ.get("ODOO_SRC", "/opt/odoo")
    config.parse_config(["--database", args.database, "--log-level", "warn", "--addons-path", ",".join(
        [os.path.join(odoo_src, "addons"), os.path.join(odoo_src, "odoo", "addons"), os.path.join(ROOT, ".addons")])])
    registry = odoo.modules.registry.Registry(args.database)
    counter = RequestCounter()
    print(f"Simulated latency {args.latency:.2f} s per request; Intuit's limits on in the sandbox "
          f"(per realm and app: 10 requests/s, 500/min, 40 batch calls/min, 10 at once).")
    if args.compare:
        bench_compare_scale(registry, counter, args.compare, args.latency)
        return
    results = {count: bench(registry, counter, count, args.latency) for count in args.sizes}
    if len(results) > 1:
        small, large = min(results), max(results)
        few, many = results[small].queries_of_export, results[large].queries_of_export
        marginal = (many - few) / (large - small)
        print(f"SQL queries per document: {few / small:.3f} at N={small}, {many / large:.3f} at N={large} "
              f"({100 * (many / large) / (few / small):.0f} %): each further document costs {marginal:.3f} queries "
              f"(one UPDATE, one log INSERT and one note INSERT per settled batch), each export run "
              f"{few - marginal * small:.0f} (search, lock, mappings)")


if __name__ == "__main__":
    main()
