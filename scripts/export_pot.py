"""Write the translation templates of this repository's addons from a database where they are installed
(make pot): i18n/quickbooks_connector.pot, and each bridge addon's own i18n/<addon>.pot."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
sys.path.insert(0, ODOO_SRC)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import odoo  # noqa: E402
from odoo.tools import config  # noqa: E402
from odoo.tools.translate import TranslationFileWriter  # noqa: E402

from common_i18n import MODULE, addon_terms_reader  # noqa: E402


def main(database, *modules, also=None):
    """Write the templates of ``modules`` from ``database``. ``also``: another database whose references to the
    same strings are added (the connector's fields on the bridges' models, e.g. a sales order's QuickBooks
    status), its other strings left out (other apps add theirs to the connector's models)."""
    config.parse_config(["--database", database, "--log-level", "warn", "--addons-path", ",".join(
        [os.path.join(ODOO_SRC, "addons"), os.path.join(ODOO_SRC, "odoo", "addons"), os.path.join(ROOT, ".addons")])])
    registry = odoo.modules.registry.Registry(database)
    for module in modules or (MODULE,):
        base = ROOT if module == MODULE else os.path.join(ROOT, "bridges", module)
        target = os.path.join(base, "i18n", f"{module}.pot")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with registry.cursor() as cr:
            rows = list(addon_terms_reader(cr, module))
        if also:
            strings = {row[4] for row in rows}
            with odoo.modules.registry.Registry(also).cursor() as cr:
                rows += [row for row in addon_terms_reader(cr, module) if row[4] in strings]
        with open(target, "wb") as buffer:
            TranslationFileWriter(buffer, fileformat="po", lang=None).write_rows(rows)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    extra = arguments.pop(arguments.index("--also") + 1) if "--also" in arguments else None
    main(*[argument for argument in arguments if argument != "--also"], also=extra)
