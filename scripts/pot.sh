#!/usr/bin/env bash
# make pot: regenerate i18n/quickbooks_connector.pot and each bridge addon's i18n/<addon>.pot from a real
# install (the strings the code, the views and the data mark for translation). The i18n tests fail when one
# lags behind. Uses the database QBO_POT_DB (default quickbooks_pot, with Sales for the bridges), created on
# first use and updated later.
source "$(dirname "$0")/common.sh"
ensure_all
DB="${QBO_POT_DB:-quickbooks_pot}"
"$PY" "$ODOO_SRC/odoo-bin" --addons-path="$(odoo_addons_path)" --database="$DB" --init="sale,quickbooks_connector,${BRIDGES// /,}" --update=quickbooks_connector \
    --without-demo=all --stop-after-init --log-level=warn --max-cron-threads=0
# shellcheck disable=SC2086  # one argument per bridge addon
ODOO_SRC="$ODOO_SRC" "$PY" "$ROOT/scripts/export_pot.py" "$DB" quickbooks_connector $BRIDGES
for pot in "$ROOT"/i18n/*.pot "$ROOT"/bridges/*/i18n/*.pot; do
    echo "Written: ${pot#"$ROOT"/} ($(grep -c '^msgid ' "$pot") strings)"
done
