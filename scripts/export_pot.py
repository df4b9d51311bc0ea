"""Write i18n/quickbooks_connector.pot from a database where the addon is installed (make pot)."""
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


def main(database):
    config.parse_config(["--database", database, "--log-level", "warn", "--addons-path", ",".join(
        [os.path.join(ODOO_SRC, "addons"), os.path.join(ODOO_SRC, "odoo", "addons"), os.path.join(ROOT, ".addons")])])
    registry = odoo.modules.registry.Registry(database)
    target = os.path.join(ROOT, "i18n", f"{MODULE}.pot")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with registry.cursor() as cr, open(target, "wb") as buffer:
        TranslationFileWriter(buffer, fileformat="po", lang=None).write_rows(addon_terms_reader(cr))


if __name__ == "__main__":
    main(sys.argv[1])
