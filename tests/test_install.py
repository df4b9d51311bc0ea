import requests

from odoo.tests import TransactionCase, tagged

from odoo.addons.quickbooks_connector.qbo_sandbox.testing import SandboxTestMixin


@tagged("post_install", "-at_install")
class TestInstall(SandboxTestMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.register_sandbox_app()
        cls.realm_id = cls.create_sandbox_company().realm_id

    def test_module_installed(self):
        """The addon is installed, with its security groups, in the test database."""
        module = self.env["ir.module.module"].search([("name", "=", "quickbooks_connector")])
        self.assertEqual(module.state, "installed")
        self.assertTrue(self.env.ref("quickbooks_connector.group_qbo_manager"))

    def test_sandbox_answers_from_odoo(self):
        """A sandbox started from an Odoo test answers OAuth discovery and the Accounting API."""
        discovery = requests.get(self.sandbox_server.discovery_url, timeout=10).json()
        self.assertEqual(discovery["token_endpoint"], f"{self.sandbox_server.url}/oauth2/v1/tokens/bearer")
        client = self.authorize(self.sandbox_auth_client(), self.realm_id)
        answer = requests.get(
            f"{self.sandbox_server.url}/v3/company/{self.realm_id}/companyinfo/{self.realm_id}",
            headers={"Authorization": f"Bearer {client.access_token}", "Accept": "application/json"},
            params={"minorversion": 75}, timeout=10,
        )
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.json()["CompanyInfo"]["CompanyName"], "Sandbox Company_US_1")
        self.assertTrue(answer.headers.get("intuit_tid"))
