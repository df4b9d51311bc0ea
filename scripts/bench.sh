#!/usr/bin/env bash
# make bench: export N posted invoices to the local sandbox with Intuit's limits on (see scripts/bench_export.py).
#   scripts/bench.sh [--latency SECONDS] [N ...]     default: N = 100 and 1000
#   scripts/bench.sh --scale [OPTIONS]               make bench-scale: processes and realms at once (bench_scale.py)
# Uses the database QBO_BENCH_DB (default quickbooks_bench), created with the connector on first use and
# updated on later runs; the bench itself rolls back everything it creates.
source "$(dirname "$0")/common.sh"
ensure_all
DB="${QBO_BENCH_DB:-quickbooks_bench}"
echo "Preparing the bench database $DB ..."
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" "$(addon_mode "$DB")" --without-demo=all \
    --stop-after-init --log-level=warn --max-cron-threads=0
cd "$ROOT"
if [ "${1:-}" = "--scale" ]; then
    shift
    QBO_BENCH_DB="$DB" exec "$PY" "$ROOT/scripts/bench_scale.py" "$@"
fi
QBO_BENCH_DB="$DB" exec "$PY" "$ROOT/scripts/bench_export.py" "$@"
