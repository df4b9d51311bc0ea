#!/usr/bin/env bash
# make test: throwaway databases, every addon of the repository installed with its tests, every test run, the
# databases dropped. First quickbooks_connector alone (its tests, then its uninstall); then Timesheets on sales
# orders (Sales, Project) beside it, so the bridge addons install themselves together (their tests, then the
# uninstall of each); last Sales alone beside it: the sales bridge alone installs itself, and uninstalls.
# Last line: "N passed, M failed". Exit status non-zero on any failure.
source "$(dirname "$0")/common.sh"
ensure_all
ensure_browser

DB="qbo_test_$(date +%s)_$$"
BRIDGE_DB="${DB}_bridges"
LOG="$(mktemp -t qbo_test.XXXXXX.log)"
BRIDGE_LOG="$(mktemp -t qbo_test_bridges.XXXXXX.log)"
ALONE_DB="${DB}_alone"
ALONE_LOG="$(mktemp -t qbo_test_alone.XXXXXX.log)"
HTTP_PORT="$(free_port)"
TEST_TAGS="${QBO_TEST_TAGS:-/quickbooks_connector}"
BRIDGE_TAGS="${QBO_BRIDGE_TEST_TAGS:-$(for bridge in $BRIDGES; do printf '/%s,' "$bridge"; done | sed 's/,$//')}"
# What the bridges need installed beside the connector (they install themselves with it): Timesheets on sales
# orders brings Sales and Project.
BRIDGE_APPS="sale_timesheet"
FILTER=' (ERROR|CRITICAL) |FAIL:|ERROR:|Starting .*Test|tests when loading|skipped |WARNING .*quickbooks_connector'

cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    dropdb --if-exists "$BRIDGE_DB" >/dev/null 2>&1 || true
    dropdb --if-exists "$ALONE_DB" >/dev/null 2>&1 || true
    rm -f "$LOG" "$BRIDGE_LOG" "$ALONE_LOG" "$LOG.report" "$LOG.bridges" "$LOG.alone"
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
# The bridge needing the others first (quickbooks_connector_timesheet, _sale, _project).
for bridge in $(printf '%s\n' $BRIDGES | sort -r); do
    uninstall "$BRIDGE_DB" "$bridge" "$BRIDGE_LOG"
done

echo "Installing sale and quickbooks_connector alone in $ALONE_DB: only the sales bridge installs itself..."
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$ALONE_DB" --init=sale,quickbooks_connector \
    --without-demo=all --stop-after-init --http-port="$HTTP_PORT" --max-cron-threads=0 --log-level=warn \
    >> "$ALONE_LOG" 2>&1 || true
"$PY" "$ODOO_SRC/odoo-bin" shell --addons-path="$(odoo_addons_path)" --database="$ALONE_DB" --no-http \
    --log-level=warn < "$ROOT/scripts/check_bridges.py" >> "$ALONE_LOG" 2>&1 || true
grep -E '^BRIDGES CHECK' "$ALONE_LOG" || true
uninstall "$ALONE_DB" quickbooks_connector_sale "$ALONE_LOG"

set +e
"$PY" "$ROOT/scripts/test_report.py" "$LOG" "$core_status" "$DB" uninstall | tee "$LOG.report"
"$PY" "$ROOT/scripts/test_report.py" "$BRIDGE_LOG" "$bridge_status" "$BRIDGE_DB" "uninstall:$BRIDGES" \
    | tee "$LOG.bridges"
"$PY" "$ROOT/scripts/test_report.py" --checks "$ALONE_LOG" "BRIDGES CHECK" "UNINSTALL CHECK" | tee "$LOG.alone"
set -e
"$PY" "$ROOT/scripts/test_report.py" --total "$LOG.report" "$LOG.bridges" "$LOG.alone"
