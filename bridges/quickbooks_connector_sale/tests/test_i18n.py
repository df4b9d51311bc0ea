import os

from odoo.addons.quickbooks_connector.tests.common_i18n import LANGUAGES, addon_terms_reader, messages, problems
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged

MODULE = "quickbooks_connector_sale"


@tagged("post_install", "-at_install")
class TestSaleTranslations(TransactionCase):
    """The bridge's template follows its code; French, Spanish, German and Polish are complete and load."""

    def test_template_and_languages(self):
        i18n = os.path.join(get_module_path(MODULE), "i18n")
        template = os.path.join(i18n, f"{MODULE}.pot")
        marked = {row[4] for row in addon_terms_reader(self.env.cr, MODULE)}
        self.assertEqual(sorted(marked ^ set(messages(template)[0])), [], "make pot")
        for code in LANGUAGES:
            with self.subTest(language=code):
                path = os.path.join(i18n, f"{code}.po")
                self.assertEqual(problems(template, path), [])
                translations, _catalog = messages(path)
                self.env["res.lang"]._activate_lang(code)
                with self.assertNoLogs("odoo.tools.translate", level="WARNING"):
                    self.env["ir.module.module"]._load_module_terms([MODULE], [code], overwrite=True)
                env = self.env(context={"lang": code})
                self.assertEqual(env["sale.order"]._fields["qbo_estimate_status"]._description_string(env),
                                 translations["Estimate in QuickBooks"])
