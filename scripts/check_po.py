"""Check translations against their template (the .pot beside them): scripts/check_po.py i18n/fr_FR.po [...]
(exit 1 on a problem)."""
import glob
import os
import sys

sys.path.insert(0, os.environ.get("ODOO_SRC", "/opt/odoo"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from common_i18n import problems  # noqa: E402

failed = False
for path in sys.argv[1:]:
    [template] = glob.glob(os.path.join(os.path.dirname(os.path.abspath(path)), "*.pot"))
    found = problems(template, path)
    for problem in found[:50]:
        print(f"{path}: {problem}")
    print(f"{path}: {len(found)} problems")
    failed = failed or bool(found)
sys.exit(1 if failed else 0)
