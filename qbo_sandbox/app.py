"""The sandbox as a WSGI application: routing, ``intuit_tid``, bearer check, faults, control API."""
import json
import secrets
import socket
import time
from datetime import datetime

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import accounting, faults, limits, oauth, viewer
from .faults import QboFault


def new_intuit_tid():
    """Return a transaction id shaped like Intuit's ``intuit_tid`` header."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _json(status, data):
    return status, {"Content-Type": faults.JSON}, json.dumps(data).encode()


class SandboxApp:
    """WSGI application serving one ``SandboxState``.

    Routes: the OAuth endpoints of ``oauth.py``, ``/v3/company/<realm>/...`` (handed to
    ``accounting.handle`` once the bearer token is checked) and the ``/_sandbox/...`` control API.
    Injected faults apply to every route except the control API.
    """

    def __init__(self, state):
        self.state = state
        self.url_map = Map([
            Rule("/.well-known/openid_configuration", endpoint="discovery", methods=["GET"]),
            Rule("/.well-known/openid_configuration/", endpoint="discovery", methods=["GET"]),
            Rule(oauth.AUTHORIZE_PATH, endpoint="authorize", methods=["GET", "POST"]),
            Rule("/oauth2/v1/tokens/bearer", endpoint="token", methods=["POST"]),
            Rule("/v2/oauth2/tokens/revoke", endpoint="revoke", methods=["POST"]),
            Rule("/v1/openid_connect/userinfo", endpoint="userinfo", methods=["GET"]),
            Rule("/op/v1/jwks", endpoint="jwks", methods=["GET"]),
            Rule("/v3/company/<realm_id>/<path:subpath>", endpoint="accounting"),
            Rule("/app/<page>", endpoint="viewer", methods=["GET"]),
            Rule("/_sandbox/reset", endpoint="control_reset", methods=["POST"]),
            Rule("/_sandbox/apps", endpoint="control_apps", methods=["POST"]),
            Rule("/_sandbox/companies", endpoint="control_companies", methods=["POST"]),
            Rule("/_sandbox/clock", endpoint="control_clock", methods=["POST"]),
            Rule("/_sandbox/faults", endpoint="control_faults", methods=["POST", "DELETE"]),
            Rule("/_sandbox/state", endpoint="control_state", methods=["GET"]),
            Rule("/_sandbox/records", endpoint="control_records", methods=["POST"]),
        ])
        self.handlers = {
            "discovery": oauth.discovery,
            "authorize": oauth.authorize,
            "token": oauth.token,
            "revoke": oauth.revoke,
            "userinfo": oauth.userinfo,
            "jwks": oauth.jwks,
            "viewer": lambda state, request: viewer.page(state, request.path.rsplit("/", 1)[-1], request.args),
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as error:
            response = error.get_response(environ)
        response.headers["intuit_tid"] = new_intuit_tid()
        return response(environ, start_response)

    def dispatch(self, request):
        """Route the request, apply any injected fault, and return a ``Response``."""
        endpoint, values = self.url_map.bind_to_environ(request.environ).match()
        if endpoint.startswith("control_"):
            return self._respond(getattr(self, "_" + endpoint)(request))
        target = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        fault = self.state.take_fault(request.method, target)
        if fault and not fault["after_commit"]:
            time.sleep(fault["delay"])
            return self._fault_response(request, fault)
        if endpoint == "accounting":
            result = self._accounting(request, **values)
        else:
            result = self.handlers[endpoint](self.state, request)
        if fault:
            time.sleep(fault["delay"])
            return self._fault_response(request, fault)
        return self._respond(result)

    @staticmethod
    def _respond(result):
        status, headers, body = result
        return Response(body, status=status, headers=headers)

    def _fault_response(self, request, fault):
        moment = self.state.clock.now()
        kind = fault["kind"]
        if kind == "drop":
            # Close the connection without a byte of answer; Werkzeug treats it as a client drop.
            request.environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("injected fault: connection dropped")
        if kind == "throttle":
            result = faults.throttle_fault(as_xml=False, moment=moment)
        elif kind == "throttle_xml":
            result = faults.throttle_fault(as_xml=True, moment=moment)
        elif kind == "authentication":
            result = faults.authentication_fault(moment=moment)
        elif kind == "authentication_xml":
            result = faults.xml_authentication_fault(moment=moment)
        elif kind == "authorization":
            result = faults.authorization_fault(moment=moment)
        else:
            result = fault["status"], {"Content-Type": fault["content_type"]}, fault["body"]
        status, headers, body = result
        return self._respond((status, {**headers, **fault["headers"]}, body))

    def _accounting(self, request, realm_id, subpath):
        moment = self.state.clock.now()
        token = oauth.bearer_token(request)
        if not token:
            return faults.authentication_fault("Authorization header missing or not a bearer token", moment)
        found = self.state.grant_for_access_token(token)
        if not found:
            return faults.authentication_fault("Token expired or invalid", moment)
        company = self.state.companies.get(realm_id)
        if company is None or found[1]["realm_id"] != realm_id:
            return faults.authorization_fault(moment=moment)
        company.record_request(request.method, subpath, request.args.to_dict(), request.get_data())
        with limits.for_state(self.state).admit(realm_id, found[1]["client_id"], subpath) as throttled:
            if throttled is not None:
                return throttled
            return accounting.handle(
                company, request.method, subpath, request.args.to_dict(), request.get_data(), request.content_type,
            )

    # ---- Control API (JSON; loopback only, no secret ever returned) ----

    @staticmethod
    def _json_body(request):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def _control(self, action):
        """Run ``action()`` and turn a bad input into a 400 JSON error."""
        try:
            return action()
        except (ValueError, TypeError, KeyError) as error:
            return _json(400, {"error": str(error)})

    def _control_reset(self, request):
        self.state.reset()
        return _json(200, self.state.summary())

    def _control_apps(self, request):
        def register():
            data = self._json_body(request)
            app = self.state.register_app(**data)
            return _json(201, {key: value for key, value in app.items() if key != "client_secret"})
        return self._control(register)

    def _control_companies(self, request):
        def create():
            company = self.state.create_company(**self._json_body(request))
            return _json(201, {"realm_id": company.realm_id, "name": company.name})
        return self._control(create)

    def _control_clock(self, request):
        def move():
            data = self._json_body(request)
            if "advance" in data:
                self.state.clock.advance(float(data["advance"]))
            elif "set" in data:
                moment = datetime.fromisoformat(data["set"])
                if moment.tzinfo is None:
                    raise ValueError("'set' needs a time zone, e.g. 2026-01-31T12:00:00+00:00")
                self.state.clock.set(moment)
            elif data.get("reset"):
                self.state.clock.reset()
            else:
                raise ValueError('give {"advance": seconds}, {"set": iso_datetime} or {"reset": true}')
            return _json(200, {"now": self.state.clock.now().isoformat()})
        return self._control(move)

    def _control_faults(self, request):
        if request.method == "DELETE":
            self.state.clear_faults()
            return _json(200, {"pending_faults": 0})

        def inject():
            self.state.inject_fault(**self._json_body(request))
            return _json(201, {"pending_faults": self.state.summary()["pending_faults"]})
        return self._control(inject)

    def _control_records(self, request):
        """Create many records at once, through the API's own rules but outside its rate limits (seeding a
        bench or a demo): ``{"realm_id", "entity", "records": [...]}``; answers their ``Id``s in order."""
        def create():
            data = self._json_body(request)
            company = self.state.companies[data["realm_id"]]
            try:
                ids = [accounting.create(company, data["entity"], record)["Id"] for record in data["records"]]
            except QboFault as fault:
                raise ValueError(fault.body()) from None
            return _json(201, {"ids": ids})
        return self._control(create)

    def _control_state(self, request):
        return _json(200, self.state.summary())
