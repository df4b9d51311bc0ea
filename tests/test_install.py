from odoo.tests import BaseCase, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):

    def test_module_installed(self):
        """The addon is installed in the test database."""
        module = self.env["ir.module.module"].search([("name", "=", "quickbooks_connector")])
        self.assertEqual(module.state, "installed")


@tagged("post_install", "-at_install")
class TestPlainCase(BaseCase):

    def test_base_case_runs(self):
        """A BaseCase without database runs under the Odoo test runner."""
        self.assertEqual(1 + 1, 2)
