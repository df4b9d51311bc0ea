import json
import threading
import time
from contextlib import closing
from unittest.mock import patch
from urllib.parse import urlsplit

import psycopg2.errors
import requests

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import config, mute_logger

from ..qbo_sandbox import send, webhooks
from .common import QboCommittedConnectionMixin

ROUND_TRIPS = 20
VERIFIER = "concurrency-verifier"


@tagged("post_install", "-at_install")
class TestSyncCoreConcurrency(QboCommittedConnectionMixin, TransactionCase):
    """What Odoo's transaction retries and concurrent workers do to the QuickBooks side, on real,
    separate database connections and through Odoo's real HTTP server: connecting while syncs
    run, a request replayed after its QuickBooks call, the same webhook delivered twice at once."""

    SAVED_FIELDS = [*QboCommittedConnectionMixin.SAVED_FIELDS, "qbo_import_documents"]

    def setUp(self):
        super().setUp()
        # The test runner holds the registry lock: Odoo's HTTP server threads reach the registry as
        # they do in HttpCase.
        patcher = patch.object(Registry, "_lock", DummyRLock())
        patcher.start()
        self.addCleanup(patcher.stop)
        with self.real_env() as env:
            last_log = env["qbo.sync.log"].search([], order="id desc", limit=1).id
            base_url = env["ir.config_parameter"].get_param("web.base.url")
        self.addCleanup(self.remove_logs, last_log, base_url)
        self.base_url = f"http://127.0.0.1:{config['http_port']}"
        self.session = requests.Session()
        answer = self.session.post(f"{self.base_url}/web/session/authenticate", json={
            "jsonrpc": "2.0", "params": {"db": self.dbname, "login": "admin", "password": "admin"}}, timeout=30)
        self.assertNotIn("error", answer.json(), answer.text)
        # An administrator's login sets the database's address to the one used: the redirect URI follows.
        with self.real_env() as env:
            redirect_uri = env["res.company"].browse(self.company_id).qbo_redirect_uri
        self.register_sandbox_app(redirect_uris=[redirect_uri])

    # ---- helpers ----

    def rpc(self, model, method, ids, route="/web/dataset/call_button"):
        answer = self.session.post(f"{self.base_url}{route}", json={"jsonrpc": "2.0", "params": {
            "model": model, "method": method, "args": [ids],
            "kwargs": {"context": {"allowed_company_ids": [self.company_id]}}}}, timeout=60)
        body = answer.json()
        self.assertNotIn("error", body, body.get("error"))
        return body["result"]

    def live_grants(self):
        with self.sandbox.lock:
            return [grant_id for grant_id, grant in self.sandbox.grants.items()
                    if grant["realm_id"] == self.realm_id and self.sandbox.live_grant(grant_id)]

    def exported_invoice(self, amount):
        """A posted invoice, exported (committed); removed after the test."""
        with self.real_env() as env:
            partner = env["res.partner"].create({"name": f"Concurrency {self._testMethodName}", "is_company": True,
                                                 "email": "buyer@concurrency.example"})
            product = env["product.product"].create({"name": f"Concurrency {self._testMethodName}",
                                                     "type": "service", "taxes_id": [Command.clear()]})
            move = env["account.move"].with_company(self.company_id).create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2019-01-01",
                "invoice_line_ids": [Command.create({"product_id": product.id, "price_unit": amount,
                                                     "tax_ids": [Command.clear()]})],
            })
            move.action_post()
            move_id, partner_id, product_id = move.id, partner.id, product.id
        self.addCleanup(self.remove_invoice, move_id, partner_id, product_id)
        return move_id

    def remove_invoice(self, move_id, partner_id, product_id):
        with self.real_env() as env:
            env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move_id)]).unlink()
            env["qbo.mapping"].search([("company_id", "=", self.company_id)]).unlink()
            move = env["account.move"].browse(move_id).with_context(force_delete=True)
            if move.qbo_id:
                # Its number comes back with the next test's invoice: QuickBooks must not know it any more.
                self.sandbox.companies[self.realm_id].remove("Invoice", move.qbo_id)
            move._qbo_write({"qbo_state": "not_exported", "qbo_id": False})
            move.button_draft()
            move.unlink()
            env["res.partner"].browse(partner_id).unlink()
            env["product.product"].browse(product_id).unlink()

    def force_serialization_failure_once(self, row_table, row_id):
        """A patch body: the first time, another transaction changes the row (a real concurrent
        update, committed), then this one writes it too: PostgreSQL refuses this transaction and
        Odoo replays the whole request."""
        done = []

        def collide(cr):
            if done:
                return
            done.append(True)
            with db_connect(self.dbname).cursor() as other:
                other.execute("SET LOCAL lock_timeout = '5s'")
                other.execute(f"UPDATE {row_table} SET write_date = now() at time zone 'UTC' WHERE id = %s", [row_id])
            cr.execute(f"UPDATE {row_table} SET write_date = now() at time zone 'UTC' WHERE id = %s", [row_id])
        return collide

    # ---- tests ----

    def test_connect_while_syncs_run(self):
        """Connect 20 times while every sync runs meanwhile on another connection: each round trip through
        the consent page succeeds, and one grant is left at Intuit."""
        stop = threading.Event()
        errors, runs = [], []

        def syncs(_index):
            while not stop.is_set():
                for method in ("action_qbo_sync_payments", "action_qbo_sync_expenses", "action_qbo_catch_up",
                               "action_qbo_test_connection"):
                    try:
                        with self.real_env() as env:
                            getattr(env["res.company"].browse(self.company_id), method)()
                        runs.append(method)
                    except Exception as error:  # noqa: BLE001 - reported by the main thread
                        errors.append((method, repr(error)))

        statuses = []

        def connects(_index):
            try:
                for _round in range(ROUND_TRIPS):
                    action = self.rpc("res.company", "action_qbo_connect", [self.company_id])
                    consent = self.sandbox_consent(action["url"], self.realm_id)
                    callback = urlsplit(consent.headers["Location"])
                    answer = self.session.get(f"{self.base_url}{callback.path}?{callback.query}",
                                              allow_redirects=False, timeout=60)
                    statuses.append((answer.status_code, answer.headers.get("Location", answer.text[:200])))
            finally:
                stop.set()

        with self.mute_sync_logs():
            self.run_workers(lambda index: (connects if index == 0 else syncs)(index), count=2)
        self.assertFalse(errors, errors)
        self.assertEqual(len(statuses), ROUND_TRIPS)
        self.assertEqual({status for status, _location in statuses}, {303}, statuses)
        setup_url = f"/odoo/quickbooks-setup?cids={self.company_id}"
        self.assertTrue(all(location.endswith(setup_url) for _status, location in statuses))
        self.assertGreaterEqual(len(runs), 4, "the syncs ran meanwhile")
        self.assertEqual(len(self.live_grants()), 1)
        with self.real_env() as env:
            connection = env["res.company"].browse(self.company_id)._qbo_connection()
            self.assertEqual(connection.state, "connected")
            self.assertEqual(self.sandbox.refresh_tokens[connection.refresh_token]["grant_id"], self.live_grants()[0])

    def test_send_replayed_after_serialization_failure_emails_once(self):
        """Send by QuickBooks, then the transaction fails and Odoo replays the request: one email."""
        move_id = self.exported_invoice(30.0)
        self.rpc("account.move", "action_qbo_export", [move_id], route="/web/dataset/call_kw")
        with self.real_env() as env:
            partner_id = env["account.move"].browse(move_id).partner_id.id
        collide = self.force_serialization_failure_once("res_partner", partner_id)
        export_model = type(self.env["qbo.move.export"])
        real_email = export_model._qbo_email

        calls = []

        def email_then_collide(model, run, moves):
            calls.append(moves.ids)
            real_email(model, run, moves)
            collide(model.env.cr)

        with patch.object(export_model, "_qbo_email", email_then_collide), self.mute_sync_logs():
            notification = self.rpc("account.move", "action_qbo_send", [move_id], route="/web/dataset/call_kw")
        self.assertEqual(calls, [[move_id], [move_id]], "the request was replayed once, after the email went")
        self.assertIn("1 emailed by QuickBooks", notification["params"]["message"])
        with self.real_env() as env:
            move = env["account.move"].browse(move_id)
            company = self.sandbox.companies[self.realm_id]
            self.assertEqual([mail["to"] for mail in send.outbox(company) if mail["id"] == move.qbo_id],
                             ["buyer@concurrency.example"])
            self.assertTrue(move.qbo_sent_at)

    def test_export_replayed_after_serialization_failure_writes_once(self):
        """Export to QBO, then the transaction fails after QuickBooks answered and Odoo replays the
        request: QuickBooks replays its answer; one invoice there, linked to the Odoo one."""
        move_id = self.exported_invoice(45.0)
        with self.real_env() as env:
            partner_id = env["account.move"].browse(move_id).partner_id.id
        collide = self.force_serialization_failure_once("res_partner", partner_id)
        engine = type(self.env["qbo.move.export"])
        real_flush = engine._qbo_flush

        def flush_then_collide(model, run):
            real_flush(model, run)
            if run.company.id == self.company_id and model.env["account.move"].browse(move_id).qbo_id:
                collide(model.env.cr)

        real_export = engine._qbo_export_moves
        calls = []

        def counted_export(model, moves):
            calls.append(moves.ids)
            return real_export(model, moves)

        company = self.sandbox.companies[self.realm_id]
        before = len(company.all("Invoice"))
        with patch.object(engine, "_qbo_flush", flush_then_collide), \
                patch.object(engine, "_qbo_export_moves", counted_export), self.mute_sync_logs():
            notification = self.rpc("account.move", "action_qbo_export", [move_id], route="/web/dataset/call_kw")
        self.assertEqual(calls, [[move_id], [move_id]], "the request was replayed once, after QuickBooks answered")
        self.assertEqual(notification["params"]["message"], "1 exported")
        self.assertEqual(len(company.all("Invoice")), before + 1)
        with self.real_env() as env:
            move = env["account.move"].browse(move_id)
            self.assertEqual(move.qbo_state, "exported")
            self.assertEqual(company.get("Invoice", move.qbo_id)["TotalAmt"], 45)

    def test_export_lane_skips_the_company_another_lane_serves(self):
        """While one lane of the export job serves the company (its export row locked by a transaction
        still running on another connection), a second lane does not wait for it nor export its
        documents twice; once the first lane is done, the queued invoice is exported once."""
        move_id = self.exported_invoice(61.0)
        with self.real_env() as env:
            env["account.move"].browse(move_id)._qbo_write({"qbo_state": "to_send"})
        company = self.sandbox.companies[self.realm_id]
        before = len(company.all("Invoice"))
        with closing(db_connect(self.dbname).cursor()) as lane:
            lane_env = api.Environment(lane, SUPERUSER_ID, {})
            self.assertTrue(lane_env["qbo.sync.cursor"]._qbo_acquire(lane_env["res.company"].browse(self.company_id),
                                                                   "export"))
            start = time.monotonic()
            with self.real_env() as env:
                # Waiting for the first lane would never end (it waits for this test): fail instead.
                env.cr.execute("SET LOCAL lock_timeout = '5s'")
                env["qbo.export.engine"]._cron_qbo_export_all()
                self.assertEqual(env["account.move"].browse(move_id).qbo_state, "to_send")
            self.assertLess(time.monotonic() - start, 5, "the second lane waited for the first")
            lane.rollback()
        with self.real_env() as env, self.mute_sync_logs():
            env["qbo.export.engine"]._cron_qbo_export_all()
        with self.real_env() as env:
            move = env["account.move"].browse(move_id)
            self.assertEqual(move.qbo_state, "exported")
            self.assertEqual(len(company.all("Invoice")), before + 1)
            self.assertEqual(company.get("Invoice", move.qbo_id)["TotalAmt"], 61)

    def test_import_leaves_an_export_in_flight_alone(self):
        """QuickBooks created an invoice for an export whose transaction still runs on another connection
        (Odoo has not recorded the answer yet): the import of documents created in QuickBooks does not take
        it for one typed there; once the export commits, the invoice is the exported one, never a copy."""
        move_id = self.exported_invoice(73.0)
        with self.real_env() as env:
            env["res.company"].browse(self.company_id).qbo_import_documents = True
        with closing(db_connect(self.dbname).cursor()) as export:
            export_env = api.Environment(export, SUPERUSER_ID, {})
            move = export_env["account.move"].browse(move_id)
            export_env["qbo.move.export"]._qbo_export(move)
            qbo_id = move.qbo_id
            self.assertTrue(qbo_id)
            # Meanwhile a colleague types another invoice in QuickBooks: it is imported, the export's is not.
            sandbox_company = self.sandbox.companies[self.realm_id]
            typed = sandbox_company.get("Invoice", qbo_id)
            item = sandbox_company.get("Item", typed["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"])
            with self.real_env() as env:
                client = env["res.company"].browse(self.company_id)._qbo_get_client()
                customer = client.create("Customer", {"DisplayName": "Typed By A Colleague"})
                service = client.create("Item", {"Name": "Colleague Service", "Type": "Service",
                                                  "IncomeAccountRef": item["IncomeAccountRef"]})
                colleague = client.create("Invoice", {
                    "CustomerRef": {"value": customer["Id"]}, "TxnDate": typed["TxnDate"],
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 74.0, "SalesItemLineDetail": {
                        "ItemRef": {"value": service["Id"]}, "Qty": 1, "UnitPrice": 74.0}}]})
            with self.real_env() as env:
                env.cr.execute("SET LOCAL lock_timeout = '5s'")
                env["qbo.invoice.import"]._qbo_pull(env["res.company"].browse(self.company_id), 200)
                self.assertFalse(env["account.move"].search([("qbo_id", "=", qbo_id)]))
                imported = env["account.move"].search([("qbo_id", "=", colleague["Id"])])
                self.assertEqual((imported.amount_total, imported.state), (74.0, "posted"))
                imported._qbo_write({"qbo_imported": False})  # removable after the test
                self.addCleanup(self.remove_invoice, imported.id, imported.partner_id.id,
                                imported.invoice_line_ids.product_id.id)
                cursor = env["qbo.sync.cursor"]._qbo_cursors(env["res.company"].browse(self.company_id),
                                                           "import_invoice")
                self.assertEqual(list(cursor.values())[0].retry_ids, [qbo_id], "read again at the next run")
            export.commit()
        with self.real_env() as env:
            env["qbo.invoice.import"]._qbo_pull(env["res.company"].browse(self.company_id), 200)
            self.assertEqual(env["account.move"].search([("qbo_id", "=", qbo_id)]).ids, [move_id])

    def test_stream_served_since_the_snapshot(self):
        """A job's lane whose transaction began before another run of the stream committed passes over the
        company (no error logged, no failed job); a request in that case is replayed by Odoo as usual."""
        for context, raised in (({"cron_id": 0}, False), ({}, True)):
            with closing(db_connect(self.dbname).cursor()) as late:
                late.execute("SELECT 1")  # the late transaction's snapshot
                with self.real_env() as env:
                    cursor = env["qbo.sync.cursor"]._qbo_acquire(env["res.company"].browse(self.company_id), "export")
                    cursor.last_run_at = fields.Datetime.now()
                late_env = api.Environment(late, SUPERUSER_ID, context)
                company = late_env["res.company"].browse(self.company_id)
                if raised:
                    with self.assertRaises(psycopg2.errors.SerializationFailure):
                        late_env["qbo.sync.cursor"]._qbo_acquire(company, "export")
                else:
                    self.assertFalse(late_env["qbo.sync.cursor"]._qbo_acquire(company, "export"))
                    late_env["qbo.sync.cursor"].search([], limit=1)  # the transaction goes on
                late.rollback()

    def test_same_notification_delivered_twice_at_once(self):
        """Two deliveries of one notification at the same moment: both answered 200, one event stored."""
        with self.real_env() as env:
            env["res.company"].browse(self.company_id).write({"qbo_webhook_verifier": VERIFIER,
                                                             "qbo_webhook_enabled": True})
        self.addCleanup(self.remove_events)
        body = json.dumps({"eventNotifications": [{"realmId": self.realm_id, "dataChangeEvent": {"entities": [
            {"name": "Customer", "id": "1", "operation": "Update", "lastUpdated": "2026-12-01T10:00:00Z"}]}}]}).encode()
        headers = {"Content-Type": "application/json", "intuit-signature": webhooks.sign(body, VERIFIER)}
        event_model = type(self.env["qbo.webhook.event"])
        real_record = event_model._qbo_record

        def slow_record(model, company, events):
            recorded = real_record(model, company, events)
            time.sleep(0.5)  # hold the new row uncommitted while the other delivery arrives
            return recorded

        barrier = threading.Barrier(2)
        statuses = []

        def deliver(_index):
            barrier.wait(timeout=10)
            statuses.append(requests.post(f"{self.base_url}/quickbooks/webhook", data=body, headers=headers,
                                          timeout=30).status_code)

        with patch.object(event_model, "_qbo_record", slow_record), mute_logger("odoo.sql_db", "odoo.http"):
            self.run_workers(deliver)
        self.assertEqual(statuses, [200, 200])
        with self.real_env() as env:
            self.assertEqual(env["qbo.webhook.event"].search_count([("company_id", "=", self.company_id),
                                                                     ("qbo_entity", "=", "Customer")]), 1)

    def remove_logs(self, last_log, base_url):
        with self.real_env() as env:
            env["qbo.sync.log"].search([("id", ">", last_log)]).unlink()
            env["ir.config_parameter"].set_param("web.base.url", base_url)

    def remove_events(self):
        with self.real_env() as env:
            env["qbo.webhook.event"].search([("company_id", "=", self.company_id)]).unlink()
            env["res.company"].browse(self.company_id).write({"qbo_webhook_verifier": False,
                                                             "qbo_webhook_enabled": False})

    def mute_sync_logs(self):
        return mute_logger("odoo.sql_db", "odoo.service.model", "odoo.http")
