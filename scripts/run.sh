#!/usr/bin/env bash
# make run: the offline demo. Odoo on http://127.0.0.1:8069 (admin / admin, database quickbooks_demo) with the
# connector installed and demo data, connected to the local QuickBooks Online sandbox on 127.0.0.1:8099 and
# set up (taxes, defaults, master data matched): a new invoice exports at once. Ctrl-C stops both.
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/demo.sh"
ensure_all

DB="${QBO_DEMO_DB:-quickbooks_demo}"
ODOO_PORT="${ODOO_PORT:-8069}"
SANDBOX_PORT="${QBO_SANDBOX_PORT:-8099}"
start_demo "$DB" "$ODOO_PORT" "$SANDBOX_PORT" "$ROOT/.run/sandbox-state.json"

echo "Starting Odoo on http://127.0.0.1:$ODOO_PORT (login admin / password admin). Ctrl-C stops both."
"${odoo_cmd[@]}" --max-cron-threads=1
