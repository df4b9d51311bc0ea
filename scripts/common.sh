# Shared set-up steps for the Makefile targets; every step is idempotent.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo}"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
ADDONS_DIR="$ROOT/.addons"
ODOO_BRANCH="18.0"

die() { echo "error: $*" >&2; exit 1; }

ensure_odoo_source() {
    if [ -f "$ODOO_SRC/odoo-bin" ] && [ -d "$ODOO_SRC/odoo/addons/base" ]; then
        return
    fi
    if [ -e "$ODOO_SRC" ] && [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
        die "ODOO_SRC=$ODOO_SRC exists but is not an Odoo $ODOO_BRANCH source tree (no odoo-bin)."
    fi
    if timeout 15 git ls-remote --heads https://github.com/odoo/odoo.git "$ODOO_BRANCH" >/dev/null 2>&1; then
        echo "Cloning Odoo $ODOO_BRANCH into $ODOO_SRC (shallow)..."
        git clone --quiet --depth 1 --branch "$ODOO_BRANCH" https://github.com/odoo/odoo.git "$ODOO_SRC"
    else
        die "Odoo $ODOO_BRANCH source not found at ODOO_SRC=$ODOO_SRC and GitHub is not reachable: put an Odoo $ODOO_BRANCH tree there or set ODOO_SRC to one."
    fi
}

ensure_venv() {
    local stamp="$VENV/.requirements.sha"
    local want
    want="$(cat "$ROOT/scripts/requirements-odoo-py311.txt" "$ROOT/requirements.txt" "$ROOT/scripts/requirements-test.txt" \
        | sha256sum | cut -d' ' -f1)"
    if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    local python
    python="$(command -v python3.11 || true)"
    [ -n "$python" ] || die "Python 3.11 is required (python3.11 not found on PATH)."
    echo "Preparing the Python 3.11 virtualenv in .venv ..."
    [ -x "$PY" ] || "$python" -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip wheel "setuptools<81"
    "$PY" -m pip install --quiet -r "$ROOT/scripts/requirements-odoo-py311.txt" -r "$ROOT/requirements.txt" \
        -r "$ROOT/scripts/requirements-test.txt"
    echo "$want" > "$stamp"
}

ensure_postgres() {
    if pg_isready -q 2>/dev/null; then
        return
    fi
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        local version
        for version in $(ls /etc/postgresql); do
            echo "Starting the local PostgreSQL $version cluster..."
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 20); do
            pg_isready -q 2>/dev/null && return
            sleep 1
        done
    fi
    die "PostgreSQL is not reachable on its local socket: install and start a PostgreSQL server (the current user needs a role with CREATEDB)."
}

# Headless Chromium for the browser tests (Odoo tours) and the screenshots: Debian's package.
ensure_browser() {
    if command -v chromium >/dev/null 2>&1; then
        return
    fi
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "Installing Chromium (Debian's package) for the browser tests..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    command -v chromium >/dev/null 2>&1 || die "Chromium is needed for the browser tests: install Debian's chromium package (as root: apt-get install chromium)."
}

# The bridge addons kept in this repository (they install themselves beside Sales, Project, Timesheets).
BRIDGES="$(cd "$ROOT/bridges" && ls -d quickbooks_connector_* | tr '\n' ' ')"

ensure_addons_link() {
    mkdir -p "$ADDONS_DIR"
    ln -sfn "$ROOT" "$ADDONS_DIR/quickbooks_connector"
    for bridge in $BRIDGES; do
        ln -sfn "$ROOT/bridges/$bridge" "$ADDONS_DIR/$bridge"
    done
}

# A free TCP port on 127.0.0.1.
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether the PostgreSQL database $1 exists.
db_exists() {
    psql -lqt | cut -d'|' -f1 | grep -qw "$1"
}

# --init on a new database, --update on an existing one: the mode to install the addon in $1.
addon_mode() {
    local modules="${2:-quickbooks_connector}"
    if db_exists "$1"; then echo "--update=$modules"; else echo "--init=$modules"; fi
}

odoo_addons_path() {
    echo "$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ADDONS_DIR"
}

ensure_all() {
    ensure_odoo_source
    ensure_venv
    ensure_postgres
    ensure_addons_link
}

# Whether something listens on 127.0.0.1:$1.
port_in_use() {
    "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $1)) != 0)"
}
