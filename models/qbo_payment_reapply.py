import hashlib
import json
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError
from ..qbo_payload.account_payment import (
    PaymentPayloadError,
    amounts_differ,
    build_payment_payload,
    cents,
    parse_payment,
    snapshot,
)


class QboPaymentSync(models.AbstractModel):
    """Payments sent from Odoo and reconciled otherwise in Odoo afterwards (unreconciled, or matched
    with another invoice): their QuickBooks copy is applied the same way."""

    _inherit = "qbo.payment.sync"

    @api.model
    def _qbo_reapply(self, run, payment):
        """Update the QuickBooks copy of ``payment`` to pay what the payment settles in Odoo now.

        A customer payment that settles nothing any more stays in QuickBooks as an unapplied credit, as
        in Odoo; a bill payment must pay a bill there. A change made in QuickBooks and not applied yet
        is never overwritten: the update waits for it.
        """
        entity = payment.qbo_entity
        if payment.qbo_remote_change:
            self._qbo_push_failure(run, payment, entity, UserError(_(
                "QuickBooks changed this payment too: apply or review that change first")), operation="update")
            return
        documents = self._qbo_settled_documents(payment)
        try:
            values = self._qbo_push_values(run, payment, entity, documents)
            allocations = sorted([item["type"], item["id"], str(cents(item["amount"]))]
                                 for item in values["allocations"])
            if allocations == sorted((payment.qbo_snapshot or {}).get("allocations") or []):
                self._qbo_save(run, payment, {"qbo_state": "synced", "qbo_error": False})
                return
            payload = dict(build_payment_payload(values, unapplied=True), Id=payment.qbo_id,
                           SyncToken=payment.qbo_sync_token)
        except (UserError, PaymentPayloadError) as error:
            self._qbo_push_failure(run, payment, entity, error, operation="update")
            return
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:10]
        requestid = (f"{self._qbo_requestid_prefix(run.company)}-p{payment.id}-u{payload['SyncToken']}-{digest}")
        start = time.monotonic()
        try:
            doc = run.client.update(entity, payload, requestid=requestid)
        except QboApiError as error:
            self._qbo_push_failure(run, payment, entity, error, requestid, time.monotonic() - start, operation="update")
            return
        parsed = parse_payment(entity, doc)
        parsed["rate"] = self._qbo_usable_rate(run, parsed)
        difference = amounts_differ(doc, values)
        message = difference and _("QuickBooks stored other amounts than sent: %s", "; ".join(
            f"{what}: {expected} / {stored}" for what, expected, stored in difference))
        record = {"qbo_sync_token": parsed["sync_token"], "qbo_snapshot": snapshot(parsed),
                  "qbo_synced_at": fields.Datetime.now(), "qbo_retry_count": 0, "qbo_next_attempt": False,
                  "qbo_state": "error" if difference else "synced", "qbo_error": message or False}
        if not self._qbo_save(run, payment, record):
            return
        if difference:
            run.report.errors.append((payment.name, message))
        else:
            run.report.pushed += 1
        run.logs.append(self._qbo_log_values(run.company, payment, "export", "update", entity,
                                             "error" if difference else "success", message, requestid=requestid,
                                             duration=time.monotonic() - start))
        paid = ", ".join(f"{move.name} ({cents(amount)})" for move, amount in documents.items()) or _("nothing")
        body = _("Applied in QuickBooks as in Odoo (%(entity)s %(id)s): it pays %(paid)s.", entity=entity,
                 id=payment.qbo_id, paid=paid)
        payment._message_log(body=f"{body} {message}" if message else body)
