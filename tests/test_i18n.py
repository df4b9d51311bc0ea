import os

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged

from .common_i18n import LANGUAGES, MODULE, addon_terms_reader, messages, problems


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The translation template follows the code, and French, Spanish, German and Polish are complete, load
    cleanly and show on the QuickBooks screens and in the messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.i18n = os.path.join(get_module_path(MODULE), "i18n")
        cls.template = os.path.join(cls.i18n, f"{MODULE}.pot")

    def test_template_in_step_with_the_code(self):
        """Every string the addon marks for translation is in the template, and only those (make pot)."""
        marked = {row[4] for row in addon_terms_reader(self.env.cr)}
        template, _catalog = messages(self.template)
        self.assertEqual(sorted(marked - set(template)), [], "missing from i18n/quickbooks_connector.pot: make pot")
        self.assertEqual(sorted(set(template) - marked), [], "no longer in the code: make pot")

    def test_each_language(self):
        """Each language translates every string, keeps every placeholder, loads without a warning, and a
        field, a screen and a message of the code show in it."""
        company = self.env.company
        for code in LANGUAGES:
            with self.subTest(language=code):
                path = os.path.join(self.i18n, f"{code}.po")
                self.assertEqual(problems(self.template, path), [])
                translations, _catalog = messages(path)
                self.env["res.lang"]._activate_lang(code)
                with self.assertNoLogs("odoo.tools.translate", level="WARNING"):
                    self.env["ir.module.module"]._load_module_terms([MODULE], [code], overwrite=True)
                env = self.env(context={"lang": code})
                self.assertEqual(env["res.company"]._fields["qbo_books_status"]._description_string(env),
                                 translations["Books in Step"])
                arch = env.ref("quickbooks_connector.qbo_books_repair_view_form").with_context(lang=code).arch
                self.assertIn(translations["What will change"], arch)
                with self.assertRaises(UserError) as refused:
                    env["qbo.books.check"].create({"company_id": company.id, "date_from": "2026-02-01",
                                                   "date_to": "2026-01-01"})
                self.assertEqual(str(refused.exception),
                                 translations["QuickBooks: the comparison's start date comes after its end date."])
