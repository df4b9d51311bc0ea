"""make bench-scale: several Odoo processes calling QuickBooks realms at once, within one budget per realm.

A sandbox runs in its own process with Intuit's limits on (per realm and app: 10 requests a second, 500
a minute, 10 at once; 429 beyond) and a simulated response time. PROCESSES operating-system processes
each open their own database connections, as Odoo workers and cron threads do, and read CompanyInfo
in a loop through the connector's client and pacer (``qbo_client.py``, ``qbo_pacer.py``):

- on one realm, every process calling it (the limits bind);
- on REALMS realms, each process going round them (the response time binds).

Each scenario runs twice: with the realm's budget shared in PostgreSQL (the connector), then with a
budget of each process's own (how the connector paced before: every process within the limits on its
own, together beyond them). For each, the script prints the calls made, the 429 answers received, the
wall time against the least time the limits and the response time allow, and the cost of booking:
database round trips per call and milliseconds per booking.

Then the export as a production server runs it: Odoo with several workers and cron threads
(``--workers``, ``--cron-threads``) serves COMPANIES companies, each connected to a QuickBooks company
of its own, with PER_COMPANY posted invoices each plus one company with BIG, all queued at once (the
export job's lanes are woken). The script prints the total wall time against the least time the
limits and the response time allow the largest company, the 429 answers, and when each company was
done against its own least time: a small company must not wait for the large one.

Usage: scripts/bench.sh --scale [--processes P] [--realms R] [--calls N] [--latency SECONDS]
           [--companies C] [--per-company N] [--big N] [--workers W] [--cron-threads T] [--skip-pacing]
The export part adds its companies (kept for the next runs) and invoices to the bench database.
"""
import argparse
import math
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
sys.path.insert(0, ODOO_SRC)
sys.path.insert(0, ROOT)

import requests  # noqa: E402
from intuitlib.client import AuthClient  # noqa: E402
from intuitlib.enums import Scopes  # noqa: E402

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, Command, api, sql_db  # noqa: E402
from odoo.tools import config  # noqa: E402

config.parse_config(["--log-level", "warn", "--addons-path", ",".join(
    [os.path.join(ODOO_SRC, "addons"), os.path.join(ODOO_SRC, "odoo", "addons"), os.path.join(ROOT, ".addons")])])
odoo.modules.module.initialize_sys_path()

from odoo.addons.quickbooks_connector.qbo_client import QboClient  # noqa: E402
from odoo.addons.quickbooks_connector.qbo_pacer import RequestPacer, SharedBudget  # noqa: E402

from bench_export import SandboxProcess, limit_bound_minimum  # noqa: E402
from qbo_sandbox.testing import press_consent  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "qbo-scale-client", "qbo-scale-secret"
REDIRECT_URI = "http://127.0.0.1/qbo/callback"


def authorize(sandbox, realm_id):
    """An access token of the realm, through the sandbox's real OAuth flow."""
    client = AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, sandbox.discovery_url)
    answer = press_consent(client.get_authorization_url([Scopes.ACCOUNTING]), realm_id)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    client.get_bearer_token(params["code"], realm_id=realm_id)
    return client.access_token


def worker(index, database, url, realms, calls, shared, tag, results):
    """One process: ``calls`` reads going round ``realms`` (``{realm_id: token}``), each paced."""
    throttled = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: throttled.append(response.status_code == 429))
    booked = {"seconds": 0.0, "count": 0}
    clients = []
    for realm_id, token in realms.items():
        key = f"{url} {realm_id} {tag}" + ("" if shared else f" process {index}")
        budget = SharedBudget(lambda: sql_db.db_connect(database).cursor(), key)
        book = budget.book

        def timed_book(batch_only, count, book=book):
            start = time.perf_counter()
            try:
                return book(batch_only, count)
            finally:
                booked["seconds"] += time.perf_counter() - start
                booked["count"] += 1

        budget.book = timed_book
        clients.append(QboClient(url, realm_id, lambda token=token: token, session=session,
                                 pacer=RequestPacer(budget), max_retries=8))
    start = time.monotonic()
    for call in range(calls):
        client = clients[call % len(clients)]
        client.read("CompanyInfo", client.realm_id)
    results.put({"wall": time.monotonic() - start, "throttled": sum(throttled), "answers": len(throttled),
                 "bookings": booked["count"], "booking_seconds": booked["seconds"]})


def scenario(label, sandbox, database, realms, processes, calls, shared, settings):
    tag = uuid.uuid4().hex[:8]
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=worker, args=(index, database, sandbox.url, realms, calls, shared,
                                                              tag, results)) for index in range(processes)]
    sandbox.forget_windows()
    start = time.monotonic()
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=900) for _process in workers]
    for process in workers:
        process.join()
    wall = time.monotonic() - start
    total = processes * calls
    per_realm = math.ceil(total / len(realms))
    # Each process sends one call at a time: the response time bounds it as much as the realm's limits.
    minimum = max(limit_bound_minimum(per_realm, 0, settings), calls * settings["latency"])
    throttled = sum(outcome["throttled"] for outcome in outcomes)
    bookings = sum(outcome["bookings"] for outcome in outcomes)
    booking_ms = 1000 * sum(outcome["booking_seconds"] for outcome in outcomes) / max(bookings, 1)
    print(f"{label}: {processes} processes, {len(realms)} realm(s), {total} calls: {throttled} throttled (429), "
          f"wall {wall:.1f} s, least time the limits and the response time allow {minimum:.1f} s "
          f"(ratio {wall / minimum:.2f}); {bookings / total:.2f} bookings per call, {booking_ms:.1f} ms per booking",
          flush=True)


def ensure_companies(env, count):
    """``count`` companies with a chart of accounts, created on the first run, kept for the next ones."""
    companies = env["res.company"].search([("name", "=like", "Scale Co %")], order="id")
    usd = env.ref("base.USD")
    for index in range(len(companies), count):
        company = env["res.company"].create({"name": f"Scale Co {index + 1:02d}", "currency_id": usd.id,
                                             "country_id": env.ref("base.us").id})
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        env.cr.commit()
        companies |= company
    admin = env.ref("base.user_admin")
    admin.company_ids |= companies
    return companies[:count]


def connect(env, company, sandbox):
    """Connect ``company`` to a new sandbox company through the real OAuth flow; return its realm id."""
    admin = env.ref("base.user_admin")
    company = company.with_user(admin).with_context(allowed_company_ids=company.ids)
    company.sudo().write({"qbo_client_id": CLIENT_ID, "qbo_client_secret": CLIENT_SECRET,
                          "qbo_environment": "custom", "qbo_discovery_url": sandbox.discovery_url})
    sandbox.control("apps", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "redirect_uris": [company.qbo_redirect_uri]})
    realm_id = sandbox.control("companies", {"name": company.name})["realm_id"]
    company.sudo()._qbo_connection()._qbo_commit({"allow_realm_change": True})
    answer = press_consent(company.action_qbo_connect()["url"], realm_id)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    env["qbo.connection"].with_user(admin).with_context(allowed_company_ids=company.ids)._qbo_oauth_callback(
        params["state"], code=params["code"], realm_id=params["realmId"])
    return realm_id


def queue_invoices(env, company, count, tag):
    """``count`` posted invoices of a few new customers and items."""
    income = env["account.account"].search([("account_type", "=", "income"), ("company_ids", "in", company.id)],
                                           limit=1)
    company.qbo_default_income_account_id = income
    partners = env["res.partner"].create([{"name": f"Scale Customer {tag}-{index}", "is_company": True}
                                          for index in range(5)])
    products = env["product.product"].create([{"name": f"Scale Item {tag}-{index}", "type": "service",
                                               "taxes_id": [Command.clear()]} for index in range(5)])
    moves = env["account.move"].with_company(company).create([{
        "move_type": "out_invoice", "partner_id": partners[index % 5].id, "invoice_date": "2026-01-15",
        "invoice_line_ids": [Command.create({"product_id": products[index % 5].id, "quantity": 1 + index % 7,
                                             "price_unit": 12.35 + index % 13, "tax_ids": [Command.clear()]})],
    } for index in range(count)])
    moves.action_post()
    return moves


def tree_cpu(pid):
    """CPU seconds used by a process and its children, those reaped included (Odoo's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(path):
        with open(path) as stat:
            return stat.read().rsplit(")", 1)[1].split()

    own = fields(f"/proc/{pid}/stat")
    total = sum(int(value) for value in own[11:15])  # utime, stime, cutime, cstime
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                values = fields(f"/proc/{entry}/stat")
            except OSError:
                continue
            if values[1] == str(pid):
                total += int(values[11]) + int(values[12])
    return total / ticks


def disconnect(cr, company_ids):
    cr.execute("UPDATE qbo_connection SET state = 'disconnected' WHERE company_id = ANY(%s)", [company_ids])
    cr.commit()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def export_scenario(args, sandbox, settings):
    config.parse_config(["--database", args.database, "--log-level", "warn", "--addons-path",
                         config["addons_path"]])
    registry = odoo.modules.registry.Registry(args.database)
    sizes = [args.per_company] * args.companies + [args.big]
    tag = uuid.uuid4().hex[:6]
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("quickbooks_connector.pace_requests", "True")
        companies = ensure_companies(env, len(sizes))
        # The companies of earlier runs point to sandboxes that are gone: the jobs must not serve them.
        disconnect(cr, env["res.company"].search([("name", "=like", "Scale Co %")]).ids)
        realms, moves = {}, {}
        print(f"Export: {len(companies)} companies connected to sandbox companies of their own; creating "
              f"{sum(sizes)} invoices ...", flush=True)
        for company, size in zip(companies, sizes):
            realms[company.id] = connect(env, company, sandbox)
            moves[company.id] = queue_invoices(env, company, size, f"{tag}-{company.id}").ids
            cr.commit()
    log = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"qbo_bench_scale_{tag}.log")
    server = subprocess.Popen([
        sys.executable, os.path.join(ODOO_SRC, "odoo-bin"), "--addons-path", config["addons_path"],
        "--database", args.database, "--db-filter", f"^{args.database}$", "--workers", str(args.workers),
        "--max-cron-threads", str(args.cron_threads), "--http-interface", "127.0.0.1", "--http-port",
        str(free_port()), "--gevent-port", str(free_port()), "--log-level", "info", "--logfile", log,
    ])
    try:
        # As on a production server, the work is queued while Odoo runs: the jobs' lanes are woken at once.
        for _wait in range(600):
            with open(log) if os.path.exists(log) else open(os.devnull) as lines:
                if sum("WorkerCron" in line and "alive" in line for line in lines) >= args.cron_threads:
                    break
            time.sleep(0.1)
        time.sleep(5)
        sandbox.forget_windows()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["account.move"].browse([move_id for ids in moves.values() for move_id in ids])._qbo_write(
                {"qbo_state": "to_send", "qbo_error": False, "qbo_retry_count": 0, "qbo_next_attempt": False})
            env.ref("quickbooks_connector.ir_cron_qbo_export")._qbo_trigger_lanes()
            cr.commit()
        start, cpu_start = time.monotonic(), tree_cpu(server.pid)
        done_at = {}
        all_ids = [move_id for ids in moves.values() for move_id in ids]
        with sql_db.db_connect(args.database).cursor() as cr:
            while len(done_at) < len(companies) and time.monotonic() - start < args.timeout:
                cr.execute("""SELECT company_id, count(*) FILTER (WHERE qbo_state = 'to_send')
                                FROM account_move WHERE id = ANY(%s) GROUP BY company_id""", [all_ids])
                for company_id, waiting in cr.fetchall():
                    if not waiting and company_id not in done_at:
                        done_at[company_id] = time.monotonic() - start
                cr.rollback()
                time.sleep(0.2)
            wall, cpu = time.monotonic() - start, tree_cpu(server.pid) - cpu_start
            cr.execute("""SELECT qbo_state, count(*), count(DISTINCT (company_id, qbo_id)) FROM account_move
                           WHERE id = ANY(%s) GROUP BY qbo_state""", [all_ids])
            states = {state: (count, distinct) for state, count, distinct in cr.fetchall()}
            # What QuickBooks holds: as many invoices as were exported, none twice.
            cr.execute("SELECT company_id, realm_id, access_token FROM qbo_connection WHERE company_id = ANY(%s)",
                       [companies.ids])
            held = {company_id: len(QboClient(sandbox.url, realm_id, lambda token=token: token).query_all("Invoice"))
                    for company_id, realm_id, token in cr.fetchall()}
    finally:
        server.terminate()
        server.wait(timeout=60)
        with sql_db.db_connect(args.database).cursor() as cr:
            disconnect(cr, companies.ids)
    stats = sandbox.stats()
    counts = {(realm_id, kind): count for realm_id, kind, count in stats["counts"]}

    def least(company_id):
        realm_id = realms[company_id]
        batches, other = counts.get((realm_id, "batch"), 0), counts.get((realm_id, "other"), 0)
        return limit_bound_minimum(batches + other, batches, settings)

    throttled = sum(count for (_realm, kind), count in counts.items() if kind == "throttled")
    big, small = companies[-1].id, companies[0].id
    print(f"Export: {sum(sizes)} invoices ({args.companies} companies x {args.per_company} and one with {args.big}), "
          f"{args.workers} workers, {args.cron_threads} cron threads: states "
          f"{ {state: count for state, (count, _distinct) in states.items()} }, "
          f"{states.get('exported', (0, 0))[1]} distinct QuickBooks ids; {throttled} throttled (429)", flush=True)
    cores = os.cpu_count()
    minimum = max(least(big), cpu / cores)
    print(f"Export: Odoo's processes used {cpu:.1f} s of CPU ({1000 * cpu / sum(sizes):.2f} ms per invoice; "
          f"{cpu / cores:.1f} s on this machine's {cores} cores, shared with PostgreSQL and the sandbox)")
    print(f"Export: wall {wall:.1f} s; least time {minimum:.1f} s (the largest company's limits and response "
          f"time {least(big):.1f} s, Odoo's CPU spread on the cores {cpu / cores:.1f} s): ratio {wall / minimum:.2f}")
    small_done = [done_at[company.id] for company in companies[:-1] if company.id in done_at]
    if small_done:
        print(f"Export: companies of {args.per_company} done after {min(small_done):.1f} s (first), "
              f"{statistics.median(small_done):.1f} s (median), {max(small_done):.1f} s (last); each one's own "
              f"least time {least(small):.1f} s; the company of {args.big} done after "
              f"{done_at.get(big, float('nan')):.1f} s")
    if big in done_at:
        # Intuit's ceiling for one realm and app: 40 batch calls of 30 and 460 single calls a minute.
        ceiling = settings["batch_per_minute"] * 30 + settings["per_minute"] - settings["batch_per_minute"]
        print(f"Export: the company of {args.big}: {60 * args.big / done_at[big]:.0f} invoices a minute "
              f"({counts.get((realms[big], 'batch'), 0)} batch calls, {counts.get((realms[big], 'other'), 0)} "
              f"other calls); Intuit's ceiling for one realm {ceiling} a minute: least "
              f"{args.big / ceiling:.2f} min, done in {done_at[big] / 60:.2f} min, ratio "
              f"{done_at[big] / 60 / (args.big / ceiling):.2f}")
    copies = {company.name: (held.get(company.id), size) for company, size in zip(companies, sizes)
              if held.get(company.id) != size}
    print(f"Export: QuickBooks holds {sum(held.values())} invoices in the {len(companies)} companies"
          + (f"; differing from Odoo (QuickBooks, Odoo): {copies}" if copies else ", each exactly once"))
    print(f"Export: Odoo's log: {log}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("QBO_BENCH_DB", "quickbooks_bench"))
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--realms", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100, help="calls per process (default 100)")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="simulated seconds per QuickBooks request (default 0.05)")
    parser.add_argument("--companies", type=int, default=5)
    parser.add_argument("--per-company", type=int, default=100)
    parser.add_argument("--big", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cron-threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--skip-pacing", action="store_true", help="only the export part")
    args = parser.parse_args()
    sandbox = SandboxProcess(args.latency)
    try:
        sandbox.control("apps", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                 "redirect_uris": [REDIRECT_URI]})
        settings = sandbox.stats()["limits"]
        print(f"Sandbox with Intuit's limits on (per realm and app: {settings['per_second']} requests/s, "
              f"{settings['per_minute']}/min, {settings['batch_per_minute']} batch calls/min, "
              f"{settings['concurrent']} at once), {args.latency:.2f} s per request.", flush=True)
        if not args.skip_pacing:
            realms = {}
            for index in range(args.realms):
                realm_id = sandbox.control("companies", {"name": f"Scale Company {index + 1}"})["realm_id"]
                realms[realm_id] = authorize(sandbox, realm_id)
            one = dict(list(realms.items())[:1])
            for shared, how in ((True, "budget shared in PostgreSQL"), (False, "a budget per process (before)")):
                scenario(f"one realm, {how}", sandbox, args.database, one, args.processes, args.calls, shared,
                         settings)
                scenario(f"{args.realms} realms, {how}", sandbox, args.database, realms, args.processes,
                         args.calls, shared, settings)
        export_scenario(args, sandbox, settings)
    finally:
        sandbox.stop()
        with sql_db.db_connect(args.database).cursor() as cr:
            cr.execute("DELETE FROM qbo_realm_budget WHERE realm_key LIKE %s", [f"{sandbox.url} %"])


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
