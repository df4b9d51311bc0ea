"""Break the guarantees that matter most, one at a time, and check that the tests aimed at each notice.

    make mutants                              # every mutant
    make mutants MUTANTS="requestid cursor"   # those whose name contains one of the words

Each mutant is an exact snippet of the committed code and its replacement. For each one: the
committed addon (``git archive HEAD``) is copied to a scratch directory, the snippet replaced (it
must occur exactly once: the list follows the code or fails loudly), the addon installed with its
tests in a throwaway database where only the mutant's test classes run, and the database dropped.
A mutant is killed when one of its tests fails. The table printed at the end gives each mutant's
outcome and time; the exit status is 1 when one survived or did not run, 2 when a snippet is
missing. A developer tool, not part of ``make test`` (about a minute and a half per mutant).

Environment: ``ODOO_SRC`` (default /opt/odoo), ``QBO_MUTANT_DB_PREFIX`` (default ``qbo_mutant``).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "quickbooks_connector"
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
DB_PREFIX = os.environ.get("QBO_MUTANT_DB_PREFIX", "qbo_mutant")
RUN_TIMEOUT = 1800
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")

Mutant = namedtuple("Mutant", "name path original replacement tests")

MUTANTS = [
    Mutant(
        "create requestid random per call", "models/qbo_export_engine.py",
        '        return (f"{self._qbo_requestid_prefix(record.company_id)}-{self._qbo_requestid_tag}{record.id}"\n'
        '                f"-g{record.qbo_export_generation}")',
        '        return (f"{self._qbo_requestid_prefix(record.company_id)}{__import__(\'secrets\').token_hex(3)}"\n'
        '                f"-{self._qbo_requestid_tag}{record.id}-g{record.qbo_export_generation}")',
        ("TestMoveExportReplay", "TestMoveExportReplayAutoNumbers"),
    ),
    Mutant(
        # A batch's requestid is recorded before the call (qbo.export.attempt): a replay reads it back.
        "replay ignores the recorded requests", "models/qbo_export_engine.py",
        '        sent = self.env["qbo.export.attempt"]._qbo_sent_requestids(creates)',
        "        sent = {}",
        ("TestMoveExportReplay",),
    ),
    Mutant(
        "amount check disabled", "models/qbo_export_engine.py",
        "        difference = self._qbo_amounts_differ(doc, expected)",
        "        difference = None",
        ("TestMoveAmountMismatch",),
    ),
    Mutant(
        "only the first tax of a line", "models/qbo_move_export.py",
        "            **self._qbo_tax_values(line.tax_ids, resolved),",
        "            **self._qbo_tax_values(line.tax_ids[:1], resolved),",
        ("TestMoveAmountsCanada",),
    ),
    Mutant(
        "access check skipped", "models/base.py",
        "        if self.env.su:\n            return\n",
        "        return\n",
        ("TestAccessMatrix.test_matrix",),
    ),
    Mutant(
        "companies worked in not checked", "models/base.py",
        "        outside = self._qbo_record_companies() - self.env.companies",
        "        outside = self.env[\"res.company\"]",
        ("TestAccessMatrix.test_companies_worked_in_now",),
    ),
    Mutant(
        "link to another company's record", "models/qbo_mapping.py",
        "                if companies and not companies & mapping.company_id.parent_ids:",
        "                if False:",
        ("TestAccessMatrix.test_links_stay_in_their_company",),
    ),
    Mutant(
        "token refresh without its row lock", "models/qbo_connection.py",
        '                    cr.execute(f"SELECT id FROM qbo_connection WHERE id = %s FOR NO KEY UPDATE"\n'
        "                               f\"{'' if wait else ' SKIP LOCKED'}\", [self.id], log_exceptions=False)",
        '                    cr.execute("SELECT id FROM qbo_connection WHERE id = %s", [self.id])',
        ("TestConnectionConcurrency",),
    ),
    Mutant(
        "connection stored in the request's transaction", "models/qbo_connection.py",
        "            replaced = connection._qbo_in_own_transaction(\n"
        "                lambda own: own._qbo_store_connection(auth_client, realm_id, settings))",
        "            replaced = connection.sudo()._qbo_store_connection(auth_client, realm_id, settings)",
        ("TestSyncCoreConcurrency.test_connect_while_syncs_run",),
    ),
    Mutant(
        "Send by QuickBooks requestid from the clock", "models/qbo_move_export.py",
        '            requestid = f"{self._qbo_requestid_prefix(run.company)}-{move.id}-s{move.qbo_sync_token}"',
        '            requestid = f"{self._qbo_requestid_prefix(run.company)}-{move.id}-s{time.time_ns()}"',
        ("TestSyncCoreConcurrency.test_send_replayed_after_serialization_failure_emails_once",),
    ),
    Mutant(
        "webhook signature not checked", "controllers/webhook.py",
        "        signer = next((verifier for verifier in verifiers if signature_ok(body, signature, verifier)), None)",
        "        signer = next(iter(verifiers), None)",
        ("TestWebhookEndpoint", "TestWebhookSecurity"),
    ),
    Mutant(
        "webhook signed by another company's app", "controllers/webhook.py",
        "            if events and company.qbo_webhook_enabled and company.qbo_webhook_verifier == signer:",
        "            if events and company.qbo_webhook_enabled:",
        ("TestWebhookEndpoint.test_other_companys_token_does_not_sign_for_this_realm",
         "TestWebhookSecurity.test_realm_served_by_another_company_after_reconnection"),
    ),
    Mutant(
        "duplicate webhook deliveries not merged", "models/qbo_webhook_event.py",
        '"VALUES %s ON CONFLICT (company_id, event_key) DO NOTHING RETURNING id", rows))',
        '"VALUES %s RETURNING id", rows))',
        ("TestSyncCoreConcurrency.test_same_notification_delivered_twice_at_once",),
    ),
    Mutant(
        "OAuth state nonce not checked", "models/qbo_connection.py",
        "        return bool(pending and consteq(pending, nonce))",
        "        return True",
        ("TestConnectionFlow",),
    ),
    Mutant(
        "client secret readable by all", "models/res_company.py",
        'qbo_client_secret = fields.Char(string="QuickBooks Client Secret", groups="base.group_system", copy=False)',
        'qbo_client_secret = fields.Char(string="QuickBooks Client Secret", copy=False)',
        ("TestSecurity",),
    ),
    Mutant(
        "payment import without its lookup", "models/qbo_payment_pull.py",
        '        payment = context["existing"].get(parsed["id"])',
        "        payment = None",
        ("TestPaymentImportOnce",),
    ),
    Mutant(
        "payment unique constraint dropped", "models/account_payment.py",
        '        ("qbo_payment_unique", "unique(company_id, qbo_entity, qbo_id)",\n'
        '         "This QuickBooks payment is already recorded in Odoo."),\n',
        "",
        ("TestPaymentImportOnce",),
    ),
    Mutant(
        "pulls ignore their cursor", "models/qbo_pull_engine.py",
        "        self.since = cursor.read_until and cursor.read_until - CURSOR_OVERLAP",
        "        self.since = False",
        ("TestPaymentPull.test_rerun_imports_once_and_reads_only_changes", "TestExpensePullCursor"),
    ),
    Mutant(
        "two runs of a stream at once", "models/qbo_sync_cursor.py",
        '        self.env.cr.execute("SELECT id FROM qbo_sync_cursor WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",',
        '        self.env.cr.execute("SELECT id FROM qbo_sync_cursor WHERE id = %s",',
        ("TestPaymentConcurrency.test_concurrent_runs_import_once",),
    ),
    Mutant(
        "bulk export without asking", "wizards/qbo_bulk_confirm.py",
        '        if len(records) <= BULK_CONFIRM_THRESHOLD or self.env.context.get("qbo_bulk_confirmed"):',
        "        if True:",
        ("TestMoveExport.test_bulk_selection_asks_first",),
    ),
    Mutant(
        "setup writes the app's secret for anyone", "models/qbo_setup.py",
        "                if field.groups and not self.env.user.has_groups(field.groups):",
        "                if False:",
        ("TestSetupChecklist.test_secrets_and_companies",),
    ),
    Mutant(
        "webhooks on without a verifier token", "models/res_company.py",
        "            if company.qbo_webhook_enabled and not company.qbo_webhook_verifier:",
        "            if False:",
        ("TestWebhookEndpoint.test_off_until_a_verifier_token_is_there",),
    ),
    Mutant(
        "realm budget kept per process", "qbo_pacer.py",
        "            ends = [end for end in json.loads(stored) if end > now - self.span]",
        "            ends = []",
        ("TestRequestPacer",),
    ),
    Mutant(
        "429 pauses only the process that got it", "qbo_client.py",
        "            paused = status == 429 and self.pacer",
        "            paused = False",
        ("TestThrottledRealm",),
    ),
    Mutant(
        "export job serves every company in one call", "models/qbo_export_engine.py",
        "            break\n        self.env[\"ir.cron\"]._notify_progress(done=done, remaining=0)",
        "        self.env[\"ir.cron\"]._notify_progress(done=done, remaining=0)",
        ("TestExportLanes",),
    ),
    Mutant(
        "export lanes do not lock their company", "models/qbo_export_engine.py",
        '            cursor = cursors._qbo_acquire(company, "export")',
        '            cursor = cursors._qbo_cursors(company, "export").get(company) or '
        'cursors._qbo_acquire(company, "export")',
        ("TestSyncCoreConcurrency.test_export_lane_skips_the_company_another_lane_serves",),
    ),
    Mutant(
        "a job fails on a stream run since its snapshot", "models/qbo_sync_cursor.py",
        '            if "cron_id" not in self.env.context:',
        "            if True:",
        ("TestSyncCoreConcurrency.test_stream_served_since_the_snapshot",),
    ),
    Mutant(
        "a thread waking late calls on its old slot", "qbo_pacer.py",
        "            if self.clock() <= start + HOLD:",
        "            if True:",
        ("TestRequestPacer.test_thread_waking_late_takes_another_slot",),
    ),
    Mutant(
        "creations sent without recording their request", "models/qbo_export_engine.py",
        '            self.env["qbo.export.attempt"]._qbo_record(sent, requestid)\n',
        "",
        ("TestMoveExportReplay",),
    ),
    Mutant(
        "creations wait for the batch budget", "models/qbo_export_engine.py",
        "        size = BATCH_SIZE if len(fresh) > 1 and (not pacer or pacer.book_batch(within=BATCH_PATIENCE)) else 1",
        "        size = BATCH_SIZE if len(fresh) > 1 else 1",
        ("TestExportLanes.test_creations_go_alone_while_the_batch_budget_is_spent",),
    ),
    Mutant(
        "export call past its deadline", "models/qbo_export_engine.py",
        "                    if queue and run.deadline and time.monotonic() > run.deadline:",
        "                    if False:",
        ("TestExportLanes.test_call_ends_at_its_deadline",),
    ),
    Mutant(
        "import takes an export in flight for a document typed in QuickBooks", "models/qbo_document_import.py",
        '        unsettled = self.env["qbo.export.attempt"]._qbo_unsettled_moves(run.company)',
        "        unsettled = []",
        ("TestSyncCoreConcurrency.test_import_leaves_an_export_in_flight_alone",),
    ),
    Mutant(
        "imported document posted whatever its amounts", "models/qbo_document_import.py",
        "        message = self._qbo_check_amounts(move, doc)",
        "        message = False",
        ("TestDocumentImport.test_amounts_differ_held_in_draft",),
    ),
    Mutant(
        "imported document not brought to QuickBooks' new version", "models/qbo_document_import.py",
        "            return self._qbo_apply_remote(run, move, doc, context)",
        "            return False",
        ("TestDocumentImport.test_changed_voided_deleted_in_quickbooks",),
    ),
    Mutant(
        "a full batch of a pull moves its cursor past what it left", "models/qbo_pull_engine.py",
        '            run.cursor.write({"read_until": max(stop, run.cursor.read_until or stop), "more": True})',
        '            run.cursor.write({"read_until": run.server_time, "more": True})',
        ("TestDocumentImportRestart",),
    ),
    Mutant(
        "a change the company's rule sends for review is applied", "models/qbo_document_import.py",
        '        if action == "review" or move._qbo_has_payments():\n            change = ',
        "        if move._qbo_has_payments():\n            change = ",
        ("TestDocumentImport.test_company_rules_for_documents_created_in_quickbooks",),
    ),
    Mutant(
        "a DocNumber used twice in QuickBooks named twice in one journal", "models/qbo_document_import.py",
        """        name = number if number not in context["names"] else f"{number} ({doc['Id']})\"""",
        "        name = number",
        ("TestDocumentImport.test_numbers_used_twice_in_quickbooks",),
    ),
    Mutant(
        "tax-inclusive lines imported at their net price", "models/qbo_document_import.py",
        '                gross = detail.get("TaxInclusiveAmt") if taxes and all(taxes.mapped("price_include")) else None',
        "                gross = None",
        ("TestDocumentImportCanada",),
    ),
    Mutant(
        "edits of imported documents sent whatever the company chose", "models/account_move.py",
        '        return self.qbo_imported and self.company_id.qbo_imported_edits == "send" \\',
        "        return self.qbo_imported \\",
        ("TestDocumentImport.test_imported_document_is_changed_in_quickbooks_only",),
    ),
    Mutant(
        "changes QuickBooks notifies of documents created there left alone", "models/qbo_event_processor.py",
        "        if self._qbo_import_follows(company, entity):",
        "        if False:",
        ("TestDocumentImport.test_change_notified_by_quickbooks_wakes_the_import",),
    ),
    Mutant(
        "a document whose total or tax differs counted in step", "models/qbo_books_check.py",
        "                if cents(odoo) != cents(qbo):",
        "                if False:",
        ("TestBooksInStep.test_drifts_found_and_repaired",),
    ),
    Mutant(
        "partner balances not compared", "models/qbo_books_check.py",
        "            if odoo != qbo:",
        "            if False:",
        ("TestBooksInStep.test_drifts_found_and_repaired",),
    ),
    Mutant(
        "a repair applied to differences it does not fit", "wizards/qbo_books_repair.py",
        '        todo = self.line_ids.filtered(lambda line: line.state == "open" and self._qbo_plan(line)[0])',
        '        todo = self.line_ids.filtered(lambda line: line.state == "open")',
        ("TestBooksInStep.test_drifts_found_and_repaired",),
    ),
    Mutant(
        "a realm down stops the payment job", "models/qbo_payment_pull.py",
        "            except (UserError, QboApiError) as error:\n                _logger.info(\"QuickBooks: payment sync",
        "            except UserError as error:\n                _logger.info(\"QuickBooks: payment sync",
        ("TestPullLanes",),
    ),
    Mutant(
        # The dashboard card counts one company's records: the user may work in several.
        "dashboard figures of every company", "models/qbo_dashboard.py",
        '        domain = [("company_id", "=", company.id), *domain]',
        "        domain = list(domain)",
        ("TestDashboardCard",),
    ),
    Mutant(
        # Invoices of a project land on its QuickBooks project.
        "invoice project left out", "models/qbo_move_export.py",
        '        payload["ProjectRef"] = {"value": project_id}',
        "        return",
        ("TestProjectsOnInvoices",),
    ),
    Mutant(
        # Webhooks and the catch-up follow every kind of document the import reads.
        "imported documents not followed", "models/qbo_webhook_event.py",
        "        return tuple(dict.fromkeys((*FOLLOWED_ENTITIES, *imported)))",
        "        return FOLLOWED_ENTITIES",
        ("TestWebhookEndpoint", "TestDocumentImport"),
    ),
]



def read_committed(path):
    """The text of ``path`` as committed (HEAD)."""
    return subprocess.run(["git", "show", f"HEAD:{path}"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def missing_snippets(mutants):
    """Return ``[(mutant, occurrences)]`` for the mutants whose snippet is not in the code exactly once."""
    return [(mutant, count) for mutant in mutants
            if (count := read_committed(mutant.path).count(mutant.original)) != 1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_mutant(mutant, index, pristine, scratch):
    """Apply ``mutant`` to a copy of ``pristine``, run its tests; return ``(outcome, seconds, log path)``."""
    addons = scratch / f"mutant{index}"
    shutil.copytree(pristine, addons / ADDON)
    target = addons / ADDON / mutant.path
    target.write_text(target.read_text().replace(mutant.original, mutant.replacement))
    database = f"{DB_PREFIX}_{index}_{os.getpid()}"
    tags = ",".join(f"/{ADDON}:{test}" for test in mutant.tests)
    log_path = scratch / f"mutant{index}.log"
    start = time.monotonic()
    try:
        with open(log_path, "w") as log:
            subprocess.run([
                sys.executable, str(ODOO_SRC / "odoo-bin"),
                f"--addons-path={ODOO_SRC / 'addons'},{ODOO_SRC / 'odoo' / 'addons'},{addons}",
                f"--database={database}", f"--init={ADDON}", "--without-demo=all", "--test-enable",
                f"--test-tags={tags}", "--http-interface=127.0.0.1", f"--http-port={free_port()}",
                "--max-cron-threads=0", "--log-level=info", "--stop-after-init",
            ], stdout=log, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return "timed out", time.monotonic() - start, log_path
    finally:
        subprocess.run(["dropdb", "--if-exists", database], check=False, capture_output=True)
        shutil.rmtree(addons, ignore_errors=True)
    seconds = time.monotonic() - start
    reports = REPORT.findall(log_path.read_text(errors="replace"))
    if not reports:
        return "no test result (install failed?)", seconds, log_path
    failed, errors, total = (int(value) for value in reports[-1])
    if not total:
        return "no test ran", seconds, log_path
    return ("killed" if failed or errors else "survived"), seconds, log_path


def main(words):
    mutants = [mutant for mutant in MUTANTS if not words or any(word in mutant.name for word in words)]
    if not mutants:
        print(f"No mutant matches {' '.join(words)}; known: {', '.join(mutant.name for mutant in MUTANTS)}")
        return 2
    missing = missing_snippets(mutants)
    for mutant, count in missing:
        print(f"SNIPPET {'MISSING' if not count else f'FOUND {count} TIMES'}: {mutant.name} ({mutant.path}):\n"
              f"{mutant.original}")
    if missing:
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="qbo_mutants_") as scratch:
        scratch = Path(scratch)
        pristine = scratch / "pristine"
        pristine.mkdir()
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(pristine)], input=archive, check=True)
        for index, mutant in enumerate(mutants, 1):
            print(f"[{index}/{len(mutants)}] {mutant.name} ...", flush=True)
            outcome, seconds, log_path = run_mutant(mutant, index, pristine, scratch)
            if outcome != "killed":
                kept = Path(tempfile.gettempdir()) / f"qbo_mutant_{index}_{os.getpid()}.log"
                shutil.copy(log_path, kept)
                outcome = f"{outcome} (log {kept})"
            rows.append((mutant.name, ", ".join(mutant.tests), outcome, f"{seconds:.0f}"))
    header = ("mutant", "tests", "result", "seconds")
    widths = [max(len(row[column]) for row in rows + [header]) for column in range(4)]
    for row in [header, tuple("-" * width for width in widths)] + rows:
        print(" | ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
    killed = sum(row[2] == "killed" for row in rows)
    print(f"{killed} of {len(rows)} mutants killed")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
