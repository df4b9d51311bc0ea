import logging
import re

from odoo import http
from odoo.http import request

from ..const import CALLBACK_ROUTE
from ..models.qbo_connection import QboOAuthRefused

# The callback's path, raw or percent-encoded once or twice (a logged-out administrator is sent to
# the login page with the callback, code and state included, in its ``redirect`` parameter).
CALLBACK_PATHS = re.compile(re.escape(CALLBACK_ROUTE).replace("/", "(?:/|%2F|%252F)"), re.IGNORECASE)
# ``code=...`` and ``state=...`` in the same forms (after ``?`` or ``&``, raw or encoded): the value
# runs to the next separator.
CALLBACK_SECRETS = re.compile(r"([?&\s\"]|%3F|%26|%253F|%2526)(code|state)(=|%3D|%253D)(.*?)(?=&|%26|%2526|\s|\"|$)",
                              re.IGNORECASE)


class RedactOAuthCallback(logging.Filter):
    """Keep the one-time authorization code and the signed state of the OAuth callback out of the
    HTTP access log, which records every request line, in every form they take there."""

    def filter(self, record):
        if isinstance(record.args, tuple) and any(isinstance(arg, str) and CALLBACK_PATHS.search(arg)
                                                  for arg in record.args):
            record.args = tuple(
                CALLBACK_SECRETS.sub(r"\1\2\3[redacted]", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


logging.getLogger("werkzeug").addFilter(RedactOAuthCallback())


class QboOAuthController(http.Controller):

    @http.route(CALLBACK_ROUTE, type="http", auth="user", methods=["GET"])
    def qbo_oauth_callback(self, state=None, code=None, realmId=None, error=None, **kwargs):
        """Intuit sends the administrator back here after the consent page.

        Every refusal (missing, forged, replayed, expired or someone else's state, declined consent,
        failed code exchange, unconfirmed change of QuickBooks company) shows a page saying why,
        and stores no token.
        """
        try:
            _company, return_url = request.env["qbo.connection"]._qbo_oauth_callback(
                state, code=code, realm_id=realmId, error=error,
            )
        except QboOAuthRefused as refusal:
            values = {"message": refusal.message, "company": refusal.company and refusal.company.sudo()}
            return request.render("quickbooks_connector.qbo_oauth_refused", values, status=refusal.status)
        return request.redirect(return_url)
