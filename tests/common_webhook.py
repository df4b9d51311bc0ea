import json

from ..qbo_sandbox import webhooks
from .common_payment import QboPaymentCommon

VERIFIER = "odoo-test-verifier-token"
WEBHOOK_PATH = "/quickbooks/webhook"


class WebhookTestMixin:
    """The sandbox's app posts signed webhooks to this HttpCase server's ``/quickbooks/webhook``."""

    webhook_format = "legacy"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"qbo_webhook_verifier": VERIFIER, "qbo_webhook_enabled": True})
        cls.register_sandbox_app(redirect_uris=[cls.company.qbo_redirect_uri],
                                 webhook_url=cls.base_url() + WEBHOOK_PATH, webhook_verifier=VERIFIER,
                                 webhook_format=cls.webhook_format)
        cls.dispatcher = webhooks.for_state(cls.sandbox)

    def setUp(self):
        super().setUp()
        self.dispatcher.configure(enabled=True, batch_size=100, retry_scale=0.001, timeout=3.0, duplicates=False,
                                  out_of_order=False)
        self.dispatcher.discard()  # the clean-up of the previous test is no news

    # ---- helpers ----

    def deliver(self, timeout=30.0):
        """Let the sandbox deliver every pending notification; return the HTTP statuses Odoo answered.

        The HTTP server reads the database: what this test wrote is flushed first, and what the
        requests wrote is read afresh afterwards.
        """
        self.env.flush_all()
        try:
            return [delivery["status"] for delivery in self.dispatcher.flush(timeout=timeout)]
        finally:
            self.env.invalidate_all()

    def process(self):
        self.env["qbo.event.processor"]._qbo_process(self.company)

    def events(self, **where):
        domain = [("company_id", "=", self.company.id)] + [(key, "=", value) for key, value in where.items()]
        return self.env["qbo.webhook.event"].search(domain)

    def set_rule(self, event, action):
        self.env["qbo.event.rule"].search([("company_id", "=", self.company.id), ("event", "=", event)]).action = action

    def post(self, payload, verifier=VERIFIER, signature=None, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": content_type}
        if verifier or signature:
            headers["intuit-signature"] = signature or webhooks.sign(body, verifier)
        return self.url_open(WEBHOOK_PATH, data=body, headers=headers)

    def legacy(self, entities, realm_id=None):
        return {"eventNotifications": [{"realmId": realm_id or self.realm_id, "dataChangeEvent": {"entities": [
            {"name": name, "id": qbo_id, "operation": operation, "lastUpdated": "2026-01-05T14:42:19-0700"}
            for name, qbo_id, operation in entities]}}]}


class QboWebhookCommon(WebhookTestMixin, QboPaymentCommon):
    """Webhooks on exported invoices and their payments."""

    def qbo_change_amount(self, move, amount):
        """Someone edits the invoice's only line in QuickBooks (sparse update over HTTP)."""
        doc = self.qbo_doc(move)
        lines = [dict(line) for line in doc["Line"] if line.get("DetailType") == "SalesItemLineDetail"]
        lines[0]["Amount"] = amount
        lines[0]["SalesItemLineDetail"] = dict(lines[0]["SalesItemLineDetail"], UnitPrice=amount, Qty=1)
        return self.client.update("Invoice", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                              "Line": lines})

    def qbo_void(self, move):
        return self.client.void("Invoice", self.qbo_doc(move))

    def fail_invoice_reads(self, move):
        """QuickBooks refuses (403) every read of ``move``'s invoice, whether by query or by Id."""
        self.sandbox.inject_fault(kind="authorization", count=5, path_contains="/query")
        self.sandbox.inject_fault(kind="authorization", count=10, path_contains=f"invoice/{move.qbo_id}")
        self.addCleanup(self.sandbox.clear_faults)

    def notes(self, move, text):
        return move.message_ids.filtered(lambda message: text in (message.body or ""))

    def review_activities(self, move):
        return move.activity_ids.filtered(lambda activity: activity.summary == "Review the QuickBooks change")
