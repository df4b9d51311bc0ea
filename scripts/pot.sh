#!/usr/bin/env bash
# make pot: regenerate i18n/quickbooks_connector.pot from a real install of the addon (the strings the
# code, the views and the data mark for translation). tests/test_i18n.py fails when it lags behind.
# Uses the database QBO_POT_DB (default quickbooks_pot), created on first use and updated later.
source "$(dirname "$0")/common.sh"
ensure_all
DB="${QBO_POT_DB:-quickbooks_pot}"
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" "$(addon_mode "$DB")" \
    --without-demo=all --stop-after-init --log-level=warn --max-cron-threads=0
ODOO_SRC="$ODOO_SRC" "$PY" "$ROOT/scripts/export_pot.py" "$DB"
echo "Written: i18n/quickbooks_connector.pot ($(grep -c '^msgid ' "$ROOT/i18n/quickbooks_connector.pot") strings)"
