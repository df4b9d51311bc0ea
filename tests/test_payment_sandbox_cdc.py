from odoo.tests import BaseCase, tagged

from .common_sandbox import SandboxApiHelpers


@tagged("post_install", "-at_install")
class TestPaymentSandboxCdc(SandboxApiHelpers, BaseCase):
    """The sandbox's Change Data Capture, which the payment sync reads deletions from."""

    def cdc(self, **params):
        return self.api("GET", "cdc", params={"minorversion": "75", **params})

    def test_changes_and_tombstones(self):
        """Changed payments in their current version, deleted ones as tombstones; older changes left out."""
        customer = self.create("Customer", {"DisplayName": "CDC Customer"})
        old = self.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 5})
        self.sandbox.clock.advance(120)
        since = self.company.stamp()
        self.sandbox.clock.advance(1)
        kept = self.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 10})
        gone = self.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 20})
        self.ok(self.post("payment", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]}, operation="delete"))
        answer = self.ok(self.cdc(entities="Payment,Invoice", changedSince=since))
        responses = answer["CDCResponse"][0]["QueryResponse"]
        payments = next(response["Payment"] for response in responses if "Payment" in response)
        self.assertEqual([(doc["Id"], doc.get("status")) for doc in payments],
                         [(kept["Id"], None), (gone["Id"], "Deleted")])
        self.assertEqual(payments[0]["TotalAmt"], 10)
        self.assertNotIn(old["Id"], [doc["Id"] for doc in payments])
        self.assertEqual([response for response in responses if "Payment" not in response], [{}])

    def test_refusals(self):
        """More than 30 days back, a missing or unsupported entity: refused with a fault."""
        self.fault(self.cdc(entities="Payment", changedSince="2000-01-01"), "4001")
        self.fault(self.cdc(changedSince=self.company.stamp()), "2020")
        self.fault(self.cdc(entities="TaxCode", changedSince=self.company.stamp()), "2010")
