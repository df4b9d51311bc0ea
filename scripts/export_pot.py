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


def main(database, *modules):
    config.parse_config(["--database", database, "--log-level", "warn", "--addons-path", ",".join(
        [os.path.join(ODOO_SRC, "addons"), os.path.join(ODOO_SRC, "odoo", "addons"), os.path.join(ROOT, ".addons")])])
    registry = odoo.modules.registry.Registry(database)
    for module in modules or (MODULE,):
        base = ROOT if module == MODULE else os.path.join(ROOT, "bridges", module)
        target = os.path.join(base, "i18n", f"{module}.pot")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with registry.cursor() as cr, open(target, "wb") as buffer:
            TranslationFileWriter(buffer, fileformat="po", lang=None).write_rows(addon_terms_reader(cr, module))


if __name__ == "__main__":
    main(*sys.argv[1:])
