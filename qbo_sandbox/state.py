"""Everything one sandbox knows: apps, companies, OAuth grants and tokens, the clock, injected faults."""
import json
import os
import secrets
import threading
from datetime import datetime, timezone

from .clock import SandboxClock
from .company import Company

# Lifetimes in seconds (shared/qbo_api.md section 1.4).
CODE_LIFETIME = 300
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 8726400
REFRESH_TOKEN_HARD_LIFETIME = 5 * 365 * 86400

# Named faults an injection may ask for instead of a literal status and body (see app.py).
FAULT_KINDS = ("throttle", "throttle_xml", "authentication", "authentication_xml", "authorization", "drop")

STATE_FORMAT = 1


def _new_secret(prefix, expires_at, length=36):
    """Return an Intuit-looking opaque value: ``AB11`` + expiry timestamp + random characters."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + str(int(expires_at)) + "".join(secrets.choice(alphabet) for _dummy in range(length))


def new_access_token():
    """Return a JWE-shaped opaque access token about as long as Intuit's (~900 characters)."""
    header = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"
    return f"{header}..{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(640)}.{secrets.token_urlsafe(16)}"


class SandboxState:
    """The whole memory of one sandbox; every read or write of it happens under ``lock``.

    Apps: ``client_id -> {client_id, client_secret, redirect_uris, rotation_interval, grace_period}``.
    ``rotation_interval`` (seconds, default 0): a refresh returns the same refresh token while the
    current one is younger than this, a new one otherwise (0: a new one every time).
    ``grace_period`` (seconds, default 0): how long a rotated-out refresh token still works.

    Grants (one per consent): ``grant_id -> {client_id, realm_id, scopes, created_at, hard_expires_at,
    refresh_token, revoked}``; tokens point to their grant, so revoking the grant kills them all.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self._clear()

    def _clear(self):
        self.apps = {}
        self.companies = {}
        self.codes = {}
        self.grants = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.faults = []
        self.user_sub = secrets.token_hex(16)

    def now(self):
        """Return the sandbox time in seconds since the epoch."""
        return self.clock.timestamp()

    def reset(self):
        """Forget everything (apps, companies, codes, tokens, faults) and go back to real time."""
        with self.lock:
            self._clear()
            self.clock.reset()

    # ---- Apps and companies ----

    def register_app(self, client_id, client_secret, redirect_uris, rotation_interval=0, grace_period=0,
                     webhook_url=None, webhook_verifier=None, webhook_format="legacy", webhook_content_type=None,
                     auto_consent_realm=None):
        """Register (or re-configure) an app as Intuit's developer portal would.

        :param str client_id: the app's client id
        :param str client_secret: its secret
        :param list redirect_uris: the exact redirect URIs allowed at authorize time
        :param int rotation_interval: seconds a refresh token keeps its value across refreshes
        :param int grace_period: seconds a rotated-out refresh token keeps working
        :param str webhook_url: where ``webhooks.py`` posts the changes of the connected realms
        :param str webhook_verifier: the app's verifier token (signs the notifications)
        :param str webhook_format: ``legacy`` or ``cloudevents``
        :param str webhook_content_type: CloudEvents content type (``application/cloudevents+json`` by default)
        :param str auto_consent_realm: consent is given at once for this company, without the consent page
            (browser tests: the page is on another origin than the app under test)
        :return: the app (a dict, secret included)
        :raise ValueError: on an empty id, secret or URI list, or an unknown webhook format
        """
        if not client_id or not client_secret or not redirect_uris:
            raise ValueError("client_id, client_secret and redirect_uris are required")
        if webhook_format not in ("legacy", "cloudevents"):
            raise ValueError(f"unknown webhook format {webhook_format!r}; known: legacy, cloudevents")
        if isinstance(redirect_uris, str):
            redirect_uris = [redirect_uris]
        app = {
            "client_id": str(client_id),
            "client_secret": str(client_secret),
            "redirect_uris": [str(uri) for uri in redirect_uris],
            "rotation_interval": int(rotation_interval),
            "grace_period": int(grace_period),
            "webhook_url": webhook_url,
            "webhook_verifier": webhook_verifier,
            "webhook_format": webhook_format,
            "webhook_content_type": webhook_content_type,
            "auto_consent_realm": str(auto_consent_realm) if auto_consent_realm else None,
        }
        with self.lock:
            self.apps[app["client_id"]] = app
        return app

    def create_company(self, realm_id=None, name="Sandbox Company", **company_options):
        """Create a QBO company; ``realm_id`` is generated (16 digits, as Intuit's) when not given.

        :param str realm_id: digits only, unique in this sandbox
        :param str name: the company name
        :param company_options: ``country``, ``home_currency`` and preferences, passed to ``Company``
        :return: the new ``Company``
        :raise ValueError: on a malformed or already used realm id
        """
        with self.lock:
            if realm_id is None:
                realm_id = self._new_realm_id()
            realm_id = str(realm_id)
            if not realm_id.isdigit() or len(realm_id) > 20:
                raise ValueError(f"realm id must be a string of at most 20 digits, not {realm_id!r}")
            if realm_id in self.companies:
                raise ValueError(f"a company with realm id {realm_id} already exists")
            company = Company(realm_id, name, self.clock, **company_options)
            self.companies[realm_id] = company
            return company

    def _new_realm_id(self):
        while True:
            realm_id = "9130" + "".join(secrets.choice("0123456789") for _dummy in range(12))
            if realm_id not in self.companies:
                return realm_id

    # ---- OAuth codes, grants and tokens ----

    def issue_code(self, client_id, redirect_uri, realm_id, scopes):
        """Record a consent and return its single-use authorization code."""
        expires_at = self.now() + CODE_LIFETIME
        code = _new_secret("AB11", expires_at, 30)
        with self.lock:
            self.codes[code] = {
                "client_id": client_id, "redirect_uri": redirect_uri, "realm_id": realm_id,
                "scopes": list(scopes), "expires_at": expires_at, "used": False,
            }
        return code

    def create_grant(self, client_id, realm_id, scopes):
        """Start a grant (the result of one code exchange) and return its id."""
        now = self.now()
        grant_id = secrets.token_hex(12)
        with self.lock:
            self.grants[grant_id] = {
                "client_id": client_id, "realm_id": realm_id, "scopes": list(scopes),
                "created_at": now, "hard_expires_at": now + REFRESH_TOKEN_HARD_LIFETIME,
                "refresh_token": None, "revoked": False,
            }
        return grant_id

    def issue_access_token(self, grant_id):
        """Return a new access token of the grant, valid ``ACCESS_TOKEN_LIFETIME`` seconds."""
        token = new_access_token()
        with self.lock:
            self.access_tokens[token] = {"grant_id": grant_id, "expires_at": self.now() + ACCESS_TOKEN_LIFETIME}
        return token

    def issue_refresh_token(self, grant_id):
        """Give the grant a new current refresh token; the previous one starts its grace period."""
        now = self.now()
        token = _new_secret("AB11", now + REFRESH_TOKEN_LIFETIME)
        with self.lock:
            grant = self.grants[grant_id]
            previous = self.refresh_tokens.get(grant["refresh_token"])
            if previous:
                previous["superseded_at"] = now
            self.refresh_tokens[token] = {
                "grant_id": grant_id, "issued_at": now, "expires_at": now + REFRESH_TOKEN_LIFETIME,
                "superseded_at": None,
            }
            grant["refresh_token"] = token
        return token

    def live_grant(self, grant_id):
        """Return the grant if it is neither revoked nor past its hard expiry, else None."""
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant and not grant["revoked"] and self.now() < grant["hard_expires_at"]:
                return grant
        return None

    def grant_for_access_token(self, token):
        """Return ``(grant_id, grant)`` for a valid (known, unexpired, unrevoked) access token, else None."""
        with self.lock:
            record = self.access_tokens.get(token or "")
            if not record or self.now() >= record["expires_at"]:
                return None
            grant = self.live_grant(record["grant_id"])
            return (record["grant_id"], grant) if grant else None

    def revoke_grant(self, grant_id):
        """Kill a grant: all its access and refresh tokens stop working at once."""
        with self.lock:
            self.grants[grant_id]["revoked"] = True

    # ---- Injected faults ----

    def inject_fault(self, status=500, body=b"", content_type="text/plain", count=1,
                     path_contains=None, delay=0.0, after_commit=False, kind=None, method=None, headers=None):
        """Make the next ``count`` matching requests fail.

        :param int status: HTTP status to answer with (ignored when ``kind`` is set)
        :param body: response body (bytes or str)
        :param str content_type: its content type
        :param int count: how many matching requests get the fault
        :param str path_contains: only requests whose path (with query string) contains this text;
            any request outside ``/_sandbox`` when empty
        :param float delay: seconds to really sleep before answering (a client timeout can fire)
        :param bool after_commit: process the request normally (its write is committed), then answer
            with the fault instead of the real response: "QBO did it but the answer was lost"
        :param str kind: a named fault instead of status/body: ``throttle``, ``throttle_xml`` (429 code
            3001), ``authentication`` (401 code 3200), ``authentication_xml`` (401 XML code 100),
            ``authorization`` (403 code 3100) or ``drop`` (close the connection without any answer)
        :param str method: only requests with this HTTP method
        :param dict headers: extra response headers (e.g. ``Retry-After``)
        :return: the queued fault (a dict)
        :raise ValueError: on an unknown kind or a count below 1
        """
        if kind is not None and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if int(count) < 1:
            raise ValueError("count must be at least 1")
        fault = {
            "status": int(status), "body": body.encode() if isinstance(body, str) else bytes(body),
            "content_type": content_type, "count": int(count), "path_contains": path_contains or "",
            "delay": float(delay), "after_commit": bool(after_commit), "kind": kind,
            "method": method.upper() if method else None, "headers": dict(headers or {}),
        }
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method, path):
        """Consume and return the first injected fault matching this request, or None."""
        with self.lock:
            for fault in self.faults:
                if fault["path_contains"] in path and fault["method"] in (None, method):
                    fault["count"] -= 1
                    if not fault["count"]:
                        self.faults.remove(fault)
                    return fault
        return None

    def clear_faults(self):
        """Drop every injected fault not yet used."""
        with self.lock:
            self.faults = []

    # ---- Summary and persistence ----

    def summary(self):
        """Return a JSON-ready overview without any secret or token."""
        with self.lock:
            live = [grant for grant_id, grant in self.grants.items() if self.live_grant(grant_id)]
            return {
                "now": self.clock.now().isoformat(),
                "apps": [
                    {key: app[key] for key in ("client_id", "redirect_uris", "rotation_interval", "grace_period")}
                    for app in self.apps.values()
                ],
                "companies": [
                    {
                        "realm_id": realm_id, "name": company.name, "country": company.country,
                        "home_currency": company.home_currency,
                        "connections": sum(1 for grant in live if grant["realm_id"] == realm_id),
                    }
                    for realm_id, company in self.companies.items()
                ],
                "pending_faults": sum(fault["count"] for fault in self.faults),
            }

    def to_dict(self):
        """Return the whole state (secrets included) as a JSON-ready dict; faults are not kept."""
        with self.lock:
            return {
                "format": STATE_FORMAT,
                "clock_offset": (self.clock.now() - datetime.now(timezone.utc)).total_seconds(),
                "user_sub": self.user_sub,
                "apps": self.apps,
                "companies": {realm_id: company.to_dict() for realm_id, company in self.companies.items()},
                "codes": self.codes,
                "grants": self.grants,
                "access_tokens": self.access_tokens,
                "refresh_tokens": self.refresh_tokens,
            }

    def save(self, path):
        """Write the state to ``path`` as JSON, readable by its owner only (it holds secrets)."""
        data = json.dumps(self.to_dict(), indent=1, sort_keys=True)
        temporary = f"{path}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(data)
        os.replace(temporary, path)

    def load(self, path):
        """Replace this state by the one saved in ``path``.

        :raise ValueError: if the file is not a saved sandbox state
        """
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is not a saved sandbox state (format {STATE_FORMAT})")
        with self.lock:
            self._clear()
            self.clock.reset()
            self.clock.advance(data["clock_offset"])
            self.user_sub = data["user_sub"]
            self.apps = data["apps"]
            self.companies = {
                realm_id: Company.from_dict(company, self.clock) for realm_id, company in data["companies"].items()
            }
            self.codes = data["codes"]
            self.grants = data["grants"]
            self.access_tokens = data["access_tokens"]
            self.refresh_tokens = data["refresh_tokens"]
