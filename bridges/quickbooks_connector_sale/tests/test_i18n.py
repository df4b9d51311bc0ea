import os

from odoo.addons.quickbooks_connector.tests.common_i18n import MODULE, assert_addon_translations, messages
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSaleTranslations(TransactionCase):
    """The bridge's template follows its code; French, Spanish, German and Polish are complete and load; the
    connector's own labels on orders (their QuickBooks status) come from the connector's translations."""

    def test_template_and_languages(self):
        found = assert_addon_translations(self, "quickbooks_connector_sale")
        self.env["ir.module.module"]._load_module_terms([MODULE], list(found), overwrite=True)
        for code, translations in found.items():
            env = self.env(context={"lang": code})
            self.assertEqual(env["sale.order"]._fields["qbo_estimate_status"]._description_string(env),
                             translations["Estimate in QuickBooks"])
            core, _catalog = messages(os.path.join(get_module_path(MODULE), "i18n", f"{code}.po"))
            statuses = dict(env["sale.order"]._fields["qbo_status"]._description_selection(env))
            self.assertEqual(statuses["exported"], core["Exported"])
