from odoo.addons.quickbooks_connector.tests.common_i18n import assert_addon_translations
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestProjectTranslations(TransactionCase):
    """The bridge's template follows its code; French, Spanish, German and Polish are complete and load."""

    def test_template_and_languages(self):
        self.assertTrue(assert_addon_translations(self, "quickbooks_connector_project"))
