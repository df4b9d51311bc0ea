import json
from decimal import Decimal

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import format_amount, mute_logger

from .common_webhook import QboWebhookCommon

# The banners above an invoice's form, by name.
BANNERS = "//div[hasclass('alert')][@name='qbo_remote_change' or @name='qbo_error' or @name='qbo_retry']"
TECHNICAL_FIELDS = ("qbo_id", "qbo_sync_token", "qbo_state", "qbo_retry_count", "qbo_export_generation",
                    "qbo_pending_requestid")


@tagged("post_install", "-at_install")
class TestMoveStatus(QboWebhookCommon):
    """An invoice's QuickBooks badge and banners say where it stands: changed, voided or deleted in
    QuickBooks (until reviewed or overwritten), retried by itself, or failed; resetting one that is in
    QuickBooks asks first, for every user."""

    def status_label(self, record):
        return dict(record._fields["qbo_status"]._description_selection(self.env))[record.qbo_status]

    def banners(self, record, user=None):
        return [node.get("name") for node in self.shown(record, user or self.qbo_manager, BANNERS)]

    def buttons(self, record, user=None):
        return [node.get("string") for node in self.shown(record, user or self.qbo_manager,
                                                          "//header/button[contains(@string, 'QuickBooks')]")]

    def changed_in_quickbooks(self, amount=100.0, new_amount=125.5):
        move = self.exported(self.partner_a, amount)
        self.assertEqual((move.qbo_status, self.status_label(move)), ("exported", "Exported"))
        self.qbo_change_amount(move, new_amount)
        self.deliver()
        self.process()
        return move

    def test_changed_in_quickbooks_until_reviewed(self):
        """An invoice edited in QuickBooks shows "Changed in QuickBooks" with the difference, changes nothing in
        Odoo, and keeps saying so until a QuickBooks manager marks it reviewed."""
        move = self.changed_in_quickbooks()
        self.assertRecordValues(move, [{"qbo_status": "remote_changed", "qbo_remote_change": "changed",
                                        "qbo_state": "exported", "amount_total": 100.0, "state": "posted"}])
        self.assertEqual(self.status_label(move), "Changed in QuickBooks")
        odoo, qbo = (format_amount(self.env, amount, move.currency_id) for amount in (100.0, 125.5))
        self.assertEqual(move.qbo_remote_difference,
                         f"Total: {odoo} in Odoo, {qbo} in QuickBooks\n"
                         f"Line 1 ({move.invoice_line_ids.name}): {odoo} in Odoo, {qbo} in QuickBooks")
        # The form says it at the top, with what the managers may do; the invoice list has the badge.
        self.assertEqual(self.banners(move), ["qbo_remote_change"])
        self.assertEqual(self.buttons(move), ["Send Odoo's Version to QuickBooks", "QuickBooks Change Reviewed",
                                              "Email from QuickBooks", "QuickBooks Preview"])
        self.assertEqual(self.buttons(move, self.invoice_user), [])
        [status] = self.shown(move, self.invoice_user, "//div[@name='qbo_status']")
        self.assertEqual(status.xpath(".//field/@name"), ["qbo_status", "qbo_doc_number"])
        invoice_list = self.env["account.move"].with_user(self.qbo_manager).get_views([(False, "list")])
        self.assertIn('name="qbo_status"', invoice_list["views"]["list"]["arch"])
        # Delivered again (a catch-up finding the same change): flagged once.
        self.qbo_sandbox_company.record_change("Invoice", move.qbo_id, "Update")
        self.deliver()
        self.process()
        self.assertEqual(len(self.notes(move, "Changed in QuickBooks")), 1)

        with self.assertRaises(AccessError):
            move.with_user(self.invoice_user).action_qbo_clear_flags()
        self.assertEqual(move.qbo_status, "remote_changed")
        move.with_user(self.qbo_manager).action_qbo_clear_flags()
        self.assertRecordValues(move, [{"qbo_status": "exported", "qbo_remote_change": False,
                                        "qbo_remote_difference": False, "amount_total": 100.0}])
        self.assertIn("QuickBooks change reviewed", move.message_ids[0].body)
        self.assertEqual(self.banners(move), [])
        # Reviewed: the same change read again is not flagged again.
        self.qbo_sandbox_company.record_change("Invoice", move.qbo_id, "Update")
        self.deliver()
        self.process()
        self.assertEqual(move.qbo_status, "exported")

    def test_send_odoo_version_overwrites_the_change(self):
        """"Send Odoo's Version to QuickBooks" puts Odoo's invoice back in QuickBooks; its own change is not
        reported back as a change from QuickBooks."""
        move = self.changed_in_quickbooks()
        action = move.with_user(self.qbo_manager).action_qbo_export()
        self.assertEqual(action["params"]["message"], "1 exported, 1 of them updated")
        doc = self.qbo_doc(move)
        self.assertEqual(Decimal(str(doc["TotalAmt"])), Decimal("100.00"))
        self.assertEqual(move.qbo_sync_token, doc["SyncToken"])
        self.assertRecordValues(move, [{"qbo_status": "exported", "qbo_remote_change": False}])
        self.deliver()
        self.process()
        self.assertEqual(move.qbo_status, "exported")
        self.assertEqual(self.events(qbo_entity="Invoice")[0].action_taken, "No change (the version Odoo sent)")

    def test_change_undone_in_quickbooks(self):
        """A change undone in QuickBooks takes the flag away: both sides are the same again."""
        move = self.changed_in_quickbooks()
        self.qbo_change_amount(move, 100.0)
        self.deliver()
        self.process()
        self.assertRecordValues(move, [{"qbo_status": "exported", "qbo_remote_change": False}])
        self.assertIn("undone", move.message_ids[0].body)

    def test_voided_in_quickbooks_until_cancelled_here(self):
        """Voided in QuickBooks: "Voided in QuickBooks" until the invoice is cancelled in Odoo too."""
        move = self.exported(self.partner_a, 60.0)
        self.qbo_void(move)
        self.deliver()
        self.process()
        self.assertRecordValues(move, [{"qbo_status": "remote_voided", "state": "posted", "qbo_state": "exported"}])
        self.assertEqual(self.status_label(move), "Voided in QuickBooks")
        self.assertEqual(move.qbo_remote_difference, "Nothing was changed in Odoo.")
        self.assertEqual(self.banners(move), ["qbo_remote_change"])
        self.assertNotIn("Send Odoo's Version to QuickBooks", self.buttons(move))
        move.with_user(self.qbo_manager).button_draft()
        move.with_user(self.qbo_manager).button_cancel()
        self.assertRecordValues(move, [{"state": "cancel", "qbo_state": "voided", "qbo_status": "voided",
                                        "qbo_remote_change": False}])

    @mute_logger("odoo.addons.quickbooks_connector.qbo_client")
    def test_retry_is_blue_and_failure_red(self):
        """QuickBooks down: the invoice says it will be retried by itself (blue, with when), never red; a refusal
        the user must fix is red, alone."""
        self.addCleanup(self.sandbox.clear_faults)
        self.exported(self.partner_a, 10.0)  # the customer is in QuickBooks already
        move = self.make_move(partner=self.partner_a, lines=[{"price_unit": 35.0}])
        self.sandbox.inject_fault(status=503, count=4, path_contains="/invoice", method="POST",
                                  headers={"Retry-After": "0"})
        self.assertIn("1 will be retried automatically", self.export(move)["params"]["message"])
        self.assertRecordValues(move, [{"qbo_state": "to_send", "qbo_status": "retry"}])
        self.assertTrue(move.qbo_next_attempt)
        self.assertEqual(self.status_label(move), "Will be retried")
        self.assertEqual(self.banners(move), ["qbo_retry"])
        [retry] = self.shown(move, self.qbo_manager, "//div[@name='qbo_retry']")
        self.assertIn("alert-info", retry.get("class"))
        self.assertEqual(retry.xpath(".//field/@name"), ["qbo_error", "qbo_next_attempt"])

        fault = {"Fault": {"type": "ValidationFault", "Error": [
            {"Message": "Invalid Reference Id", "Detail": "Invalid Reference Id : Item assigned to this line is "
                                                          "inactive", "code": "2500", "element": "Line.ItemRef"}]}}
        self.sandbox.inject_fault(status=400, body=json.dumps(fault), content_type="application/json",
                                  path_contains="/invoice", method="POST")
        move.with_user(self.qbo_manager).action_qbo_retry()
        self.assertRecordValues(move, [{"qbo_state": "error", "qbo_status": "error"}])
        self.assertEqual(self.banners(move), ["qbo_error"])
        [error] = self.shown(move, self.qbo_manager, "//div[@name='qbo_error']")
        self.assertIn("alert-danger", error.get("class"))

    def test_reset_to_draft_asks_every_user(self):
        """An Invoicing user resetting an exported invoice or bill is told it is in QuickBooks and what happens
        there; what the confirmation says is what happens."""
        self.company.qbo_export_on_post = True
        invoice = self.exported(self.partner_a, 80.0)
        bill = self.exported(self.partner_a, 30.0, move_type="in_invoice")
        local = self.make_move(partner=self.partner_a, lines=[{"price_unit": 5.0}])
        local.sudo()._qbo_write({"qbo_state": "not_exported"})  # posted, not exported
        resets = {move: self.shown(move, self.invoice_user, "//header/button[@name='button_draft']")
                  for move in (invoice, bill, local)}
        self.assertEqual([len(buttons) for buttons in resets.values()], [1, 1, 1])
        [invoice_reset], [bill_reset], [local_reset] = resets.values()
        self.assertEqual(invoice_reset.get("confirm-title"), "This invoice is in QuickBooks")
        self.assertIn("Posted again, it is sent to QuickBooks as an update of that same invoice",
                      invoice_reset.get("confirm"))
        self.assertIn("Cancelled instead, it is voided in QuickBooks.", invoice_reset.get("confirm"))
        self.assertIn("Cancelled instead, it is deleted in QuickBooks", bill_reset.get("confirm"))
        self.assertIsNone(local_reset.get("confirm"))
        # The number it has in QuickBooks is on the form, for this user too.
        self.assertTrue(invoice.qbo_doc_number)
        self.assertEqual(invoice.qbo_doc_number, self.qbo_doc(invoice)["DocNumber"])

        # Reset, edited, posted again: the same QuickBooks invoice is updated.
        qbo_id = invoice.qbo_id
        invoice.with_user(self.invoice_user).button_draft()
        self.assertEqual(Decimal(str(self.qbo_doc(invoice)["TotalAmt"])), Decimal("80.00"),
                         "nothing changes in QuickBooks on reset")
        invoice.with_user(self.invoice_user).write({"invoice_line_ids": [
            Command.update(invoice.invoice_line_ids.id, {"price_unit": 95.0})]})
        invoice.with_user(self.invoice_user).action_post()
        self.env["qbo.export.engine"]._cron_qbo_export_all()
        self.assertRecordValues(invoice, [{"qbo_id": qbo_id, "qbo_status": "exported"}])
        self.assertEqual(Decimal(str(self.qbo_doc(invoice)["TotalAmt"])), Decimal("95.00"))
        # Reset and cancelled: voided in QuickBooks; a bill is deleted there.
        for move in (invoice, bill):
            move.with_user(self.invoice_user).button_draft()
            move.with_user(self.invoice_user).button_cancel()
        self.assertEqual(Decimal(str(self.qbo_doc(invoice)["TotalAmt"])), Decimal("0"))
        self.assertEqual((bill.qbo_status, bill.qbo_id), ("voided", False))
        self.assertFalse(self.qbo_docs("Bill"))

    def test_technical_fields_in_developer_mode_only(self):
        """QuickBooks ids, SyncTokens, requestids and counters are shown in developer mode only."""
        move = self.exported(self.partner_a, 20.0)
        technical = "|".join(f"//field[@name='{name}']" for name in TECHNICAL_FIELDS)
        self.assertEqual(self.shown(move, self.qbo_manager, technical), [])
        self.assertEqual({node.get("name") for node in self.shown(move, self.qbo_manager, technical, debug=True)},
                         set(TECHNICAL_FIELDS))
