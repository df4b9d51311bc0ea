#!/usr/bin/env bash
# Developer loop: keep a database per developer and re-run a subset of tests after an update.
#   scripts/dev_test.sh DBNAME [TEST_TAGS]      e.g. scripts/dev_test.sh qbo_dev_me /quickbooks_connector:TestSandboxOAuth
# QBO_MODULES lists the addons to install or update (default quickbooks_connector), e.g. for a bridge addon:
#   QBO_MODULES=sale,quickbooks_connector_sale scripts/dev_test.sh qbo_dev_sale /quickbooks_connector_sale
# Creates DBNAME on first use (-i), then updates the addon (-u) and runs the selected tests.
# "make test" stays the reference run (fresh database, every test).
source "$(dirname "$0")/common.sh"
ensure_all
ensure_browser
DB="${1:?usage: scripts/dev_test.sh DBNAME [TEST_TAGS]}"
TAGS="${2:-/quickbooks_connector}"
HTTP_PORT="$(free_port)"
LOG="$(mktemp -t qbo_dev.XXXXXX.log)"
set +e
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" "$(addon_mode "$DB" "${QBO_MODULES:-quickbooks_connector}")" \
    --without-demo=all --test-enable --test-tags="$TAGS" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    --max-cron-threads=0 --log-level=info --stop-after-init > "$LOG" 2>&1
status=$?
set -e
grep -E -v ' INFO [^ ]+ odoo\.(modules|models|registry|service|addons\.base|sql_db)' "$LOG" | grep -E -v 'INFO .*(loading|Loading|load_data|init db)' | tail -n 200
"$PY" "$ROOT/scripts/test_report.py" "$LOG" "$status" "$DB" | tail -n 3
echo "full log: $LOG"
