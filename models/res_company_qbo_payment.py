import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..qbo_client import QboApiError

_logger = logging.getLogger(__name__)

# Payments read per company and entity in one call of the cron or of the button.
CRON_BATCH_SIZE = 100
MANUAL_BATCH_SIZE = 300


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_push_payments = fields.Boolean(
        string="Send payments to QuickBooks", default=True,
        help="A payment registered in Odoo on an invoice or bill exported to QuickBooks is created there too, "
             "linked to that document. Payments imported from QuickBooks are never sent back.",
    )
    qbo_payment_journal_id = fields.Many2one(
        "account.journal", string="Journal for QuickBooks Payments",
        domain="[('type', 'in', ('bank', 'cash', 'credit')), ('company_id', '=', id)]",
        help="Journal of the payments imported from QuickBooks whose deposit or bank account is the default "
             "account of no journal (e.g. Undeposited Funds). Empty: the first bank journal.",
    )
    qbo_payment_cursor = fields.Datetime(
        string="Customer Payments Read Until", copy=False, readonly=True,
        help="QuickBooks time of the last complete read of customer payments; the next read starts a little "
             "before it.",
    )
    qbo_bill_payment_cursor = fields.Datetime(
        string="Bill Payments Read Until", copy=False, readonly=True,
        help="QuickBooks time of the last complete read of bill payments; the next read starts a little "
             "before it.",
    )
    qbo_payment_retry = fields.Json(
        string="QuickBooks Payments to Read Again", copy=False, readonly=True,
        help="Ids of QuickBooks payments whose import failed, per entity: the next runs read them again.",
    )

    # === ACTION METHODS === #

    def action_qbo_sync_payments(self):
        """Sync Customer Payment: send the queued Odoo payments, then import the QuickBooks payments
        changed since the last run, and tell what was done.

        :return: a ``display_notification`` action, e.g. "3 payments imported, 1 skipped: invoice not exported"
        :raise AccessError: if the user is not a QuickBooks manager
        :raise UserError: if the company is not connected to QuickBooks
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_manager()
        report = self.env["qbo.payment.sync"].sudo()._qbo_sync(self.sudo(), MANUAL_BATCH_SIZE)
        if report.remaining:
            self.env.ref("quickbooks_connector.ir_cron_qbo_pull_payments")._trigger()
        return self._qbo_notification(report.message(), report.notification_type())

    # === CRON === #

    @api.model
    def _cron_qbo_pull_payments(self):
        """For each connected company: send the queued Odoo payments and import one bounded batch of
        QuickBooks payments; the runner calls again while some remain."""
        sync = self.env["qbo.payment.sync"]
        done = remaining = 0
        for company in self.search([("qbo_state", "=", "connected")]):
            try:
                report = sync._qbo_sync(company, CRON_BATCH_SIZE)
            except (UserError, QboApiError) as error:
                _logger.warning("QuickBooks: payment sync of company %s failed: %s", company.id, error)
                sync._qbo_log_failure(company, error)
                continue
            done += report.work
            remaining += report.remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    # === BUSINESS METHODS === #

    def _qbo_on_realm_change(self, old_realm_id, new_realm_id):
        # EXTENDS quickbooks_connector: the cursors of another realm mean nothing in the new one.
        super()._qbo_on_realm_change(old_realm_id, new_realm_id)
        self.sudo().write({"qbo_payment_cursor": False, "qbo_bill_payment_cursor": False,
                           "qbo_payment_retry": False})

    def _qbo_payment_journal(self):
        """Return the journal of imported payments whose QuickBooks account is no journal's account."""
        self.ensure_one()
        journal = self.qbo_payment_journal_id or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.id)], limit=1)
        if not journal:
            raise UserError(_("QuickBooks: %s has no bank journal for the payments imported from QuickBooks; choose "
                              "one in the QuickBooks settings.", self.name))
        return journal
