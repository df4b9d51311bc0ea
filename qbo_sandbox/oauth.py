"""Intuit's OAuth 2.0 / OpenID Connect endpoints, as intuit-oauth 1.2.7 talks to them.

Every function takes ``(state, request)`` (a ``SandboxState`` and a Werkzeug request) and returns
``(status, headers, body_bytes)``; the WSGI layer adds ``intuit_tid``.

OpenID: the ``openid`` scope is supported. The token response then carries an RS256 ``id_token``
(``iss`` = this server's issuer, ``aud`` a list holding the client id) signed with a key generated
once per process and published at the jwks endpoint, so intuit-oauth validates and keeps it.
"""
import hashlib
import hmac
import html
import json
import threading
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from . import faults
from .state import ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
OPENID_SCOPES = {"openid", "profile", "email", "phone", "address"}
# Scopes Intuit knows (intuit-oauth's Scopes enum); the sandbox serves the accounting API only.
KNOWN_SCOPES = OPENID_SCOPES | {
    ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "intuit_name",
    "com.intuit.quickbooks.payroll", "com.intuit.quickbooks.payroll.timetracking",
    "com.intuit.quickbooks.payroll.benefits", "com.intuit.quickbooks.payroll.payslip.read",
    "project-management.project", "app-foundations.custom-field-definitions",
    "app-foundations.custom-field-definitions.read", "payroll.compensation.read",
    "indirect-tax.tax-calculation.quickbooks", "tax-compliance.workpapers.read",
}
AUTHORIZE_PATH = "/connect/oauth2"
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_signing_key_lock = threading.Lock()
_signing_key = {}


def base_url(request):
    """Return this server's base URL as the client reached it (no trailing slash)."""
    return request.host_url.rstrip("/")


def _json(status, data, headers=None):
    return status, {"Content-Type": faults.JSON, **(headers or {})}, json.dumps(data).encode()


def _oauth_error(error, description, status=400):
    status, headers, body = faults.oauth_error(error, description, status)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Intuit"'
    return status, {**headers, **NO_STORE}, body


def signing_key():
    """Return ``(kid, private_key)``, the RS256 key for id_tokens (generated once per process)."""
    with _signing_key_lock:
        if not _signing_key:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            modulus = private_key.public_key().public_numbers().n
            _signing_key["kid"] = hashlib.sha256(str(modulus).encode()).hexdigest()[:20]
            _signing_key["key"] = private_key
        return _signing_key["kid"], _signing_key["key"]


def bearer_token(request):
    """Return the bearer token of the request's Authorization header, or None."""
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer":
        return None
    return authorization.token


def _authenticate_client(state, request):
    """Return the app whose client id and secret came in the Basic auth header, or None."""
    authorization = request.authorization
    if authorization is None or authorization.type != "basic":
        return None
    app = state.apps.get(authorization.username or "")
    if app and hmac.compare_digest(app["client_secret"].encode(), (authorization.password or "").encode()):
        return app
    return None


# ---- Discovery, keys, user info ----

def discovery(state, request):
    """The OpenID discovery document, every endpoint pointing at this server."""
    base = base_url(request)
    return _json(200, {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}{AUTHORIZE_PATH}",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(OPENID_SCOPES | {ACCOUNTING_SCOPE}),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    })


def jwks(state, request):
    """The public key that signs id_tokens."""
    kid, private_key = signing_key()
    key = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    key.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return _json(200, {"keys": [key]})


def userinfo(state, request):
    """OpenID user info for a valid access token granted with the ``openid`` scope."""
    found = state.grant_for_access_token(bearer_token(request))
    if not found:
        return _json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    scopes = found[1]["scopes"]
    if "openid" not in scopes:
        return _json(403, {"error": "insufficient_scope"}, {"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
    info = {"sub": state.user_sub}
    if "profile" in scopes:
        info.update(givenName="Sandbox", familyName="User")
    if "email" in scopes:
        info.update(email="sandbox.user@example.com", emailVerified=True)
    if "phone" in scopes:
        info.update(phoneNumber="+1 555-0100", phoneNumberVerified=False)
    if "address" in scopes:
        info["address"] = {
            "streetAddress": "2700 Coast Avenue", "locality": "Mountain View", "region": "CA",
            "postalCode": "94043", "country": "US",
        }
    return _json(200, info)


# ---- Authorization (consent) ----

def _check_authorization_request(state, params):
    """Return ``(app, scopes, None)`` for a valid authorization request, else ``(None, None, (error, text))``."""
    app = state.apps.get(params.get("client_id") or "")
    if app is None:
        return None, None, ("invalid_client", "The client_id is not the id of a registered app.")
    if params.get("redirect_uri") not in app["redirect_uris"]:
        return None, None, ("invalid_request", "The redirect_uri is not one of the app's registered redirect URIs.")
    if params.get("response_type") != "code":
        return None, None, ("unsupported_response_type", "response_type must be 'code'.")
    scopes = (params.get("scope") or "").split()
    unknown = [scope for scope in scopes if scope not in KNOWN_SCOPES]
    if unknown:
        return None, None, ("invalid_scope", f"Unknown scope: {' '.join(unknown)}.")
    if ACCOUNTING_SCOPE not in scopes:
        return None, None, ("invalid_scope", f"The scope must include {ACCOUNTING_SCOPE}.")
    return app, scopes, None


def _page(status, title, content):
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; background: #f4f5f8; margin: 0; }}
main {{ max-width: 30em; margin: 4em auto; background: #fff; padding: 2em; border-radius: 8px;
        box-shadow: 0 1px 4px rgba(0, 0, 0, .15); }}
h1 {{ font-size: 1.3em; color: #2ca01c; }}
.error {{ color: #b00020; }}
select, button {{ font-size: 1em; padding: .4em .8em; margin: .4em .4em .4em 0; }}
button[value=connect] {{ background: #2ca01c; color: #fff; border: 0; border-radius: 4px; }}
</style></head>
<body><main><h1>{html.escape(title)}</h1>
{content}
<p><small>Local QuickBooks Online sandbox: no real Intuit account is involved.</small></p>
</main></body></html>"""
    return status, {"Content-Type": "text/html; charset=utf-8"}, body.encode()


def _error_page(error, text):
    return _page(400, "Connection request refused", (
        f'<p class="error">{html.escape(text)}</p>'
        f"<p>Error: <code>{html.escape(error)}</code>. You were not redirected back to the app.</p>"
    ))


def _consent_page(state, app, scopes, params, message=None, status=200):
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params.get(name) or "")}">'
        for name in ("client_id", "response_type", "scope", "redirect_uri", "state")
    )
    with state.lock:
        companies = sorted(state.companies.values(), key=lambda company: company.name)
        options = "".join(
            f'<option value="{html.escape(company.realm_id)}">{html.escape(company.name)}'
            f" ({html.escape(company.realm_id)})</option>"
            for company in companies
        )
    if companies:
        choice = f'<p><label>QuickBooks company<br><select name="realm_id">{options}</select></label></p>'
    else:
        choice = ('<p class="error">This sandbox has no company yet: create one first '
                  "(<code>POST /_sandbox/companies</code>).</p>")
    scope_items = "".join(f"<li><code>{html.escape(scope)}</code></li>" for scope in scopes)
    connect_state = "" if companies else " disabled"
    return _page(status, "Connect to QuickBooks Online", (
        (f'<p class="error">{html.escape(message)}</p>' if message else "")
        + f"<p>The app <strong>{html.escape(app['client_id'])}</strong> wants to access your "
        f"QuickBooks company data:</p><ul>{scope_items}</ul>"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}{choice}'
        f'<button type="submit" name="decision" value="connect"{connect_state}>Connect</button>'
        '<button type="submit" name="decision" value="cancel">Cancel</button></form>'
    ))


def _redirect(uri, params):
    separator = "&" if urlsplit(uri).query else "?"
    return 302, {"Location": uri + separator + urlencode(params)}, b""


def authorize(state, request):
    """``GET``: the consent page. ``POST``: the user's decision, redirecting back to the app."""
    params = request.args if request.method == "GET" else request.form
    app, scopes, error = _check_authorization_request(state, params)
    if error:
        return _error_page(*error)
    echoed_state = {"state": params["state"]} if params.get("state") else {}
    if request.method == "GET":
        if app.get("auto_consent_realm") in state.companies:
            return _redirect(params["redirect_uri"], {
                "code": state.issue_code(app["client_id"], params["redirect_uri"], app["auto_consent_realm"], scopes),
                **echoed_state, "realmId": app["auto_consent_realm"]})
        return _consent_page(state, app, scopes, params)
    decision = params.get("decision")
    if decision == "cancel":
        return _redirect(params["redirect_uri"], {"error": "access_denied", **echoed_state})
    realm_id = params.get("realm_id") or ""
    if decision != "connect" or realm_id not in state.companies:
        return _consent_page(state, app, scopes, params, "Choose one of the sandbox's companies.", 400)
    code = state.issue_code(app["client_id"], params["redirect_uri"], realm_id, scopes)
    return _redirect(params["redirect_uri"], {"code": code, **echoed_state, "realmId": realm_id})


# ---- Token endpoint and revocation ----

def token(state, request):
    """Exchange an authorization code or a refresh token for tokens."""
    app = _authenticate_client(state, request)
    if app is None:
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(state, request, app)
    if grant_type == "refresh_token":
        return _refresh(state, request, app)
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required")
    return _oauth_error("unsupported_grant_type", f"Unsupported grant_type {grant_type}")


def _exchange_code(state, request, app):
    code = request.form.get("code")
    if not code:
        return _oauth_error("invalid_request", "code is required")
    with state.lock:
        record = state.codes.get(code)
        if record is None or record["client_id"] != app["client_id"]:
            return _oauth_error("invalid_grant", "Invalid authorization code")
        if record["used"]:
            return _oauth_error("invalid_grant", "Authorization code has already been used")
        if state.now() >= record["expires_at"]:
            return _oauth_error("invalid_grant", "Authorization code has expired")
        if request.form.get("redirect_uri") != record["redirect_uri"]:
            return _oauth_error("invalid_grant", "redirect_uri does not match the one of the authorization request")
        record["used"] = True
        grant_id = state.create_grant(app["client_id"], record["realm_id"], record["scopes"])
        refresh_token = state.issue_refresh_token(grant_id)
        access_token = state.issue_access_token(grant_id)
        return _token_response(state, request, grant_id, access_token, refresh_token)


def _refresh(state, request, app):
    presented = request.form.get("refresh_token")
    if not presented:
        return _oauth_error("invalid_request", "refresh_token is required")
    with state.lock:
        now = state.now()
        record = state.refresh_tokens.get(presented)
        grant = record and state.live_grant(record["grant_id"])
        if not grant or now >= record["expires_at"]:
            return _oauth_error("invalid_grant", "Incorrect or invalid refresh token")
        if grant["client_id"] != app["client_id"]:
            return _oauth_error("invalid_grant", "Refresh token was issued to another client")
        if record["superseded_at"] is not None and now >= record["superseded_at"] + app["grace_period"]:
            return _oauth_error("invalid_grant", "Incorrect or invalid refresh token")
        grant_id = record["grant_id"]
        current = state.refresh_tokens[grant["refresh_token"]]
        if now - current["issued_at"] >= app["rotation_interval"]:
            refresh_token = state.issue_refresh_token(grant_id)
        else:
            current["expires_at"] = now + REFRESH_TOKEN_LIFETIME
            refresh_token = grant["refresh_token"]
        access_token = state.issue_access_token(grant_id)
        return _token_response(state, request, grant_id, access_token, refresh_token)


def _token_response(state, request, grant_id, access_token, refresh_token):
    grant = state.grants[grant_id]
    now = state.now()
    body = {
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "x_refresh_token_expires_in": REFRESH_TOKEN_LIFETIME,
    }
    if request.headers.get(HARD_EXPIRY_HEADER, "").strip().lower() == "true":
        body["x_refresh_token_hard_expires_in"] = round(grant["hard_expires_at"] - now)
    if "openid" in grant["scopes"]:
        body["id_token"] = _id_token(state, request, grant, now)
    return _json(200, body, NO_STORE)


def _id_token(state, request, grant, now):
    kid, private_key = signing_key()
    claims = {
        "sub": state.user_sub,
        "aud": [grant["client_id"]],
        "realmid": grant["realm_id"],
        "auth_time": int(grant["created_at"]),
        "iss": f"{base_url(request)}/op/v1",
        "exp": int(now) + ACCESS_TOKEN_LIFETIME,
        "iat": int(now),
    }
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})


def revoke(state, request):
    """Revoke a refresh or access token: the whole grant (every token of it) stops working."""
    app = _authenticate_client(state, request)
    if app is None:
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    try:
        presented = json.loads(request.get_data() or b"null")["token"]
        if not isinstance(presented, str) or not presented:
            raise ValueError(presented)
    except (ValueError, TypeError, KeyError):
        return _oauth_error("invalid_request", 'The body must be the JSON object {"token": "..."}')
    with state.lock:
        record = state.refresh_tokens.get(presented) or state.access_tokens.get(presented)
        if record:
            if state.grants[record["grant_id"]]["client_id"] != app["client_id"]:
                return _oauth_error("invalid_request", "The token was issued to another client")
            state.revoke_grant(record["grant_id"])
    # RFC 7009: an unknown or already revoked token is not an error.
    return 200, dict(NO_STORE), b""
