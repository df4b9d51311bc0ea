#!/usr/bin/env bash
# After make pot: bring every translation (i18n/*.po, and each bridge addon's) in step with its template;
# new strings come empty, strings gone from the code go away (tests/test_i18n.py then names what is left to translate).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in . bridges/*; do
    pot="$(ls "$dir"/i18n/*.pot)"
    for lang in fr_FR es_ES de_DE pl_PL; do
        po="$dir/i18n/$lang.po"
        [ -f "$po" ] || msginit --no-translator --no-wrap --locale="$lang.UTF-8" --input="$pot" --output-file="$po"
        msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-wrap "$po" "$pot"
        msgattrib --no-obsolete --no-wrap -o "$po" "$po"
    done
    ODOO_SRC="${ODOO_SRC:-/opt/odoo}" .venv/bin/python scripts/check_po.py "$dir"/i18n/*.po || true
done
