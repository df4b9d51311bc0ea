#!/usr/bin/env bash
# make screenshots: PNGs of the main screens (static/description/screenshots/), taken in headless Chromium from the demo,
# on a database and ports of their own (a running make run is left alone).
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/demo.sh"
ensure_all
ensure_browser

DB="quickbooks_screenshots"
ODOO_PORT="$(free_port)"
SANDBOX_PORT="$(free_port)"
STATE_FILE="$(mktemp -t qbo_screenshots_sandbox.XXXXXX.json)"
rm -f "$STATE_FILE"
if db_exists "$DB"; then
    dropdb "$DB"
fi
start_demo "$DB" "$ODOO_PORT" "$SANDBOX_PORT" "$STATE_FILE"

echo "Exporting a new invoice and a few demo invoices, as an Accounting Manager would..."
data="$("$PY" "$ODOO_SRC/odoo-bin" shell --addons-path="$(odoo_addons_path)" --database="$DB" --no-http \
    --log-level=warn < "$ROOT/scripts/screenshots_data.py")"
echo "$data" | grep -E '^(EXPORT|STATE):'
invoice_id="$(echo "$data" | sed -n 's/^INVOICE_ID=//p')"

"${odoo_cmd[@]}" --max-cron-threads=0 --log-level=warn &
ODOO_PID=$!
trap 'kill "$ODOO_PID" "$SANDBOX_PID" 2>/dev/null; wait 2>/dev/null; rm -f "$STATE_FILE"' EXIT INT TERM
for _ in $(seq 300); do
    port_in_use "$ODOO_PORT" && break
    sleep 0.2
done
echo "Taking the screenshots..."
"$PY" "$ROOT/scripts/screenshots.py" "http://127.0.0.1:$ODOO_PORT" "$DB" "$ROOT/static/description/screenshots" "$invoice_id"
