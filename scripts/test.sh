#!/usr/bin/env bash
# make test: throwaway databases, every addon of the repository installed with its tests, every test run, the
# databases dropped. First quickbooks_connector alone (its tests, then its uninstall); then Sales beside it, so
# the bridge addons install themselves (their tests, then the uninstall of each).
# Last line: "N passed, M failed". Exit status non-zero on any failure.
source "$(dirname "$0")/common.sh"
ensure_all
ensure_browser

DB="qbo_test_$(date +%s)_$$"
BRIDGE_DB="${DB}_bridges"
LOG="$(mktemp -t qbo_test.XXXXXX.log)"
BRIDGE_LOG="$(mktemp -t qbo_test_bridges.XXXXXX.log)"
HTTP_PORT="$(free_port)"
TEST_TAGS="${QBO_TEST_TAGS:-/quickbooks_connector}"
BRIDGE_TAGS="${QBO_BRIDGE_TEST_TAGS:-$(for bridge in $BRIDGES; do printf '/%s,' "$bridge"; done | sed 's/,$//')}"
# What the bridges need installed beside the connector (they install themselves with it).
BRIDGE_APPS="sale,project"
FILTER=' (ERROR|CRITICAL) |FAIL:|ERROR:|Starting .*Test|tests when loading|skipped |WARNING .*quickbooks_connector'

cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    dropdb --if-exists "$BRIDGE_DB" >/dev/null 2>&1 || true
    rm -f "$LOG" "$BRIDGE_LOG" "$LOG.report" "$LOG.bridges"
}
trap cleanup EXIT

# run_tests DB MODULES TAGS LOG: install MODULES in a new DB and run the tests tagged TAGS; sets odoo_status.
run_tests() {
    set +e
    "$PY" "$ODOO_SRC/odoo-bin" \
        --addons-path="$(odoo_addons_path)" \
        --database="$1" --init="$2" --without-demo=all \
        --test-enable --test-tags="$3" \
        --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --max-cron-threads=0 \
        --log-level=info --stop-after-init 2>&1 | tee "$4" | grep -E --line-buffered "$FILTER"
    odoo_status=${PIPESTATUS[0]}
    set -e
}

# uninstall DB MODULE LOG: uninstall MODULE and check it leaves nothing behind.
uninstall() {
    echo "Uninstalling $2 from $1..."
    QBO_UNINSTALL_MODULE="$2" "$PY" "$ODOO_SRC/odoo-bin" shell --addons-path="$(odoo_addons_path)" --database="$1" \
        --no-http --log-level=warn < "$ROOT/scripts/check_uninstall.py" >> "$3" 2>&1 || true
    grep -E '^UNINSTALL CHECK' "$3" | tail -n 1 || true
}

echo "Installing quickbooks_connector in a fresh database $DB and running its tests ($TEST_TAGS)..."
run_tests "$DB" quickbooks_connector "$TEST_TAGS" "$LOG"
core_status=$odoo_status
uninstall "$DB" quickbooks_connector "$LOG"

echo "Installing $BRIDGE_APPS and quickbooks_connector in $BRIDGE_DB: the bridge addons install themselves ($BRIDGE_TAGS)..."
run_tests "$BRIDGE_DB" "$BRIDGE_APPS,quickbooks_connector" "$BRIDGE_TAGS" "$BRIDGE_LOG"
bridge_status=$odoo_status
for bridge in $BRIDGES; do
    uninstall "$BRIDGE_DB" "$bridge" "$BRIDGE_LOG"
done

set +e
"$PY" "$ROOT/scripts/test_report.py" "$LOG" "$core_status" "$DB" uninstall | tee "$LOG.report"
"$PY" "$ROOT/scripts/test_report.py" "$BRIDGE_LOG" "$bridge_status" "$BRIDGE_DB" "uninstall:$BRIDGES" \
    | tee "$LOG.bridges"
set -e
"$PY" "$ROOT/scripts/test_report.py" --total "$LOG.report" "$LOG.bridges"
