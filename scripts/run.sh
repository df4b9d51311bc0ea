#!/usr/bin/env bash
# make run: the offline demo. Odoo on http://127.0.0.1:8069 (admin / admin, database quickbooks_demo) with the
# connector installed and demo data, and the local QuickBooks Online sandbox on 127.0.0.1:8099. Ctrl-C stops both.
source "$(dirname "$0")/common.sh"
ensure_all

DB="${QBO_DEMO_DB:-quickbooks_demo}"
ODOO_PORT="${ODOO_PORT:-8069}"
SANDBOX_PORT="${QBO_SANDBOX_PORT:-8099}"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"

for port in "$ODOO_PORT" "$SANDBOX_PORT"; do
    if "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)"; then
        die "port $port on 127.0.0.1 is already in use (stop what runs there, or set ODOO_PORT / QBO_SANDBOX_PORT)."
    fi
done

odoo_cmd=("$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" --db-filter="^${DB}\$"
          --http-interface=127.0.0.1 --http-port="$ODOO_PORT")

# The addon's source, to update the demo database when it changed since the last start.
addon_hash="$(cd "$ROOT" && find . \( -path ./.venv -o -path ./.git -o -path ./.run -o -path ./.addons \) -prune -o \
    -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' -o -name '*.sql' \) -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
hash_file="$RUN_DIR/$DB.addon.sha"
if ! db_exists "$DB"; then
    echo "Creating the demo database $DB with the connector and demo data (once; a few minutes)..."
    "${odoo_cmd[@]}" --init=quickbooks_connector --stop-after-init --log-level=warn
    echo "$addon_hash" > "$hash_file"
elif [ "$(cat "$hash_file" 2>/dev/null)" != "$addon_hash" ]; then
    echo "The connector changed since the last start: updating it in $DB..."
    "${odoo_cmd[@]}" --update=quickbooks_connector --stop-after-init --log-level=warn
    echo "$addon_hash" > "$hash_file"
fi

echo "Starting the local QuickBooks Online sandbox on http://127.0.0.1:$SANDBOX_PORT ..."
(cd "$ROOT" && exec "$PY" -m qbo_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --demo \
    --state-file "$RUN_DIR/sandbox-state.json") &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null' EXIT INT TERM

echo "Starting Odoo on http://127.0.0.1:$ODOO_PORT (login admin / password admin). Ctrl-C stops both."
"${odoo_cmd[@]}" --max-cron-threads=1
