#!/usr/bin/env bash
# make pot: regenerate i18n/quickbooks_connector.pot and each bridge addon's i18n/<addon>.pot from a real
# install (the strings the code, the views and the data mark for translation). The i18n tests fail when one
# lags behind. The connector's template comes from a database holding it alone (QBO_POT_DB, default
# quickbooks_pot: other apps add fields to its models), the bridges' from one with Timesheets on sales orders
# beside it (<QBO_POT_DB>_bridges); both created on first use and updated later.
source "$(dirname "$0")/common.sh"
ensure_all
DB="${QBO_POT_DB:-quickbooks_pot}"
BRIDGE_DB="${DB}_bridges"
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" "$(addon_mode "$DB")" \
    --without-demo=all --stop-after-init --log-level=warn --max-cron-threads=0
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$BRIDGE_DB" \
    --init="sale_timesheet,quickbooks_connector,${BRIDGES// /,}" --update="${BRIDGES// /,}" \
    --without-demo=all --stop-after-init --log-level=warn --max-cron-threads=0
ODOO_SRC="$ODOO_SRC" "$PY" "$ROOT/scripts/export_pot.py" "$DB" quickbooks_connector --also "$BRIDGE_DB"
# shellcheck disable=SC2086  # one argument per bridge addon
ODOO_SRC="$ODOO_SRC" "$PY" "$ROOT/scripts/export_pot.py" "$BRIDGE_DB" $BRIDGES
for pot in "$ROOT"/i18n/*.pot "$ROOT"/bridges/*/i18n/*.pot; do
    echo "Written: ${pot#"$ROOT"/} ($(grep -c '^msgid ' "$pot") strings)"
done
