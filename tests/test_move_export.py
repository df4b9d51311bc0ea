import json
from datetime import timedelta
from decimal import Decimal

import requests

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..qbo_sandbox import limits
from .common_move import QboMoveExportCommon


@tagged("post_install", "-at_install")
class TestMoveExport(QboMoveExportCommon):
    """Action > Export to QBO: single and bulk export, document types, update, void, send, preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_ca = cls.make_tax("CA 8%", 8.0)
        cls.map_tax(cls.tax_ca, "California")

    def test_export_single_invoice(self):
        """A posted invoice gets its QBO Invoice Id, DocNumber, link, note and a success log."""
        partner = self.make_partner("Single Export Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 3, "price_unit": 33.33,
                                                       "tax_ids": [Command.set(self.tax_ca.ids)]}])
        action = self.export(move)
        self.assertEqual(action["params"]["message"], "1 exported")
        doc = self.qbo_doc(move)
        self.assertEqual(doc["DocNumber"], move.name)
        self.assertEqual(doc["CustomerRef"]["value"],
                         self.env["qbo.mapping"]._qbo_ids_for(partner, "Customer", self.company)[partner.id])
        self.assertEqual((move.qbo_doc_number, move.qbo_sync_token), (move.name, doc["SyncToken"]))
        self.assertIn(f"txnId={move.qbo_id}", move.qbo_url)
        page = requests.get(move.qbo_url, timeout=10)  # the local sandbox's page of the invoice
        self.assertEqual(page.status_code, 200)
        self.assertIn(move.name, page.text)
        note = move.message_ids.filtered(lambda message: "Exported to QuickBooks" in (message.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn(f'href="{move.qbo_url}"', str(note.body).replace("&amp;", "&"))
        self.assertEqual(self.assert_amounts(move), (Decimal("107.99"), Decimal("8.00")))
        self.assertEqual(doc["BillEmail"]["Address"], partner.email)
        self.assertEqual(doc["TxnDate"], "2019-01-01")
        log = self.env["qbo.sync.log"].search([("res_model", "=", "account.move"), ("res_id", "=", move.id)])
        self.assertRecordValues(log, [{"operation": "create", "status": "success", "qbo_entity": "Invoice",
                                       "qbo_id": move.qbo_id, "user_id": self.qbo_manager.id}])
        self.assertTrue(log.requestid.endswith(f"-{move.id}-g0"))
        self.assertIn("Exported to QuickBooks", move.message_ids[0].body)
        # Exporting it again sends nothing: it is up to date.
        count = len(self.qbo_docs("Invoice"))
        self.assertIn("1 already up to date", self.export(move)["params"]["message"])
        self.assertEqual(len(self.qbo_docs("Invoice")), count)

    def test_each_document_type(self):
        """Invoice, credit note, vendor bill and vendor refund become Invoice, CreditMemo, Bill, VendorCredit."""
        partner = self.make_partner("Four Types Inc")
        line = {"quantity": 2, "price_unit": 45.5}
        moves = (self.make_move("out_invoice", partner, [line]) | self.make_move("out_refund", partner, [line])
                 | self.make_move("in_invoice", partner, [line]) | self.make_move("in_refund", partner, [line]))
        self.assertEqual(self.export(moves)["params"]["message"], "4 exported")
        entities = [self.qbo_doc(move) and entity for move, entity in
                    zip(moves, ("Invoice", "CreditMemo", "Bill", "VendorCredit"))]
        self.assertEqual(entities, ["Invoice", "CreditMemo", "Bill", "VendorCredit"])
        for move in moves:
            self.assert_amounts(move)
        bill = self.qbo_doc(moves[2])
        self.assertEqual(bill["VendorRef"]["value"],
                         self.env["qbo.mapping"]._qbo_ids_for(partner, "Vendor", self.company)[partner.id])
        self.assertEqual(bill["DocNumber"], moves[2].name)

    def test_drafts_and_cancelled_are_skipped(self):
        """Only posted documents are exported; the others are counted as skipped."""
        partner = self.make_partner("Skip Count Ltd")
        posted = self.make_move(partner=partner, lines=[{"price_unit": 10}])
        draft = self.make_move(partner=partner, lines=[{"price_unit": 10}], post=False)
        cancelled = self.make_move(partner=partner, lines=[{"price_unit": 10}], post=False)
        cancelled.button_cancel()
        action = self.export(posted | draft | cancelled)
        self.assertEqual(action["params"]["message"], "1 exported, 2 skipped: not posted")
        self.assertEqual((draft.qbo_state, cancelled.qbo_state, posted.qbo_state),
                         ("not_exported", "not_exported", "exported"))

    def test_bulk_export_uses_batches(self):
        """35 invoices of new customers: a few requests (batches of 30), each customer created once."""
        partners = [self.make_partner(f"Bulk Customer {index}") for index in range(7)]
        moves = self.env["account.move"]
        for index in range(35):
            moves |= self.make_move(partner=partners[index % 7], lines=[{"quantity": index + 1, "price_unit": 1.25}])
        self.company.qbo_export_sync_limit = 100
        # the item and its income account already exist: only customers and invoices are sent here
        self.env["qbo.master.data.sync"]._qbo_resolve_product(self.company, self.service)
        self.company.with_user(self.qbo_manager).action_qbo_test_connection()  # settings read just now
        batches_before, others_before = self._request_count("batch"), self._request_count("other")
        self.assertEqual(self.export(moves)["params"]["message"], "35 exported")
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertEqual(len(set(moves.mapped("qbo_id"))), 35)
        for partner in partners:
            self.assertEqual(len(self.qbo_docs("Customer", DisplayName=partner.name)), 1)
        # the customers in one batch, the invoices in two (the company settings are fresh: not read again)
        self.assertEqual(self._request_count("batch") - batches_before, 3)
        # and a few reads: the lists to match customers and items against
        self.assertLessEqual(self._request_count("other") - others_before, 5)
        for move in moves:
            self.assert_amounts(move)

    def test_quickbooks_settings_read_again_when_old(self):
        """The QuickBooks company's settings read at connection serve exports for 5 minutes; then an export
        reads and stores them again, and Test connection refreshes them at once."""
        self.assertRecordValues(self.company, [{
            "qbo_country": "US", "qbo_home_currency": "USD", "qbo_uses_sales_tax": True,
            "qbo_multicurrency": True, "qbo_custom_txn_numbers": True}])
        partner = self.make_partner("Settings Age Co")
        sync = self.env["qbo.master.data.sync"]
        sync._qbo_resolve_partner(self.company, partner)
        sync._qbo_resolve_product(self.company, self.service)
        self.company.with_user(self.qbo_manager).action_qbo_test_connection()
        batches = self._request_count("batch")
        first = self.make_move(partner=partner, lines=[{"price_unit": 12}])
        self.export(first)
        self.assertEqual(self._request_count("batch"), batches, "fresh settings are not read again")
        self.assertEqual(self.qbo_doc(first)["DocNumber"], first.name)

        # In QuickBooks, the admin switches custom transaction numbers off; 6 minutes later...
        self.addCleanup(self.qbo_sandbox_company.configure, custom_txn_numbers=True)
        self.qbo_sandbox_company.configure(custom_txn_numbers=False)
        read_at = fields.Datetime.now() - timedelta(minutes=6)
        self.company._qbo_connection().settings_read_at = read_at
        second = self.make_move(partner=partner, lines=[{"price_unit": 12}])
        self.export(second)
        self.assertEqual(self._request_count("batch"), batches + 1)
        self.assertFalse(self.company.qbo_custom_txn_numbers)
        self.assertGreater(self.company.qbo_preferences_read_at, read_at)
        # QuickBooks numbered it itself; Odoo shows QuickBooks' number
        doc = self.qbo_doc(second)
        self.assertNotEqual(doc["DocNumber"], second.name)
        self.assertEqual(second.qbo_doc_number, doc["DocNumber"])

        self.qbo_sandbox_company.configure(custom_txn_numbers=True)
        self.company.with_user(self.qbo_manager).action_qbo_test_connection()
        self.assertTrue(self.company.qbo_custom_txn_numbers)

    def test_bookkeeping_values_of_each_document(self):
        """Outcomes are written per document in one go: each gets its own values, nothing else changes."""
        moves = self.make_move(lines=[{"price_unit": 7}]) | self.make_move(lines=[{"price_unit": 8}])
        when = fields.Datetime.now().replace(microsecond=0)
        self.env["account.move"]._qbo_write_each({
            moves[0].id: {"qbo_state": "exported", "qbo_id": "901", "qbo_amount_total": 7.0, "qbo_exported_at": when},
            moves[1].id: {"qbo_state": "error", "qbo_error": "refused", "qbo_retry_count": 2},
        })
        self.assertRecordValues(moves, [
            {"qbo_state": "exported", "qbo_id": "901", "qbo_amount_total": 7.0, "qbo_exported_at": when,
             "qbo_error": False, "amount_total": 7.0},
            {"qbo_state": "error", "qbo_id": False, "qbo_amount_total": 0.0, "qbo_exported_at": False,
             "qbo_error": "refused", "amount_total": 8.0},
        ])
        self.assertEqual(moves[1].qbo_retry_count, 2)
        with self.assertRaisesRegex(ValueError, "only writes QuickBooks fields"):
            self.env["account.move"]._qbo_write_each({moves[0].id: {"ref": "edited"}})

    def test_update_after_reset_to_draft(self):
        """A document reset, edited and posted again is 'changed' and its QBO copy is updated."""
        partner = self.make_partner("Update Flow Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 1, "price_unit": 50}])
        self.export(move)
        qbo_id, token = move.qbo_id, move.qbo_sync_token
        move.button_draft()
        self.assertEqual(move.qbo_state, "changed")
        move.invoice_line_ids[0].price_unit = 75
        move.action_post()
        self.assertEqual(move.qbo_state, "changed")
        self.assertEqual(self.export(move)["params"]["message"], "1 exported, 1 of them updated")
        doc = self.qbo_doc(move)
        self.assertEqual((doc["Id"], doc["TotalAmt"]), (qbo_id, Decimal("75.00")))
        self.assertEqual(int(doc["SyncToken"]), int(token) + 1)
        self.assertEqual(move.qbo_sync_token, doc["SyncToken"])
        self.assert_amounts(move)

    def test_edit_of_posted_document(self):
        """Changing the reference of an exported document marks it changed; the export updates the memo."""
        move = self.make_move(partner=self.make_partner("Memo Edit Co"), lines=[{"price_unit": 42}])
        self.export(move)
        move.ref = "PO 4711"
        self.assertEqual(move.qbo_state, "changed")
        self.assertIn("1 of them updated", self.export(move)["params"]["message"])
        self.assertEqual(self.qbo_doc(move)["PrivateNote"], "PO 4711")

    def test_update_with_stale_sync_token(self):
        """Someone edited the QBO copy meanwhile: the update re-reads it and applies once more."""
        partner = self.make_partner("Stale Token Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 2, "price_unit": 20}])
        self.export(move)
        self.client.update("Invoice", {"Id": move.qbo_id, "SyncToken": move.qbo_sync_token, "sparse": True,
                                       "PrivateNote": "edited in QuickBooks"})
        move.button_draft()
        move.invoice_line_ids[0].quantity = 3
        move.action_post()
        self.export(move)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        self.assertEqual(self.qbo_doc(move)["TotalAmt"], Decimal("60.00"))
        self.assertEqual(move.qbo_sync_token, "2")

    def test_cancel_voids_invoice(self):
        """Cancelling an exported invoice voids it in QuickBooks; a bill is deleted there."""
        partner = self.make_partner("Void Flow Co")
        invoice = self.make_move(partner=partner, lines=[{"price_unit": 30}])
        bill = self.make_move("in_invoice", partner, [{"price_unit": 40}])
        self.export(invoice | bill)
        bill_id = bill.qbo_id
        invoice.button_cancel()
        doc = self.qbo_doc(invoice)
        self.assertEqual((invoice.state, invoice.qbo_state), ("cancel", "voided"))
        self.assertEqual(doc["TotalAmt"], Decimal("0.00"))
        self.assertTrue(doc["PrivateNote"].startswith("Voided"))
        bill.button_cancel()
        self.assertEqual((bill.state, bill.qbo_state, bill.qbo_id), ("cancel", "voided", False))
        self.assertIsNone(self.qbo_sandbox_company.get("Bill", bill_id))

    def test_cancel_refused_when_paid_in_quickbooks(self):
        """An invoice with a payment in QuickBooks cannot be cancelled; nothing changes."""
        partner = self.make_partner("Paid There Co")
        invoice = self.make_move(partner=partner, lines=[{"price_unit": 80}])
        self.export(invoice)
        customer = self.qbo_doc(invoice)["CustomerRef"]["value"]
        self.client.create("Payment", {"CustomerRef": {"value": customer}, "TotalAmt": 80,
                                       "Line": [{"Amount": 80, "LinkedTxn": [{"TxnId": invoice.qbo_id,
                                                                              "TxnType": "Invoice"}]}]})
        with self.assertRaisesRegex(UserError, "payments applied in QuickBooks"):
            invoice.button_cancel()
        self.assertEqual(self.qbo_doc(invoice)["TotalAmt"], Decimal("80.00"))

    def test_preview_sends_nothing(self):
        """The preview shows the JSON with placeholders for what is not in QuickBooks, and creates nothing."""
        partner = self.make_partner("Preview Only Co")
        move = self.make_move(partner=partner, lines=[{"quantity": 4, "price_unit": 12.5,
                                                       "tax_ids": [Command.set(self.tax_ca.ids)]}])
        invoices = len(self.qbo_docs("Invoice"))
        action = move.with_user(self.qbo_manager).action_qbo_preview()
        wizard = self.env["qbo.preview.wizard"].browse(action["res_id"])
        self.assertIn('"Invoice"', wizard.payload_json)
        self.assertIn("<new Customer: Preview Only Co>", wizard.payload_json)
        self.assertIn('"TotalTax": 4', wizard.payload_json)
        self.assertEqual((wizard.expected_total, wizard.expected_tax), (54.0, 4.0))
        self.assertEqual(len(self.qbo_docs("Invoice")), invoices)
        self.assertFalse(self.qbo_docs("Customer", DisplayName="Preview Only Co"))
        self.assertEqual(move.qbo_state, "not_exported")

    def test_send_by_quickbooks_email(self):
        """With the setting on, QuickBooks emails the exported invoice to the partner's invoice address."""
        self.company.qbo_send_on_export = True
        partner = self.make_partner("Mail Me Co", email="billing@mailme.example")
        move = self.make_move(partner=partner, lines=[{"price_unit": 15}])
        action = self.export(move)
        self.assertEqual(action["params"]["message"], "1 exported, 1 emailed by QuickBooks")
        doc = self.qbo_doc(move)
        self.assertEqual(doc["EmailStatus"], "EmailSent")
        self.assertEqual(doc["BillEmail"]["Address"], "billing@mailme.example")
        self.assertTrue(move.qbo_sent_at)

    def test_not_connected(self):
        """Without a connection the export is refused with a clear message and nothing changes."""
        move = self.make_move(partner=self.make_partner("Offline Co"), lines=[{"price_unit": 5}])
        self.company._qbo_connection().write({"state": "disconnected"})
        self.company.invalidate_recordset(["qbo_state"])
        with self.assertRaisesRegex(UserError, "not connected"):
            self.export(move)
        self.assertEqual(move.qbo_state, "not_exported")

    def test_invoicing_user_cannot_export(self):
        """An invoicing user neither sees the action nor may run the export."""
        action = self.env.ref("quickbooks_connector.action_server_qbo_export_move")
        self.assertEqual(action.groups_id, self.env.ref("quickbooks_connector.group_qbo_manager"))
        self.assertEqual(action.binding_model_id.model, "account.move")
        bindings = self.env["ir.actions.actions"].with_user(self.invoice_user).get_bindings("account.move")
        self.assertNotIn(action.id, [binding["id"] for binding in bindings.get("action", [])])
        bindings = self.env["ir.actions.actions"].with_user(self.qbo_manager).get_bindings("account.move")
        self.assertIn(action.id, [binding["id"] for binding in bindings.get("action", [])])
        move = self.make_move(partner=self.make_partner("Forbidden Co"), lines=[{"price_unit": 5}])
        with self.assertRaises(AccessError):
            self.export(move, user=self.invoice_user)
        with self.assertRaises(AccessError):
            action.with_user(self.invoice_user).with_context(active_model="account.move", active_ids=move.ids,
                                                             active_id=move.id).run()
        self.assertEqual(move.qbo_state, "not_exported")

    def test_large_selection_runs_in_background(self):
        """Above the limit the export is queued; the cron exports it and the requester is notified."""
        self.company.qbo_export_sync_limit = 2
        partner = self.make_partner("Background Co")
        moves = self.env["account.move"]
        for price in (10, 20, 30):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": price}])
        action = self.export(moves)
        self.assertIn("3 documents queued", action["params"]["message"])
        self.assertEqual(set(moves.mapped("qbo_state")), {"to_send"})
        self.assertEqual(moves.qbo_export_requested_by, self.qbo_manager)
        self.env["qbo.export.engine"]._cron_qbo_export_all()
        self.assertEqual(set(moves.mapped("qbo_state")), {"exported"})
        self.assertFalse(moves.qbo_export_requested_by)
        # the notification waits for the commit in the bus queue of this transaction
        channel = f'"res.partner",{self.qbo_manager.partner_id.id}]'
        notifications = [value["message"] for value in self.env.cr.precommit.data.get("bus.bus.values", [])
                         if value["channel"].endswith(channel)]
        self.assertEqual(len(notifications), 2)
        self.assertIn("QuickBooks export finished: 3 exported, 0 failed.", notifications[-1])
        # the requester's open lists and forms reload, showing the new states
        self.assertEqual(json.loads(notifications[0]), {"type": "quickbooks_connector/refresh",
                                                        "payload": {"model": "account.move", "ids": moves.ids}})

    def test_bulk_selection_asks_first(self):
        """Export to QuickBooks on more than 50 documents asks first, with their count; nothing is queued
        until confirmed; 50 or fewer are exported at once."""
        self.company.qbo_export_sync_limit = 2
        partner = self.make_partner("Bulk Question Co")
        moves = self.env["account.move"]
        for index in range(51):
            moves |= self.make_move(partner=partner, lines=[{"price_unit": 10 + index}])
        action = self.env.ref("quickbooks_connector.action_server_qbo_export_move").with_user(self.qbo_manager)

        def run(selection):
            return action.with_context(active_model="account.move", active_ids=selection.ids).run()

        question = run(moves)
        self.assertEqual((question["res_model"], question["target"]), ("qbo.bulk.confirm", "new"))
        confirmation = self.env["qbo.bulk.confirm"].with_user(self.qbo_manager).browse(question["res_id"])
        self.assertIn("Export 51 documents to QuickBooks?", confirmation.message)
        self.assertEqual(set(moves.mapped("qbo_state")), {"not_exported"})
        done = confirmation.action_confirm()
        self.assertIn("51 documents queued", done["params"]["message"])
        self.assertEqual(set(moves.mapped("qbo_state")), {"to_send"})
        # Someone else cannot confirm it.
        with self.assertRaises(AccessError):
            confirmation.with_user(self.invoice_user).action_confirm()
        self.assertEqual(run(moves[:50])["tag"], "display_notification")

    def test_export_on_post(self):
        """With the setting on, posting queues the document and the cron exports it."""
        self.company.qbo_export_on_post = True
        move = self.make_move(partner=self.make_partner("Auto Post Co"), lines=[{"price_unit": 99}])
        self.assertEqual(move.qbo_state, "to_send")
        self.env["qbo.export.engine"]._cron_qbo_export_all()
        self.assertEqual(move.qbo_state, "exported")
        self.assert_amounts(move)

    def test_permanent_error_then_retry(self):
        """A refused document shows the error; once fixed, Retry creates it (a new request, not a replay)."""
        self.company.qbo_default_product_id = False
        move = self.make_move(partner=self.make_partner("Fix Me Co"),
                              lines=[{"product_id": False, "name": "loose line", "price_unit": 12}])
        action = self.export(move)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(move.qbo_state, "error")
        self.assertIn("no product", move.qbo_error)
        self.company.qbo_default_product_id = self.service
        move.with_user(self.qbo_manager).action_qbo_retry()
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        self.assertEqual(move.qbo_export_generation, 1)

    # ---- helpers ----

    def _request_count(self, kind):
        """How many requests of ``kind`` (batch, other) the sandbox answered for the company's realm."""
        return limits.for_state(self.sandbox).count(self.realm_id, kind)
