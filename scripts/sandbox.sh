#!/usr/bin/env bash
# make sandbox: the local QuickBooks Online sandbox in the foreground, seeded with the demo app and company.
#   QBO_SANDBOX_PORT (default 8099) changes the port; extra arguments go to the sandbox (e.g. --state-file FILE).
source "$(dirname "$0")/common.sh"
ensure_venv
cd "$ROOT"
exec "$PY" -m qbo_sandbox --host 127.0.0.1 --port "${QBO_SANDBOX_PORT:-8099}" --demo "$@"
