import logging
from datetime import timedelta

from intuitlib.exceptions import AuthClientError
from markupsafe import Markup
from requests import RequestException

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..const import ACCESS_TOKEN_LIFETIME, REFRESH_LOCK_TIMEOUT, REFRESH_MARGIN, REFRESH_TOKEN_LIFETIME

_logger = logging.getLogger(__name__)

CONNECTION_STATES = [
    ("disconnected", "Disconnected"),
    ("connected", "Connected"),
    ("reconnect", "Reconnect needed"),
]


class QboToken(models.Model):
    """The OAuth tokens of one company's QuickBooks connection.

    Kept apart from ``res.company`` so that a refresh commits in its own short transaction, under a
    row lock on this table only: a rolled-back business transaction never loses a rotated refresh
    token, and a refresh never makes a sync transaction fail on ``res_company``. Readable by system
    administrators only.
    """

    _name = "qbo.token"
    _description = "QuickBooks Online Connection Tokens"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    state = fields.Selection(CONNECTION_STATES, required=True, default="disconnected")
    access_token = fields.Char(groups="base.group_system", copy=False)
    access_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    refresh_token = fields.Char(groups="base.group_system", copy=False)
    refresh_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    oauth_nonce = fields.Char(
        groups="base.group_system", copy=False,
        help="Nonce of the pending Connect request; cleared when its callback arrives (single use).",
    )
    last_error = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("company_uniq", "UNIQUE(company_id)", "A company has one QuickBooks connection."),
    ]

    # === BUSINESS METHODS === #

    def _is_fresh(self):
        """Whether the access token is valid for more than the refresh margin."""
        self.ensure_one()
        limit = fields.Datetime.now() + timedelta(seconds=REFRESH_MARGIN)
        return bool(self.access_token and self.access_token_expires_at and self.access_token_expires_at > limit)

    def _token_values(self, auth_client):
        """Return the values to store from an ``AuthClient`` that just received tokens."""
        now = fields.Datetime.now()
        return {
            "state": "connected",
            "access_token": auth_client.access_token,
            "access_token_expires_at": now + timedelta(seconds=int(auth_client.expires_in or ACCESS_TOKEN_LIFETIME)),
            "refresh_token": auth_client.refresh_token,
            "refresh_token_expires_at": now + timedelta(
                seconds=int(auth_client.x_refresh_token_expires_in or REFRESH_TOKEN_LIFETIME)),
            "last_error": False,
        }

    def _clear_values(self, state):
        return {
            "state": state,
            "access_token": False,
            "access_token_expires_at": False,
            "refresh_token": False,
            "refresh_token_expires_at": False,
        }

    def _refresh_locked(self, stale_access_token=None):
        """Refresh the tokens under a row lock, in the current transaction (which the caller commits).

        The row is locked, then re-read: when another worker refreshed meanwhile, its access token
        is used and the refresh token is not spent again.

        :param str stale_access_token: a token QuickBooks just refused (401): refresh even if not expired
        :return: ``{"access_token", "expires_at"}``, or ``{"error": message}`` when the connection
            needs a reconnect (the state is then stored and the managers are told)
        :rtype: dict
        :raise UserError: when the OAuth server cannot be reached or refuses for another reason
        """
        self.ensure_one()
        cr = self.env.cr
        cr.execute("SET LOCAL lock_timeout = %s", [f"{REFRESH_LOCK_TIMEOUT}s"])
        # A lock wait that ends in a serialization failure is expected (the caller retries): not logged.
        cr.execute("SELECT id FROM qbo_token WHERE id = %s FOR NO KEY UPDATE", [self.id], log_exceptions=False)
        self.invalidate_recordset()
        if self.state != "connected" or not self.refresh_token:
            return {"error": self.company_id._qbo_not_connected_message()}
        if self._is_fresh() and self.access_token != stale_access_token:
            return {"access_token": self.access_token, "expires_at": self.access_token_expires_at}
        auth_client = self.company_id._qbo_auth_client()
        try:
            auth_client.refresh(refresh_token=self.refresh_token)
        except AuthClientError as error:
            reason = _oauth_error_code(error)
            _logger.info("QuickBooks: token refresh for company %s refused: HTTP %s %s",
                         self.company_id.id, error.status_code, reason)
            if reason == "invalid_grant":
                return {"error": self._set_reconnect_needed()}
            raise UserError(_("QuickBooks: the connection could not be refreshed (HTTP %(status)s %(reason)s).",
                              status=error.status_code, reason=reason or "")) from None
        except RequestException as error:
            _logger.info("QuickBooks: token refresh for company %s failed: %s",
                         self.company_id.id, type(error).__name__)
            raise UserError(_("QuickBooks: the authorization server could not be reached (%s).",
                              type(error).__name__)) from None
        values = self._token_values(auth_client)
        self.write(values)
        _logger.info("QuickBooks: access token of company %s refreshed", self.company_id.id)
        return {"access_token": values["access_token"], "expires_at": values["access_token_expires_at"]}

    def _set_reconnect_needed(self):
        """Intuit refused the refresh token: forget the tokens, mark the connection, tell the managers.

        :return: the message every QuickBooks call of the company fails with until it is reconnected
        :rtype: str
        """
        company = self.company_id
        self.write({
            **self._clear_values("reconnect"),
            "last_error": _("Intuit refused to renew the authorization: it was revoked or has expired."),
        })
        managers = self.env.ref("quickbooks_connector.group_qbo_manager").users.filtered(
            lambda user: not user.share and company in user.company_ids
        )
        if managers:
            company.partner_id.message_notify(
                partner_ids=managers.partner_id.ids,
                subject=_("QuickBooks: reconnect needed for %s", company.name),
                body=Markup("<p>%s</p><p>%s</p>") % (
                    _("QuickBooks Online refused to renew the connection of %s: it was revoked or has expired. "
                      "Exports and syncs of this company are stopped.", company.name),
                    _("A system administrator must reconnect it: Settings > Companies > %s > QuickBooks > "
                      "Reconnect.", company.name),
                ),
            )
        return company._qbo_not_connected_message()


def _oauth_error_code(error):
    """Return the OAuth ``error`` of a token-endpoint failure (e.g. ``invalid_grant``), or None."""
    try:
        return error.response.json().get("error")
    except (ValueError, AttributeError):
        return None
