# The offline demo's parts, shared by make run and make screenshots (sourced after common.sh).
# shellcheck shell=bash

# start_demo DB ODOO_PORT SANDBOX_PORT STATE_FILE: create (or update) the demo database, start the local
# sandbox in the background (SANDBOX_PID; stopped on exit) and walk the demo company through the setup
# checklist once. Sets odoo_cmd, the command that serves DB on ODOO_PORT.
start_demo() {
    local db="$1" odoo_port="$2" sandbox_port="$3" state_file="$4"
    local run_dir="$ROOT/.run"
    mkdir -p "$run_dir"
    for port in "$odoo_port" "$sandbox_port"; do
        if port_in_use "$port"; then
            die "port $port on 127.0.0.1 is already in use (stop what runs there, or set ODOO_PORT / QBO_SANDBOX_PORT)."
        fi
    done
    odoo_cmd=("$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$db" --db-filter="^${db}\$"
              --http-interface=127.0.0.1 --http-port="$odoo_port")

    # The addon's source, to update the demo database when it changed since the last start.
    local addon_hash hash_file="$run_dir/$db.addon.sha"
    addon_hash="$(cd "$ROOT" && find . \( -path ./.venv -o -path ./.git -o -path ./.run -o -path ./.addons \) -prune \
        -o -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' -o -name '*.sql' -o -name '*.js' \) -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
    # With Sales, Project and Timesheets and their demo orders, tasks and timesheets: the bridge addons
    # install themselves.
    if ! db_exists "$db"; then
        echo "Creating the demo database $db with the connector, Sales, Project, Timesheets and demo data (once; a few minutes)..."
        "${odoo_cmd[@]}" --init=sale_timesheet,quickbooks_connector --stop-after-init --log-level=warn
        echo "$addon_hash" > "$hash_file"
    elif [ "$(cat "$hash_file" 2>/dev/null)" != "$addon_hash" ]; then
        echo "The connector changed since the last start: updating it in $db..."
        "${odoo_cmd[@]}" --init=sale_timesheet --update="quickbooks_connector,${BRIDGES// /,}" --stop-after-init \
            --log-level=warn
        echo "$addon_hash" > "$hash_file"
    fi

    echo "Starting the local QuickBooks Online sandbox on http://127.0.0.1:$sandbox_port ..."
    (cd "$ROOT" && exec "$PY" -m qbo_sandbox --host 127.0.0.1 --port "$sandbox_port" --demo \
        --odoo-port "$odoo_port" --state-file "$state_file") &
    SANDBOX_PID=$!
    trap 'kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null' EXIT INT TERM
    for _ in $(seq 100); do
        port_in_use "$sandbox_port" && break
        sleep 0.1
    done

    # The demo company goes through the setup checklist once (connect, taxes, defaults, master data).
    QBO_SANDBOX_PORT="$sandbox_port" "$PY" "$ODOO_SRC/odoo-bin" shell --addons-path="$(odoo_addons_path)" \
        --database="$db" --no-http --log-level=warn < "$ROOT/scripts/demo_setup.py"
}
