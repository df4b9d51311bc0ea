#!/usr/bin/env bash
# make test: a throwaway database, the addon installed with its tests, every test run, the database dropped.
# Last line: "N passed, M failed". Exit status non-zero on any failure.
source "$(dirname "$0")/common.sh"
ensure_all
ensure_browser

DB="qbo_test_$(date +%s)_$$"
LOG="$(mktemp -t qbo_test.XXXXXX.log)"
HTTP_PORT="$(free_port)"
TEST_TAGS="${QBO_TEST_TAGS:-/quickbooks_connector}"

cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -f "$LOG"; }
trap cleanup EXIT

echo "Installing quickbooks_connector in a fresh database $DB and running its tests ($TEST_TAGS)..."
set +e
"$PY" "$ODOO_SRC/odoo-bin" \
    --addons-path="$(odoo_addons_path)" \
    --database="$DB" --init=quickbooks_connector --without-demo=all \
    --test-enable --test-tags="$TEST_TAGS" \
    --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --max-cron-threads=0 \
    --log-level=info --stop-after-init 2>&1 | tee "$LOG" | grep -E --line-buffered \
    ' (ERROR|CRITICAL) |FAIL:|ERROR:|Starting .*Test|tests when loading|skipped |WARNING .*quickbooks_connector'
odoo_status=${PIPESTATUS[0]}
set -e

echo "Uninstalling quickbooks_connector from $DB..."
"$PY" "$ODOO_SRC/odoo-bin" shell --addons-path="$(odoo_addons_path)" --database="$DB" --no-http \
    --log-level=warn < "$ROOT/scripts/check_uninstall.py" >> "$LOG" 2>&1 || true
grep -E '^UNINSTALL CHECK' "$LOG" || true

"$PY" "$ROOT/scripts/test_report.py" "$LOG" "$odoo_status" "$DB" uninstall
