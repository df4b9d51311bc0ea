import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError

NOT_FOUND = "610"


class QboPaymentSync(models.AbstractModel):
    """Payments sent from Odoo and then cancelled or reset to draft in Odoo: voided in QuickBooks, so
    the documents they paid are open again on both sides."""

    _inherit = "qbo.payment.sync"

    @api.model
    def _qbo_void_payments(self, payments):
        """Void the QuickBooks copies of ``payments`` (sent from Odoo) and unlink them from it.

        A payment posted again later is sent as a new QuickBooks payment (a new export generation, so a
        new requestid); the voided one stays in QuickBooks, as its audit trail wants.

        :raise UserError: if QuickBooks cannot be reached or refuses: the caller's cancellation is then
            rolled back with the rest of the transaction
        """
        for company, company_payments in payments.grouped("company_id").items():
            client = company._qbo_get_client()
            logs = [self._qbo_void_one(client, payment) for payment in company_payments]
            self.env["qbo.sync.log"]._qbo_log(logs)

    @api.model
    def _qbo_void_one(self, client, payment):
        """Void one payment's QuickBooks copy; return the values of its sync log."""
        entity, qbo_id = payment.qbo_entity, payment.qbo_id
        requestid = f"{self._qbo_requestid_prefix(payment.company_id)}-p{payment.id}-v{payment.qbo_export_generation}"
        start = time.monotonic()
        try:
            current = client.read(entity, qbo_id)
            client.void(entity, {"Id": current["Id"], "SyncToken": current["SyncToken"]}, requestid=requestid)
            operation = "void"
            note = _("Voided in QuickBooks (%(entity)s %(id)s): the documents it paid are open again there.",
                     entity=entity, id=qbo_id)
        except QboApiError as error:
            if error.code != NOT_FOUND:
                raise UserError(_("QuickBooks: %(payment)s could not be voided in QuickBooks (%(entity)s %(id)s), so "
                                  "it is not cancelled here either: %(error)s", payment=payment.display_name,
                                  entity=entity, id=qbo_id, error=error)) from None
            operation = "delete"
            note = _("Already deleted in QuickBooks (%(entity)s %(id)s).", entity=entity, id=qbo_id)
        payment.write({
            "qbo_id": False, "qbo_sync_token": False, "qbo_snapshot": False, "qbo_state": "not_synced",
            "qbo_error": False, "qbo_synced_at": fields.Datetime.now(), "qbo_retry_count": 0,
            "qbo_next_attempt": False, "qbo_export_generation": payment.qbo_export_generation + 1,
            "qbo_remote_change": False, "qbo_remote_difference": False, "qbo_remote_snapshot": False,
            "qbo_remote_sync_token": False,
        })
        self._qbo_close_review(payment)
        payment._message_log(body=note)
        return self._qbo_log_values(payment.company_id, payment, "export", operation, entity, "success", False,
                                    qbo_id=qbo_id, requestid=requestid, duration=time.monotonic() - start)
