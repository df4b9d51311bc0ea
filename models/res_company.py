import base64
import json
import logging
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import psycopg2.errors
from intuitlib.exceptions import AuthClientError
from requests import RequestException

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from ..const import (
    API_URLS,
    CALLBACK_ROUTE,
    DISCOVERY_URLS,
    OAUTH_HMAC_SCOPE,
    OAUTH_STATE_LIFETIME,
    REFRESH_MARGIN,
    SCOPES,
)
from ..qbo_client import QboApiError, QboAuthClient, QboClient
from ..qbo_pacer import pacer_for
from .qbo_token import CONNECTION_STATES

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "quickbooks_connector.group_qbo_manager"
PACING_PARAMETER = "quickbooks_connector.pace_requests"
# Where the OAuth callback sends the administrator back, by origin of the Connect click.
RETURN_URLS = {
    "company": "/odoo/res.company/{company_id}",
    "settings": "/odoo/action-account.action_account_config",
}


class QboOAuthRefused(Exception):
    """The OAuth callback cannot be accepted; ``message`` is shown to the user with HTTP ``status``."""

    def __init__(self, message, status=400, company=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.company = company


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_client_id = fields.Char(string="QuickBooks Client ID", copy=False)
    qbo_client_secret = fields.Char(string="QuickBooks Client Secret", groups="base.group_system", copy=False)
    qbo_environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production"), ("custom", "Custom discovery URL")],
        string="QuickBooks Environment", required=True, default="sandbox",
    )
    qbo_discovery_url = fields.Char(
        string="QuickBooks Discovery URL",
        help="OpenID discovery document of the authorization server, e.g. the local sandbox's "
             "http://127.0.0.1:8099/.well-known/openid_configuration",
    )
    qbo_api_url = fields.Char(
        string="QuickBooks API URL", compute="_compute_qbo_api_url", store=True, readonly=False,
        help="Host of the Accounting API; for a custom discovery URL, the same scheme, host and port by default.",
    )
    qbo_redirect_uri = fields.Char(
        string="QuickBooks Redirect URI", compute="_compute_qbo_redirect_uri",
        help="Register this exact URI in the Intuit app's Keys & credentials.",
    )
    qbo_realm_id = fields.Char(string="QuickBooks Realm ID", readonly=True, copy=False)
    qbo_company_name = fields.Char(string="QuickBooks Company", readonly=True, copy=False)
    qbo_connected_at = fields.Datetime(string="Connected to QuickBooks on", readonly=True, copy=False)
    qbo_state = fields.Selection(
        CONNECTION_STATES, string="QuickBooks Connection", compute="_compute_qbo_connection",
        search="_search_qbo_state",
    )
    qbo_last_error = fields.Char(string="QuickBooks Connection Error", compute="_compute_qbo_connection")
    qbo_allow_realm_change = fields.Boolean(
        string="Allow another QuickBooks company", groups="base.group_system", copy=False,
        help="The next connection may link a QuickBooks company other than the one this company was "
             "synchronized with. The QuickBooks ids recorded so far would no longer be valid.",
    )
    qbo_token_ids = fields.One2many("qbo.token", "company_id", groups="base.group_system")

    # === COMPUTE METHODS === #

    @api.depends("qbo_environment", "qbo_discovery_url")
    def _compute_qbo_api_url(self):
        for company in self:
            if company.qbo_environment == "custom":
                parts = urlsplit(company.qbo_discovery_url or "")
                company.qbo_api_url = parts.scheme and parts.netloc and f"{parts.scheme}://{parts.netloc}"
            else:
                company.qbo_api_url = API_URLS.get(company.qbo_environment)

    def _compute_qbo_redirect_uri(self):
        for company in self:
            company.qbo_redirect_uri = company.get_base_url().rstrip("/") + CALLBACK_ROUTE

    @api.depends("qbo_token_ids.state", "qbo_token_ids.last_error")
    def _compute_qbo_connection(self):
        for company in self:
            token = company.sudo().qbo_token_ids[:1]
            company.qbo_state = token.state or "disconnected"
            company.qbo_last_error = token.last_error

    def _search_qbo_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("QuickBooks: unsupported search on the connection state."))
        wanted = {value} if not isinstance(value, (list, tuple, set)) else set(value)
        wanted = {state or "disconnected" for state in wanted}
        live = self.env["qbo.token"].sudo().search_read([("state", "!=", "disconnected")], ["company_id", "state"])
        live_states = {row["company_id"][0]: row["state"] for row in live}
        if "disconnected" in wanted:
            domain = [("id", "not in", [cid for cid, state in live_states.items() if state not in wanted])]
        else:
            domain = [("id", "in", [cid for cid, state in live_states.items() if state in wanted])]
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        return domain

    # === ACTION METHODS === #

    def action_qbo_connect(self):
        """Send the administrator to Intuit's consent page for this company.

        :return: an ``ir.actions.act_url`` to the authorization endpoint, with a signed single-use state
        :rtype: dict
        :raise AccessError: if the user is not a system administrator
        :raise UserError: if the credentials are incomplete or the discovery document is unreachable
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_admin()
        auth_client = self._qbo_auth_client()
        state = self._qbo_make_oauth_state(self.env.context.get("qbo_oauth_origin", "company"))
        return {
            "type": "ir.actions.act_url",
            "url": auth_client.get_authorization_url(list(SCOPES), state_token=state),
            "target": "self",
        }

    def action_qbo_disconnect(self):
        """Revoke the authorization at Intuit and forget the tokens (the realm id is kept).

        :return: a ``display_notification`` action
        :raise AccessError: if the user is not a system administrator
        """
        self._qbo_check_admin()
        not_revoked = self.browse()
        for company in self:
            token = company._qbo_token()
            presented = token.refresh_token or token.access_token
            if presented:
                try:
                    company._qbo_auth_client().revoke(token=presented)
                except (AuthClientError, RequestException, UserError) as error:
                    _logger.info("QuickBooks: revoking the authorization of company %s failed: %s",
                                 company.id, type(error).__name__)
                    not_revoked |= company
            token.write({**token._clear_values("disconnected"), "oauth_nonce": False, "last_error": False})
            _logger.info("QuickBooks: company %s disconnected", company.id)
        if not_revoked:
            message = _("Disconnected in Odoo, but QuickBooks could not be told for %s: remove the app from "
                        "the QuickBooks company's connected apps.", ", ".join(not_revoked.mapped("name")))
            return self._qbo_notification(message, "warning")
        return self._qbo_notification(_("Disconnected from QuickBooks Online."), "success")

    def action_qbo_test_connection(self):
        """Read the QuickBooks company information and show its name.

        :return: a ``display_notification`` action
        :raise AccessError: if the user is not a QuickBooks manager
        :raise UserError: if the company is not connected or QuickBooks refuses
        Note: self.ensure_one()
        """
        self.ensure_one()
        self._qbo_check_manager()
        try:
            values = self._qbo_read_company(self._qbo_get_client())
        except QboApiError as error:
            raise UserError(_("QuickBooks: the connection test failed: %s", error)) from None
        name = values["qbo_company_name"]
        if not name:
            del values["qbo_company_name"]  # keep the name known so far
        self.sudo().write(values)
        return self._qbo_notification(
            _("Connected to %(name)s (realm %(realm)s).", name=name, realm=self.qbo_realm_id), "success")

    # === BUSINESS METHODS === #

    def _qbo_get_client(self):
        """Return a ready ``QboClient`` for this company's realm; every QuickBooks call goes through it.

        Access tokens are refreshed before they expire and once after a 401, each refresh committed
        at once in its own transaction (see ``qbo.token``). Calls are paced within Intuit's rate
        limits (``qbo_pacer``) unless the system parameter ``quickbooks_connector.pace_requests`` is
        ``False`` (the test suite's setting: its sandbox has no limits on).

        :rtype: QboClient
        :raise UserError: if the company is not connected or must be reconnected
        Note: self.ensure_one()
        """
        self.ensure_one()
        if self.qbo_state != "connected":
            raise UserError(self._qbo_not_connected_message())
        current = {}

        def get_access_token():
            limit = fields.Datetime.now() + timedelta(seconds=REFRESH_MARGIN)
            if not current or current["expires_at"] <= limit:
                current.update(self._qbo_access_token())
            return current["access_token"]

        def on_unauthorized():
            current.update(self._qbo_access_token(stale_access_token=current.get("access_token")))

        return QboClient(self.qbo_api_url, self.qbo_realm_id, get_access_token, on_unauthorized=on_unauthorized,
                         pacer=self._qbo_pacer(self.qbo_realm_id))

    def _qbo_pacer(self, realm_id):
        """This process's pacer of the realm, or None when the system parameter turns pacing off."""
        if self.env["ir.config_parameter"].sudo().get_param(PACING_PARAMETER, "True") == "False":
            return None
        return pacer_for(self.qbo_api_url, realm_id)

    def _qbo_access_token(self, stale_access_token=None):
        """Return a valid access token, refreshing it in a separate committed transaction when needed.

        The business transaction may be rolled back later: the rotated refresh token must survive
        it. Two workers refreshing at once are serialized by the row lock of ``qbo.token``; the one
        that waited uses the token the other obtained.

        :param str stale_access_token: the token QuickBooks just refused with a 401
        :return: ``{"access_token": str, "expires_at": datetime}``
        :raise UserError: if a reconnect is needed or the refresh failed
        """
        self.ensure_one()
        token = self._qbo_token()
        if token.state == "connected" and token._is_fresh() and not stale_access_token:
            return {"access_token": token.access_token, "expires_at": token.access_token_expires_at}
        result = None
        for attempt in range(3):
            try:
                with self.env.registry.cursor() as cr:
                    refresh_env = token.env(cr=cr)
                    result = token.with_env(refresh_env)._refresh_locked(stale_access_token)
                    # Flush through a live environment: the commit only flushes environments still referenced.
                    refresh_env.flush_all()
                break
            except psycopg2.errors.SerializationFailure:
                # Another worker committed a refresh after this transaction's snapshot: look again.
                if attempt == 2:
                    raise
            except psycopg2.errors.LockNotAvailable:
                raise UserError(_("QuickBooks: another process is renewing the connection; try again.")) from None
        # The refresh committed elsewhere: this transaction's cached view of the tokens is stale.
        token.invalidate_recordset()
        self.invalidate_recordset(["qbo_state", "qbo_last_error"])
        if "error" in result:
            raise UserError(result["error"])
        return result

    def _qbo_token(self):
        """Return this company's ``qbo.token`` (as superuser), created on first use."""
        self.ensure_one()
        token = self.env["qbo.token"].sudo().search([("company_id", "=", self.id)])
        return token or self.env["qbo.token"].sudo().create({"company_id": self.id})

    def _qbo_not_connected_message(self):
        self.ensure_one()
        if self.qbo_state == "reconnect":
            return _("QuickBooks: the connection of %(company)s must be reconnected by a system administrator. "
                     "%(error)s", company=self.name, error=self.qbo_last_error or "")
        return _("QuickBooks: %s is not connected to QuickBooks Online.", self.name)

    def _qbo_discovery_url(self):
        self.ensure_one()
        if self.qbo_environment == "custom":
            if not self.qbo_discovery_url:
                raise UserError(_("QuickBooks: set the discovery URL of the custom environment."))
            return self.qbo_discovery_url
        return DISCOVERY_URLS[self.qbo_environment]

    def _qbo_auth_client(self):
        """Return intuit-oauth's ``AuthClient`` for this company's Intuit app.

        :raise UserError: if the credentials are incomplete or the discovery document is unreachable
        """
        self.ensure_one()
        company = self.sudo()
        if not company.qbo_client_id or not company.qbo_client_secret:
            raise UserError(_("QuickBooks: enter the Client ID and Client Secret of the Intuit app first."))
        discovery_url = company._qbo_discovery_url()
        try:
            return QboAuthClient(company.qbo_client_id, company.qbo_client_secret, company.qbo_redirect_uri,
                                 discovery_url)
        except (AuthClientError, RequestException, ValueError, KeyError) as error:
            _logger.info("QuickBooks: discovery document %s unreadable: %s", discovery_url, type(error).__name__)
            raise UserError(_("QuickBooks: the discovery document %s could not be read.", discovery_url)) from None

    def _qbo_on_realm_change(self, old_realm_id, new_realm_id):
        """Hook called when an administrator connects this company to another QuickBooks company.

        :param str old_realm_id: the realm the records were synchronized with
        :param str new_realm_id: the newly connected realm
        """
        self.ensure_one()

    # === OAUTH METHODS === #

    def _qbo_make_oauth_state(self, origin):
        """Return a signed OAuth state bound to this company and user, valid 10 minutes, single use."""
        self.ensure_one()
        nonce = secrets.token_urlsafe(18)
        payload = {
            "c": self.id, "u": self.env.uid, "e": int(time.time()) + OAUTH_STATE_LIFETIME, "n": nonce,
            "o": origin if origin in RETURN_URLS else "company",
        }
        encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        self._qbo_token().oauth_nonce = nonce
        return f"{encoded}.{hmac(self.env(su=True), OAUTH_HMAC_SCOPE, encoded)}"

    @api.model
    def _qbo_read_oauth_state(self, state):
        """Check a state coming back from Intuit and return ``(company, payload)``.

        :raise QboOAuthRefused: if the state is missing, forged, expired, someone else's or already used
        """
        encoded, _dot, signature = (state or "").partition(".")
        if not encoded or not signature:
            raise QboOAuthRefused(_("The answer from QuickBooks carries no valid state."), 400)
        if not consteq(signature, hmac(self.env(su=True), OAUTH_HMAC_SCOPE, encoded)):
            _logger.warning("QuickBooks: OAuth callback with a forged state refused")
            raise QboOAuthRefused(_("The answer from QuickBooks does not match a request of this database."), 403)
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        if payload["u"] != self.env.uid:
            raise QboOAuthRefused(_("This connection was started by another user; start it again yourself."), 403)
        company = self.browse(payload["c"]).exists()
        if not company:
            raise QboOAuthRefused(_("The company of this connection request no longer exists."), 400)
        if payload["e"] < time.time():
            raise QboOAuthRefused(
                _("This connection request expired (it is valid 10 minutes); click Connect again."), 400, company)
        token = company._qbo_token()
        if not token.oauth_nonce or not consteq(token.oauth_nonce, payload["n"]):
            raise QboOAuthRefused(
                _("This connection request was already used or replaced by a newer one; click Connect again."),
                403, company)
        return company, payload

    @api.model
    def _qbo_oauth_callback(self, state, code=None, realm_id=None, error=None):
        """Finish the OAuth flow: check the state, exchange the code, store the tokens and the realm.

        :param str state: the state sent to Intuit
        :param str code: the authorization code
        :param str realm_id: the QuickBooks company the user picked
        :param str error: Intuit's error (``access_denied`` when the user declined)
        :return: ``(company, return_url)``
        :raise QboOAuthRefused: on any refusal; nothing is stored but the consumption of the state
        """
        if not self.env.user.has_group("base.group_system"):
            raise QboOAuthRefused(_("Only a system administrator can connect a company to QuickBooks."), 403)
        company, payload = self._qbo_read_oauth_state(state)
        token = company._qbo_token()
        token.oauth_nonce = False
        if error:
            message = _("The connection to QuickBooks was declined.") if error == "access_denied" else _(
                "QuickBooks refused the connection (%s).", error)
            raise QboOAuthRefused(message, 400, company)
        if not code or not realm_id:
            raise QboOAuthRefused(_("The answer from QuickBooks carries no authorization code or company."), 400,
                                  company)
        company._qbo_check_realm(realm_id)
        auth_client = company._qbo_auth_client()
        try:
            auth_client.get_bearer_token(code, realm_id=realm_id)
        except (AuthClientError, RequestException) as failure:
            status = getattr(failure, "status_code", None)
            _logger.info("QuickBooks: authorization code exchange for company %s failed: %s %s",
                         company.id, type(failure).__name__, status or "")
            raise QboOAuthRefused(_("QuickBooks did not accept the authorization code (%s); click Connect again.",
                                    status or type(failure).__name__), 400, company) from None
        read = company._qbo_read_company_with(auth_client, realm_id)
        old_realm_id = company.qbo_realm_id
        token.write(token._token_values(auth_client))
        company.sudo().write({
            **read,
            "qbo_realm_id": realm_id,
            "qbo_connected_at": fields.Datetime.now(),
            "qbo_allow_realm_change": False,
        })
        if old_realm_id and old_realm_id != realm_id:
            company._qbo_on_realm_change(old_realm_id, realm_id)
        _logger.info("QuickBooks: company %s connected to realm %s", company.id, realm_id)
        return company, RETURN_URLS[payload["o"]].format(company_id=company.id)

    def _qbo_check_realm(self, realm_id):
        """Refuse a realm linked to another Odoo company, or a realm change not confirmed beforehand."""
        self.ensure_one()
        others = self.sudo().search([("id", "!=", self.id), ("qbo_realm_id", "=", realm_id),
                                     ("qbo_state", "!=", "disconnected")])
        if others:
            raise QboOAuthRefused(_("This QuickBooks company is already connected to the Odoo company %s.",
                                    others[0].name), 403, self)
        if self.qbo_realm_id and self.qbo_realm_id != realm_id and not self.sudo().qbo_allow_realm_change:
            raise QboOAuthRefused(_(
                "%(company)s was synchronized with the QuickBooks company %(old)s, not %(new)s. Connecting it "
                "to another QuickBooks company would make the QuickBooks ids recorded so far invalid. If this is "
                "intended, tick \"Allow another QuickBooks company\" in the company's QuickBooks settings and "
                "connect again.", company=self.name, old=self.qbo_realm_id, new=realm_id), 403, self)

    def _qbo_read_company_with(self, auth_client, realm_id):
        """Read the QuickBooks company (name and settings) with freshly issued tokens; revoke them if
        QuickBooks refuses."""
        client = QboClient(self.qbo_api_url, realm_id, lambda: auth_client.access_token,
                           pacer=self._qbo_pacer(realm_id))
        try:
            return self._qbo_read_company(client)
        except QboApiError as error:
            _logger.info("QuickBooks: CompanyInfo of realm %s unreadable: %s", realm_id, error.code or error.status)
            try:
                auth_client.revoke(token=auth_client.refresh_token)
            except (AuthClientError, RequestException):
                _logger.info("QuickBooks: revoking the unused authorization of realm %s failed", realm_id)
            raise QboOAuthRefused(_("QuickBooks granted access but its company information could not be read: "
                                    "%s", error), 400, self) from None

    # === TOOLING === #

    def _qbo_check_admin(self):
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only a system administrator can connect or disconnect QuickBooks Online."))

    def _qbo_check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only QuickBooks managers can do this."))

    @api.model
    def _qbo_notification(self, message, notification_type):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("QuickBooks Online"),
                "message": message,
                "type": notification_type,
                "sticky": notification_type in ("warning", "danger"),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
