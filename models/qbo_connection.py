import base64
import json
import logging
import secrets
import time
from datetime import timedelta

import psycopg2.errors
from intuitlib.exceptions import AuthClientError
from markupsafe import Markup
from requests import RequestException

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from ..const import (
    ACCESS_TOKEN_LIFETIME,
    CONNECTION_COMMIT_ATTEMPTS,
    MANAGER_GROUP,
    OAUTH_HMAC_SCOPE,
    OAUTH_STATE_LIFETIME,
    PACING_PARAMETER,
    PREFERENCES_TTL,
    REFRESH_LOCK_TIMEOUT,
    REFRESH_MARGIN,
    REFRESH_TOKEN_LIFETIME,
)
from ..qbo_client import QboApiError, QboClient
from ..qbo_pacer import pacer_for

_logger = logging.getLogger(__name__)

CONNECTION_STATES = [
    ("disconnected", "Disconnected"),
    ("connected", "Connected"),
    ("reconnect", "Reconnect needed"),
]
# Where the OAuth callback sends the administrator back, by origin of the Connect click.
RETURN_URLS = {
    "settings": "/odoo/action-account.action_account_config",
    "setup": "/odoo/quickbooks-setup?cids={company_id}",
}
# What the connection knows of the QuickBooks company, read at connection and refreshed later.
SETTINGS_FIELDS = ("qbo_company_name", "country", "home_currency", "uses_sales_tax", "multicurrency",
                   "custom_txn_numbers", "settings_read_at")
TOKEN_FIELDS = ("access_token", "access_token_expires_at", "refresh_token", "refresh_token_expires_at")


class QboOAuthRefused(Exception):
    """The OAuth callback cannot be accepted; ``message`` is shown to the user with HTTP ``status``."""

    def __init__(self, message, status=400, company=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.company = company


class QboConnection(models.Model):
    """One company's connection to QuickBooks Online: realm, state, tokens and the QuickBooks
    company's settings.

    Everything here changes at run time (a token refresh, a connection, a settings read), so it is
    kept off ``res.company``, and every write commits at once in a short transaction of its own,
    under this row's lock (``_qbo_commit``): no business transaction ever writes this row, so a
    sync never fails on it, and a request Odoo replays after a serialization failure finds what
    the first attempt did (a rotated refresh token, a spent authorization code). One connected
    company per realm is enforced by a partial unique index. Readable by system administrators
    only; the company form shows the non-secret part through ``res.company``.
    """

    _name = "qbo.connection"
    _description = "QuickBooks Online Connection"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    state = fields.Selection(CONNECTION_STATES, required=True, default="disconnected", readonly=True)
    realm_id = fields.Char(string="QuickBooks Realm ID", readonly=True, copy=False)
    connected_at = fields.Datetime(string="Connected on", readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    allow_realm_change = fields.Boolean(
        string="Allow another QuickBooks company", copy=False,
        help="The next connection may link a QuickBooks company other than the one this company was "
             "synchronized with. The QuickBooks ids recorded so far would no longer be valid.",
    )
    access_token = fields.Char(groups="base.group_system", copy=False)
    access_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    refresh_token = fields.Char(groups="base.group_system", copy=False)
    refresh_token_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    oauth_nonce = fields.Char(
        groups="base.group_system", copy=False,
        help="Nonce of the pending Connect request; cleared when its callback arrives (single use).",
    )
    qbo_company_name = fields.Char(string="QuickBooks Company", readonly=True, copy=False)
    country = fields.Char(string="QuickBooks Country", readonly=True, copy=False)
    home_currency = fields.Char(string="QuickBooks Home Currency", readonly=True, copy=False)
    uses_sales_tax = fields.Boolean(string="QuickBooks Sales Tax", readonly=True, copy=False)
    multicurrency = fields.Boolean(string="QuickBooks Multicurrency", readonly=True, copy=False)
    custom_txn_numbers = fields.Boolean(string="QuickBooks Custom Transaction Numbers", readonly=True, copy=False)
    settings_read_at = fields.Datetime(string="QuickBooks Settings Read on", readonly=True, copy=False)

    _sql_constraints = [
        ("company_uniq", "UNIQUE(company_id)", "A company has one QuickBooks connection."),
    ]

    def init(self):
        # One live connection per QuickBooks company: two Odoo companies writing one realm's books
        # would duplicate everything, and webhooks could not be routed.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS qbo_connection_realm_live_uniq
                ON qbo_connection (realm_id) WHERE state != 'disconnected'
        """)
        # Every company has its connection row before any run-time write (res.company.create makes
        # the new ones): a write of its own transaction must find the row it locks.
        self.env.cr.execute("""
            INSERT INTO qbo_connection (company_id, state, create_date, write_date)
                 SELECT company.id, 'disconnected', now() at time zone 'UTC', now() at time zone 'UTC'
                   FROM res_company company
                  WHERE NOT EXISTS (SELECT 1 FROM qbo_connection WHERE company_id = company.id)
        """)

    # === CLIENT AND TOKENS === #

    def _qbo_client(self):
        """Return a ready ``QboClient`` for this connection's realm.

        Access tokens are refreshed before they expire and once after a 401, each refresh committed
        at once in its own transaction. Calls are paced within Intuit's rate limits (``qbo_pacer``)
        unless the system parameter ``quickbooks_connector.pace_requests`` is ``False``.

        :raise UserError: if the company is not connected or must be reconnected
        Note: self.ensure_one()
        """
        self.ensure_one()
        if self.state != "connected":
            raise UserError(self._qbo_not_connected_message())
        current = {}

        def get_access_token():
            limit = fields.Datetime.now() + timedelta(seconds=REFRESH_MARGIN)
            if not current or current["expires_at"] <= limit:
                current.update(self._qbo_access_token())
            return current["access_token"]

        def on_unauthorized():
            current.update(self._qbo_access_token(stale_access_token=current.get("access_token")))

        return QboClient(self.company_id.qbo_api_url, self.realm_id, get_access_token,
                         on_unauthorized=on_unauthorized, pacer=self._qbo_pacer(self.realm_id))

    def _qbo_pacer(self, realm_id):
        """This process's pacer of the realm, booking in the budget every process shares, or None when the
        system parameter turns pacing off."""
        if self.env["ir.config_parameter"].sudo().get_param(PACING_PARAMETER, "True") == "False":
            return None
        return pacer_for(self.env.cr.dbname, self.company_id.qbo_api_url, realm_id)

    def _qbo_access_token(self, stale_access_token=None):
        """Return a valid access token, refreshing it in a separate committed transaction when needed.

        The business transaction may be rolled back later: the rotated refresh token must survive
        it. Two workers refreshing at once are serialized by this row's lock; the one that waited
        uses the token the other obtained.

        :param str stale_access_token: the token QuickBooks just refused with a 401
        :return: ``{"access_token": str, "expires_at": datetime}``
        :raise UserError: if a reconnect is needed or the refresh failed
        """
        self.ensure_one()
        connection = self.sudo()
        if connection.state == "connected" and connection._qbo_is_fresh() and not stale_access_token:
            return {"access_token": connection.access_token, "expires_at": connection.access_token_expires_at}
        result = connection._qbo_in_own_transaction(lambda own: own._qbo_refresh_locked(stale_access_token))
        if "error" in result:
            raise UserError(result["error"])
        return result

    def _qbo_is_fresh(self):
        """Whether the access token is valid for more than the refresh margin."""
        self.ensure_one()
        limit = fields.Datetime.now() + timedelta(seconds=REFRESH_MARGIN)
        return bool(self.access_token and self.access_token_expires_at and self.access_token_expires_at > limit)

    def _qbo_refresh_locked(self, stale_access_token=None):
        """Refresh the tokens in the current (own, locked) transaction, unless another worker did.

        :param str stale_access_token: a token QuickBooks just refused (401): refresh even if not expired
        :return: ``{"access_token", "expires_at"}``, or ``{"error": message}`` when the connection
            needs a reconnect (the state is then stored and the managers are told)
        :raise UserError: when the OAuth server cannot be reached or refuses for another reason
        """
        if self.state != "connected" or not self.refresh_token:
            return {"error": self._qbo_not_connected_message()}
        if self._qbo_is_fresh() and self.access_token != stale_access_token:
            return {"access_token": self.access_token, "expires_at": self.access_token_expires_at}
        auth_client = self.company_id._qbo_auth_client()
        try:
            auth_client.refresh(refresh_token=self.refresh_token)
        except AuthClientError as error:
            reason = _oauth_error_code(error)
            _logger.info("QuickBooks: token refresh for company %s refused: HTTP %s %s",
                         self.company_id.id, error.status_code, reason)
            if reason == "invalid_grant":
                return {"error": self._qbo_set_reconnect_needed()}
            raise UserError(_("QuickBooks: the connection could not be refreshed (HTTP %(status)s %(reason)s).",
                              status=error.status_code, reason=reason or "")) from None
        except RequestException as error:
            _logger.info("QuickBooks: token refresh for company %s failed: %s",
                         self.company_id.id, type(error).__name__)
            raise UserError(_("QuickBooks: the authorization server could not be reached (%s).",
                              type(error).__name__)) from None
        values = self._qbo_token_values(auth_client)
        self.write(values)
        _logger.info("QuickBooks: access token of company %s refreshed", self.company_id.id)
        return {"access_token": values["access_token"], "expires_at": values["access_token_expires_at"]}

    def _qbo_token_values(self, auth_client):
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

    def _qbo_set_reconnect_needed(self):
        """Intuit refused the refresh token: forget the tokens, mark the connection, tell the managers.

        :return: the message every QuickBooks call of the company fails with until it is reconnected
        :rtype: str
        """
        company = self.company_id
        self.write(dict.fromkeys(TOKEN_FIELDS, False) | {
            "state": "reconnect",
            "last_error": _("Intuit refused to renew the authorization: it was revoked or has expired."),
        })
        managers = self.env.ref(MANAGER_GROUP).users.filtered(
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
        return self._qbo_not_connected_message()

    def _qbo_not_connected_message(self):
        self.ensure_one()
        company = self.company_id
        if self.state == "reconnect":
            return _("QuickBooks: the connection of %(company)s must be reconnected by a system administrator. "
                     "%(error)s", company=company.name, error=self.last_error or "")
        return _("QuickBooks: %s is not connected to QuickBooks Online.", company.name)

    # === WRITES OF THEIR OWN === #

    def _qbo_in_own_transaction(self, work, wait=True):
        """Run ``work(connection)`` on this row, locked, in a transaction of its own committed at once.

        A serialization failure (another worker committed this row after the new transaction's
        snapshot) is retried on a fresh transaction.

        :param work: callable receiving this connection in the new transaction (as superuser)
        :param bool wait: wait for another worker holding the row; if False and it is busy, return None
        :return: what ``work`` returned
        :raise UserError: if another worker keeps the row locked longer than ``REFRESH_LOCK_TIMEOUT``
        """
        self.ensure_one()
        # What this transaction wrote goes to the database first: the new transaction must not
        # overwrite it, nor be overwritten by it later.
        self.env.flush_all()
        for attempt in range(CONNECTION_COMMIT_ATTEMPTS):
            try:
                with self.env.registry.cursor() as cr:
                    own = self.with_env(self.env(cr=cr, su=True))
                    cr.execute("SET LOCAL lock_timeout = %s", [f"{REFRESH_LOCK_TIMEOUT}s"])
                    # A lock wait that ends in a serialization failure is expected (retried): not logged.
                    cr.execute(f"SELECT id FROM qbo_connection WHERE id = %s FOR NO KEY UPDATE"
                               f"{'' if wait else ' SKIP LOCKED'}", [self.id], log_exceptions=False)
                    if not cr.fetchone():
                        return None
                    result = work(own)
                    # Flush through a live environment: the commit only flushes environments still referenced.
                    own.env.flush_all()
                break
            except psycopg2.errors.SerializationFailure:
                if attempt == CONNECTION_COMMIT_ATTEMPTS - 1:
                    raise
            except psycopg2.errors.LockNotAvailable:
                raise UserError(_("QuickBooks: another process is updating the connection; try again.")) from None
        # This transaction's snapshot predates that commit: show it what was committed.
        self._qbo_show_committed()
        return result

    def _qbo_commit(self, values, wait=True):
        """Write ``values`` in a transaction of its own, committed at once (see ``_qbo_in_own_transaction``).

        :return: whether the values were stored (False when ``wait`` is False and the row was busy)
        """
        self.ensure_one()
        stored = self._qbo_in_own_transaction(lambda own: own.write(values) or True, wait=wait)
        if not stored:
            self._qbo_show(values)  # used by this transaction all the same
        return bool(stored)

    def _qbo_show_committed(self):
        """Give this transaction the row as committed: its snapshot predates that commit."""
        with self.env.registry.cursor() as cr:
            cr.execute(f"SELECT {', '.join(self._qbo_stored_names())} FROM qbo_connection WHERE id = %s",
                       [self.id])
            row = cr.dictfetchone()
        if row:
            self._qbo_show({name: value for name, value in row.items()})

    @api.model
    def _qbo_stored_names(self):
        return [name for name, field in self._fields.items() if field.store and field.column_type
                and name not in ("id", "company_id", "create_uid", "create_date", "write_uid")]

    def _qbo_show(self, values):
        """Put ``values`` in this transaction's cache (nothing is written) and forget the company
        fields computed from them."""
        for name, value in values.items():
            field = self._fields[name]
            self.env.cache.update(self, field, [field.convert_to_cache(value, self, validate=False)])
        self.company_id.invalidate_recordset(self.company_id._qbo_connection_fields())

    # === QUICKBOOKS COMPANY SETTINGS === #

    @api.model
    def _qbo_read_settings(self, client):
        """Read the QuickBooks company's name and the settings payloads depend on, in one request.

        :return: the connection values to store
        :raise QboApiError: if QuickBooks refuses
        """
        answers = client.batch([{"bId": "info", "Query": "SELECT * FROM CompanyInfo"},
                                {"bId": "prefs", "Query": "SELECT * FROM Preferences"}])
        for answer in answers:
            if "Fault" in answer:
                raise QboApiError.from_fault(answer["Fault"], status=400)
        info = (answers[0].get("QueryResponse", {}).get("CompanyInfo") or [{}])[0]
        prefs = (answers[1].get("QueryResponse", {}).get("Preferences") or [{}])[0]
        currency = prefs.get("CurrencyPrefs") or {}
        return {
            "qbo_company_name": info.get("CompanyName") or "",
            "country": info.get("Country") or "US",
            "home_currency": (currency.get("HomeCurrency") or {}).get("value") or False,
            "uses_sales_tax": bool((prefs.get("TaxPrefs") or {}).get("UsingSalesTax")),
            "multicurrency": bool(currency.get("MultiCurrencyEnabled")),
            "custom_txn_numbers": bool((prefs.get("SalesFormsPrefs") or {}).get("CustomTxnNumbers")),
            "settings_read_at": fields.Datetime.now(),
        }

    def _qbo_refresh_settings(self, client, wait=True):
        """Read the QuickBooks company's settings again and store them (a name QuickBooks leaves empty
        keeps the known one).

        :return: the values read
        """
        self.ensure_one()
        values = self._qbo_read_settings(client)
        if not values["qbo_company_name"]:
            del values["qbo_company_name"]
        self._qbo_commit(values, wait=wait)
        return values

    def _qbo_export_settings(self, client):
        """Return what export payloads depend on: ``us``, ``sales_tax``, ``custom_txn_numbers``,
        ``multicurrency`` and ``home_currency``.

        The values stored are used while younger than ``PREFERENCES_TTL``; older ones are read
        again, and stored unless another worker holds the row (the export neither waits for it nor
        makes it fail).
        """
        self.ensure_one()
        connection = self.sudo()
        limit = fields.Datetime.now() - timedelta(seconds=PREFERENCES_TTL)
        if not connection.settings_read_at or connection.settings_read_at < limit:
            connection._qbo_refresh_settings(client, wait=False)
        return {
            "us": connection.country in ("US", "USA"),
            "sales_tax": connection.uses_sales_tax,
            "custom_txn_numbers": connection.custom_txn_numbers,
            "multicurrency": connection.multicurrency,
            "home_currency": connection.home_currency or connection.company_id.currency_id.name,
        }

    # === OAUTH === #

    def _qbo_make_oauth_state(self, origin):
        """Return a signed OAuth state bound to this company and user, valid 10 minutes, single use."""
        self.ensure_one()
        nonce = secrets.token_urlsafe(18)
        payload = {
            "c": self.company_id.id, "u": self.env.uid, "e": int(time.time()) + OAUTH_STATE_LIFETIME, "n": nonce,
            "o": origin if origin in RETURN_URLS else "setup",
        }
        encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        self._qbo_commit({"oauth_nonce": nonce})
        return f"{encoded}.{hmac(self.env(su=True), OAUTH_HMAC_SCOPE, encoded)}"

    @api.model
    def _qbo_read_oauth_state(self, state):
        """Check a state coming back from Intuit and return ``(connection, payload)``.

        :raise QboOAuthRefused: if the state is missing, forged, expired or someone else's
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
        company = self.env["res.company"].browse(payload["c"]).exists()
        if not company:
            raise QboOAuthRefused(_("The company of this connection request no longer exists."), 400)
        if payload["e"] < time.time():
            raise QboOAuthRefused(
                _("This connection request expired (it is valid 10 minutes); click Connect again."), 400, company)
        return company._qbo_connection(), payload

    @api.model
    def _qbo_oauth_callback(self, state, code=None, realm_id=None, error=None):
        """Finish the OAuth flow: check the state, exchange the code, store the tokens and the realm.

        Each step that leaves a trace commits on its own: the state is spent before the code is
        exchanged, and the tokens are stored right after, so a replay of this request never
        exchanges the single-use code twice (it finds the state spent).

        :param str state: the state sent to Intuit
        :param str code: the authorization code
        :param str realm_id: the QuickBooks company the user picked
        :param str error: Intuit's error (``access_denied`` when the user declined)
        :return: ``(company, return_url)``
        :raise QboOAuthRefused: on any refusal; nothing is stored but the consumption of the state
        """
        if not self.env.user.has_group("base.group_system"):
            raise QboOAuthRefused(_("Only a system administrator can connect a company to QuickBooks."), 403)
        connection, payload = self._qbo_read_oauth_state(state)
        company = connection.company_id
        if not connection._qbo_in_own_transaction(lambda own: own._qbo_spend_nonce(payload["n"])):
            raise QboOAuthRefused(
                _("This connection request was already used or replaced by a newer one; click Connect again."),
                403, company)
        if error:
            message = _("The connection to QuickBooks was declined.") if error == "access_denied" else _(
                "QuickBooks refused the connection (%s).", error)
            raise QboOAuthRefused(message, 400, company)
        if not code or not realm_id:
            raise QboOAuthRefused(_("The answer from QuickBooks carries no authorization code or company."), 400,
                                  company)
        connection._qbo_check_realm(realm_id)
        auth_client = company._qbo_auth_client()
        try:
            auth_client.get_bearer_token(code, realm_id=realm_id)
        except (AuthClientError, RequestException) as failure:
            status = getattr(failure, "status_code", None)
            _logger.info("QuickBooks: authorization code exchange for company %s failed: %s %s",
                         company.id, type(failure).__name__, status or "")
            raise QboOAuthRefused(_("QuickBooks did not accept the authorization code (%s); click Connect again.",
                                    status or type(failure).__name__), 400, company) from None
        settings = connection._qbo_read_settings_with(auth_client, realm_id)
        try:
            replaced = connection._qbo_in_own_transaction(
                lambda own: own._qbo_store_connection(auth_client, realm_id, settings))
        except (psycopg2.errors.UniqueViolation, UserError):
            # Another Odoo company connected this realm meanwhile, or the row stayed busy: the new grant
            # is of no use.
            connection._qbo_revoke_quietly(auth_client, auth_client.refresh_token, realm_id)
            raise QboOAuthRefused(_("This QuickBooks company is already connected to another Odoo company, or its "
                                    "connection is busy; click Connect again."), 403, company) from None
        if replaced:
            # A reconnection: the previous grant is of no use any more either.
            connection._qbo_revoke_quietly(auth_client, replaced, realm_id)
        _logger.info("QuickBooks: company %s connected to realm %s", company.id, realm_id)
        return company, RETURN_URLS[payload["o"]].format(company_id=company.id)

    def _qbo_spend_nonce(self, nonce):
        """Spend the pending state (own transaction): return whether it was the pending one."""
        pending = self.oauth_nonce
        self.oauth_nonce = False
        return bool(pending and consteq(pending, nonce))

    def _qbo_store_connection(self, auth_client, realm_id, settings):
        """Store a new connection (own transaction); a new realm resets what the old one left.

        :return: the refresh token of the grant this one replaces, if any
        """
        old_realm_id = self.realm_id
        replaced = self.refresh_token
        self.write({
            **self._qbo_token_values(auth_client),
            **settings,
            "realm_id": realm_id,
            "connected_at": fields.Datetime.now(),
            "allow_realm_change": False,
        })
        # The unique index is checked now, not at the commit: a clash is refused before anything else.
        self.env.flush_all()
        if old_realm_id and old_realm_id != realm_id:
            self._qbo_on_realm_change(old_realm_id, realm_id)
        self.env["qbo.sync.cursor"]._qbo_ensure(self.company_id)
        return replaced

    def _qbo_on_realm_change(self, old_realm_id, new_realm_id):
        """The company now writes another QuickBooks company's books: links, tax mappings and read
        cursors of the old one mean nothing there. The one place where they are reset.

        :param str old_realm_id: the realm the records were synchronized with
        :param str new_realm_id: the newly connected realm
        """
        self.ensure_one()
        domain = [("company_id", "=", self.company_id.id)]
        for model in ("qbo.mapping", "qbo.tax.map"):
            self.env[model].sudo().search(domain).unlink()
        self.env["qbo.sync.cursor"].sudo().search(domain)._qbo_reset()
        _logger.info("QuickBooks: company %s moved from realm %s to %s: links and cursors reset",
                     self.company_id.id, old_realm_id, new_realm_id)

    def _qbo_check_realm(self, realm_id):
        """Refuse a realm connected to another Odoo company, or a realm change not confirmed beforehand."""
        self.ensure_one()
        company = self.company_id
        others = self.sudo().search([("id", "!=", self.id), ("realm_id", "=", realm_id),
                                     ("state", "!=", "disconnected")])
        if others:
            raise QboOAuthRefused(_("This QuickBooks company is already connected to the Odoo company %s.",
                                    others[0].company_id.name), 403, company)
        if self.realm_id and self.realm_id != realm_id and not self.allow_realm_change:
            raise QboOAuthRefused(_(
                "%(company)s was synchronized with the QuickBooks company %(old)s, not %(new)s. Connecting it "
                "to another QuickBooks company would make the QuickBooks ids recorded so far invalid. If this is "
                "intended, tick \"Allow another QuickBooks company\" in the company's QuickBooks settings and "
                "connect again.", company=company.name, old=self.realm_id, new=realm_id), 403, company)

    def _qbo_read_settings_with(self, auth_client, realm_id):
        """Read the QuickBooks company (name and settings) with freshly issued tokens; revoke them if
        QuickBooks refuses."""
        client = QboClient(self.company_id.qbo_api_url, realm_id, lambda: auth_client.access_token,
                           pacer=self._qbo_pacer(realm_id))
        try:
            return self._qbo_read_settings(client)
        except QboApiError as error:
            _logger.info("QuickBooks: CompanyInfo of realm %s unreadable: %s", realm_id, error.code or error.status)
            self._qbo_revoke_quietly(auth_client, auth_client.refresh_token, realm_id)
            raise QboOAuthRefused(_("QuickBooks granted access but its company information could not be read: "
                                    "%s", error), 400, self.company_id) from None

    @api.model
    def _qbo_revoke_quietly(self, auth_client, token, realm_id):
        """Revoke a grant Odoo will not use (a failure is only logged: the grant then expires unused)."""
        try:
            auth_client.revoke(token=token)
        except (AuthClientError, RequestException):
            _logger.info("QuickBooks: revoking an unused authorization of realm %s failed", realm_id)

    def _qbo_disconnect(self):
        """Revoke the authorization at Intuit, then forget the tokens at once (own transaction): a
        replay of the request finds nothing left to revoke. The realm id is kept.

        :return: whether Intuit confirmed the revocation (or there was nothing to revoke)
        """
        self.ensure_one()
        connection = self.sudo()
        presented = connection.refresh_token or connection.access_token
        revoked = True
        if presented:
            try:
                connection.company_id._qbo_auth_client().revoke(token=presented)
            except (AuthClientError, RequestException, UserError) as error:
                _logger.info("QuickBooks: revoking the authorization of company %s failed: %s",
                             self.company_id.id, type(error).__name__)
                revoked = False
        self._qbo_commit(dict.fromkeys(TOKEN_FIELDS, False) | {
            "state": "disconnected", "oauth_nonce": False, "last_error": False})
        _logger.info("QuickBooks: company %s disconnected", self.company_id.id)
        return revoked


def _oauth_error_code(error):
    """Return the OAuth ``error`` of a token-endpoint failure (e.g. ``invalid_grant``), or None."""
    try:
        return error.response.json().get("error")
    except (ValueError, AttributeError):
        return None
