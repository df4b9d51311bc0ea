import time
import uuid

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import format_amount

from ..qbo_sandbox import accounting, limits
from .common_expense import QboExpenseCommon
from .common_webhook import VERIFIER, QboWebhookCommon, WebhookTestMixin


@tagged("post_install", "-at_install")
class TestWebhookEndpoint(QboWebhookCommon):

    def test_signed_notification_is_recorded_and_triggers_processing(self):
        cron = self.env.ref("quickbooks_connector.ir_cron_qbo_process_events")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        move = self.exported(self.partner_a, 100.0)
        self.assertEqual(self.deliver(), [200])
        event = self.events(qbo_entity="Invoice")
        self.assertEqual(len(event), 1)
        self.assertEqual((event.qbo_id, event.operation, event.state, event.source),
                         (move.qbo_id, "Create", "pending", "webhook"))
        self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers)
        self.env["qbo.event.processor"]._cron_qbo_process_events()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.action_taken, "No change (the version Odoo sent)")
        self.assertEqual((event.res_model, event.res_id), ("account.move", move.id))
        log = self.env["qbo.sync.log"].search([("qbo_entity", "=", "Invoice"), ("qbo_id", "=", move.qbo_id),
                                               ("operation", "=", "read")], limit=1)
        self.assertEqual((log.direction, log.status, log.res_id), ("import", "success", move.id))

    def test_forged_missing_and_other_realm_are_refused(self):
        payload = self.legacy([("Customer", "1", "Update")])
        # Unauthenticated: one answer for all, whatever the realm.
        self.assertEqual(self.post(payload, verifier="not-the-token").status_code, 401)
        self.assertEqual(self.post(payload, verifier=None).status_code, 401)
        self.assertEqual(self.post(payload, signature="bm90IGEgc2lnbmF0dXJl").status_code, 401)
        self.assertEqual(self.post(self.legacy([("Customer", "1", "Update")], realm_id="4620816365000000000"),
                                   verifier="not-the-token").status_code, 401)
        # Signed: a realm Odoo does not serve is acknowledged and ignored; an unreadable body is refused.
        self.assertEqual(self.post(self.legacy([("Customer", "1", "Update")], realm_id="4620816365000000000"))
                         .status_code, 200)
        self.assertEqual(self.post(b"not json").status_code, 400)
        self.assertEqual(self.post({"eventNotifications": ["not an object"]}).status_code, 400)
        self.assertFalse(self.events())
        # The same body, rightly signed, is accepted; its time (-0700) is kept in UTC.
        self.assertEqual(self.post(payload).status_code, 200)
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(str(self.events().event_time), "2026-01-05 21:42:19")

    def test_other_companys_token_does_not_sign_for_this_realm(self):
        other = self.env["res.company"].create({"name": "Other QBO company"})
        other.sudo().write({"qbo_webhook_verifier": "other-token"})
        self.assertEqual(self.post(self.legacy([("Customer", "1", "Update")]), verifier="other-token").status_code,
                         200)
        self.assertFalse(self.events())

    def test_refused_notification_is_retried_until_accepted(self):
        """Nothing is lost while Odoo refuses: QuickBooks retries the same notification."""
        self.company.qbo_webhook_verifier = "not-yet-the-right-token"
        move = self.exported(self.partner_a, 100.0)
        with self.assertRaises(TimeoutError):
            self.deliver(timeout=0.5)
        self.assertFalse(self.events())
        self.assertEqual({delivery["status"] for delivery in list(self.dispatcher.deliveries)[-3:]}, {401})
        self.company.qbo_webhook_verifier = VERIFIER
        self.assertEqual(self.deliver()[-1], 200)
        self.assertEqual(self.events(qbo_entity="Invoice").qbo_id, move.qbo_id)

    def test_unknown_entities_are_acknowledged_and_ignored(self):
        """Entities Odoo does not follow are acknowledged and dropped; the documents the import of documents
        reads (bills, credit memos, receipts...) are recorded, for the processor to hand to the import."""
        response = self.post(self.legacy([("Estimate", "7", "Create"), ("TimeActivity", "8", "Update"),
                                          ("Bill", "9", "Create"), ("RefundReceipt", "10", "Update")]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(sorted(self.events().mapped("qbo_entity")), ["Bill", "RefundReceipt"])

    def test_off_until_a_verifier_token_is_there(self):
        """A new company receives no webhooks; they cannot be switched on without the verifier token."""
        company = self.env["res.company"].create({"name": "Webhooks Off Company"})
        self.assertFalse(company.qbo_webhook_enabled)
        for record, values in ((company, {"qbo_webhook_enabled": True}),
                               (self.company, {"qbo_webhook_verifier": False})):
            with self.assertRaises(ValidationError) as refused:
                record.write(values)
            self.assertIn("verifier token", str(refused.exception))
        self.assertEqual(self.company.qbo_webhook_verifier, VERIFIER)
        company.write({"qbo_webhook_verifier": "company-token", "qbo_webhook_enabled": True})
        self.assertTrue(company.qbo_webhook_enabled)

    def test_disabled_company_acknowledges_and_stores_nothing(self):
        self.company.qbo_webhook_enabled = False
        self.exported(self.partner_a, 50.0)
        self.assertEqual(self.deliver(), [200])
        self.assertFalse(self.events())

    def test_hundred_events_in_one_notification(self):
        customers = [accounting.create(self.qbo_sandbox_company, "Customer", {"DisplayName": f"Webhook {number}"})
                     for number in range(100)]
        self.assertEqual(self.deliver(), [200])
        events = self.events(qbo_entity="Customer")
        self.assertEqual(len(events), 100)
        self.assertEqual(set(events.mapped("qbo_id")), {customer["Id"] for customer in customers})
        requests_before = limits.for_state(self.sandbox).count(self.realm_id)
        self.process()
        self.assertEqual(set(events.mapped("state")), {"ignored"})  # not linked to Odoo partners
        # Read again through the API, in one query rather than 100 reads.
        self.assertEqual(limits.for_state(self.sandbox).count(self.realm_id) - requests_before, 1)

    def test_same_notification_twice_and_out_of_order(self):
        self.dispatcher.configure(duplicates=True, out_of_order=True, batch_size=1)
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 150.0)
        statuses = self.deliver()
        self.assertEqual(statuses, [200, 200, 200, 200])  # Update then Create, each twice
        events = self.events(qbo_entity="Invoice")
        self.assertEqual(sorted(events.mapped("operation")), ["Create", "Update"])
        self.process()
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)
        self.assertEqual(len(self.review_activities(move)), 1)
        # A late duplicate after processing changes nothing.
        self.dispatcher.configure(out_of_order=False)
        self.qbo_sandbox_company.record_change("Invoice", move.qbo_id, "Update")
        self.deliver()
        self.process()
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)
        self.assertEqual(len(self.review_activities(move)), 1)

    def test_company_tab_figures_and_who_may_retry(self):
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 101.0)
        self.deliver()
        self.company.invalidate_recordset()
        self.assertEqual(len(self.events(qbo_entity="Invoice", state="pending")), 2)
        self.assertEqual(self.company.qbo_event_pending_count, len(self.events(state="pending")))
        self.assertTrue(self.company.qbo_last_event_at)
        self.fail_invoice_reads(move)
        self.process()
        self.company.invalidate_recordset()
        failed = self.events(state="error")
        self.assertEqual(failed.mapped("qbo_entity"), ["Invoice", "Invoice"])
        self.assertEqual((self.company.qbo_event_pending_count, self.company.qbo_event_error_count), (0, 2))
        self.assertGreaterEqual(self.company.qbo_sync_error_count, 1)
        user = self._qbo_new_user("qbo_plain_user", "base.group_user,quickbooks_connector.group_qbo_user")
        self.assertEqual(len(failed.with_user(user).read(["state"])), 2)
        with self.assertRaises(AccessError):
            failed.with_user(user).action_retry()
        self.assertEqual(set(failed.mapped("state")), {"error"})

    def test_verifier_token_is_for_system_administrators_only(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.qbo_manager).read(["qbo_webhook_verifier"])
        self.assertEqual(self.company.with_user(self.admin_user).qbo_webhook_verifier, VERIFIER)

    def test_burst_response_time(self):
        bodies = [self.legacy([("Customer", str(100000 + index * 100 + number), "Update") for number in range(100)])
                  for index in range(20)]
        slowest = 0.0
        started = time.monotonic()
        for body in bodies:
            before = time.monotonic()
            self.assertEqual(self.post(body).status_code, 200)
            slowest = max(slowest, time.monotonic() - before)
        total = time.monotonic() - started
        print(f"webhook burst: 20 notifications x 100 events in {total:.2f}s, slowest answer {slowest:.3f}s")
        self.assertEqual(len(self.events()), 2000)
        self.assertLess(slowest, 3.0, "Intuit expects an answer within 3 seconds")


@tagged("post_install", "-at_install")
class TestWebhookCloudEvents(QboWebhookCommon):

    webhook_format = "cloudevents"

    def test_cloudevents_are_recorded_once(self):
        self.dispatcher.configure(duplicates=True)
        move = self.exported(self.partner_a, 80.0)
        self.assertEqual(self.deliver(), [200, 200])
        event = self.events(qbo_entity="Invoice")
        self.assertEqual(len(event), 1)
        self.assertTrue(event.event_key.startswith("ce:"))
        self.assertEqual((event.qbo_id, event.operation), (move.qbo_id, "Create"))

    def test_cloudevents_signature_checked(self):
        payload = [{"specversion": "1.0", "id": str(uuid.uuid4()), "source": "intuit.test",
                    "type": "qbo.customer.updated.v1", "datacontenttype": "application/json",
                    "time": "2025-09-10T21:31:25.179851517Z", "intuitentityid": "1",
                    "intuitaccountid": self.realm_id, "data": {}}]
        self.assertEqual(self.post(payload, verifier="forged", content_type="application/cloudevents+json")
                         .status_code, 401)
        self.assertFalse(self.events())
        self.assertEqual(self.post(payload, content_type="application/cloudevents+json").status_code, 200)
        event = self.events()
        self.assertEqual((event.qbo_entity, event.qbo_id, event.operation), ("Customer", "1", "Update"))
        self.assertEqual(str(event.event_time), "2025-09-10 21:31:25.179851")


@tagged("post_install", "-at_install")
class TestWebhookRules(QboWebhookCommon):

    def test_invoice_updated_review(self):
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 125.5)
        self.deliver()
        self.process()
        note = self.notes(move, "Changed in QuickBooks")
        self.assertEqual(len(note), 1)
        odoo, qbo = (format_amount(self.env, amount, move.currency_id) for amount in (100.0, 125.5))
        body = str(note.body).replace("&nbsp;", "\xa0")
        self.assertIn(f"Total: {odoo} in Odoo, {qbo} in QuickBooks", body)
        self.assertIn(f"Line 1 ({move.invoice_line_ids.name}): {odoo} in Odoo, {qbo} in QuickBooks", body)
        self.assertEqual(len(self.review_activities(move)), 1)
        self.assertEqual(move.amount_total, 100.0)  # nothing changed silently
        self.assertEqual(move.state, "posted")

    def test_invoice_updated_ignore(self):
        self.set_rule("invoice_updated", "ignore")
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 90.0)
        self.deliver()
        self.process()
        self.assertFalse(self.notes(move, "Changed in QuickBooks"))
        self.assertEqual(self.events(qbo_entity="Invoice", operation="Update").state, "ignored")

    def test_payment_created_pull(self):
        move = self.exported(self.partner_a, 200.0)
        payment_doc = self.qbo_pay([(move, 200.0)])
        self.deliver()
        self.process()
        payment = self.odoo_payment(payment_doc["Id"])
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 200.0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        event = self.events(qbo_entity="Payment")
        self.assertEqual((event.state, event.res_model, event.res_id), ("done", "account.payment", payment.id))
        # Delivered again: still one payment.
        self.qbo_sandbox_company.record_change("Payment", payment_doc["Id"], "Update")
        self.deliver()
        self.process()
        self.assertEqual(len(self.odoo_payment(payment_doc["Id"])), 1)

    def test_change_then_payment_is_flagged_once(self):
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 150.0)
        self.deliver()
        self.process()
        payment_doc = self.qbo_pay([(move, 50.0)])
        self.deliver()
        self.process()
        self.assertEqual(len(self.odoo_payment(payment_doc["Id"])), 1)
        self.assertEqual(move.amount_residual, 50.0)
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)
        self.assertEqual(len(self.review_activities(move)), 1)

    def test_payment_created_ignore(self):
        self.set_rule("payment_created", "ignore")
        move = self.exported(self.partner_a, 200.0)
        payment_doc = self.qbo_pay([(move, 200.0)])
        self.deliver()
        self.process()
        self.assertFalse(self.odoo_payment(payment_doc["Id"]))
        self.assertEqual(move.payment_state, "not_paid")

    def test_invoice_voided_review(self):
        move = self.exported(self.partner_a, 60.0)
        self.qbo_void(move)
        self.deliver()
        self.process()
        self.assertEqual(move.state, "posted")
        self.assertEqual(len(self.notes(move, "Voided in QuickBooks")), 1)
        self.assertEqual(len(self.review_activities(move)), 1)

    def test_invoice_voided_cancel(self):
        self.set_rule("invoice_voided", "cancel")
        move = self.exported(self.partner_a, 60.0)
        self.qbo_void(move)
        self.deliver()
        self.process()
        self.assertEqual(move.state, "cancel")
        self.assertEqual(move.qbo_state, "voided")
        self.assertEqual(len(self.notes(move, "Voided in QuickBooks")), 1)

    def test_invoice_voided_cancel_refused_when_paid_in_odoo(self):
        self.set_rule("invoice_voided", "cancel")
        self.company.qbo_push_payments = False
        move = self.exported(self.partner_a, 60.0)
        self.register_payment(move, 60.0)
        self.qbo_void(move)
        self.deliver()
        self.process()
        self.assertEqual(move.state, "posted")
        note = self.notes(move, "Voided in QuickBooks")
        self.assertEqual(len(note), 1)
        self.assertIn("has payments in Odoo", note.body)

    def test_customer_event_refreshes_mapping(self):
        partner = self.make_partner("Mapped Customer")
        move = self.exported(partner, 10.0)
        mapping = self.env["qbo.mapping"].search([("company_id", "=", self.company.id), ("qbo_entity", "=", "Customer"),
                                                  ("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
        self.assertTrue(mapping, move.qbo_error)
        doc = self.qbo_sandbox_company.get("Customer", mapping.qbo_id)
        self.client.update("Customer", {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True,
                                        "DisplayName": "Renamed in QuickBooks"})
        self.deliver()
        self.process()
        self.assertEqual(mapping.qbo_name, "Renamed in QuickBooks")
        self.assertEqual(mapping.qbo_sync_token, self.qbo_sandbox_company.get("Customer", doc["Id"])["SyncToken"])

    def test_preferences_event_reads_the_settings_again(self):
        """QuickBooks' admin turns custom transaction numbers off: the company's stored settings follow."""
        self.assertTrue(self.company.qbo_custom_txn_numbers)
        self.addCleanup(self.qbo_sandbox_company.configure, custom_txn_numbers=True)
        self.qbo_sandbox_company.configure(custom_txn_numbers=False)
        self.deliver()
        self.process()
        self.assertFalse(self.company.qbo_custom_txn_numbers)
        event = self.events(qbo_entity="Preferences")
        self.assertEqual((event.state, event.action_taken), ("done", "QuickBooks company settings read again"))

    def test_quickbooks_outage_leaves_events_pending(self):
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 105.0)
        self.deliver()
        self.sandbox.inject_fault(status=503, count=50, path_contains=f"/v3/company/{self.realm_id}/")
        self.addCleanup(self.sandbox.clear_faults)
        self.process()
        self.assertEqual(set(self.events(qbo_entity="Invoice").mapped("state")), {"pending"})
        self.assertTrue(self.env["qbo.sync.log"].search([("company_id", "=", self.company.id),
                                                         ("status", "=", "retry")]))
        self.sandbox.clear_faults()
        self.process()
        self.assertEqual(set(self.events(qbo_entity="Invoice").mapped("state")), {"done"})
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)

    def test_failed_event_is_kept_and_retried(self):
        move = self.exported(self.partner_a, 100.0)
        self.qbo_change_amount(move, 110.0)
        self.deliver()
        self.fail_invoice_reads(move)
        self.process()
        failed = self.events(qbo_entity="Invoice", state="error")
        self.assertTrue(failed)
        self.assertFalse(self.notes(move, "Changed in QuickBooks"))
        self.sandbox.clear_faults()
        failed.with_user(self.qbo_manager).action_retry()
        self.assertEqual(set(self.events(qbo_entity="Invoice").mapped("state")), {"done"})
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)


@tagged("post_install", "-at_install")
class TestWebhookExpenses(WebhookTestMixin, QboExpenseCommon):

    def test_purchase_event_runs_the_expense_pull(self):
        doc = self.qbo_purchase("Cash", [("Meals and Entertainment", 18.5, "Team lunch", None)])
        self.assertEqual(self.deliver(), [200])
        self.process()
        [expense] = self.expenses_of(doc)
        self.assertEqual(expense.total_amount, 18.5)
        event = self.events(qbo_entity="Purchase")
        self.assertEqual(event.state, "done")
        self.assertIn("imported", event.action_taken)
        # Delivered again: still one expense.
        self.qbo_sandbox_company.record_change("Purchase", doc["Id"], "Update")
        self.deliver()
        self.process()
        self.assertEqual(len(self.expenses_of(doc)), 1)
