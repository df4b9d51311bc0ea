#!/usr/bin/env bash
# After make pot: bring every translation (i18n/*.po) in step with the template; new strings come empty,
# strings gone from the code go away (tests/test_i18n.py then names what is left to translate).
set -euo pipefail
cd "$(dirname "$0")/.."
for po in i18n/*.po; do
    msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-wrap "$po" i18n/quickbooks_connector.pot
    msgattrib --no-obsolete --no-wrap -o "$po" "$po"
done
ODOO_SRC="${ODOO_SRC:-/opt/odoo}" .venv/bin/python scripts/check_po.py i18n/*.po || true
