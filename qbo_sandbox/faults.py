"""Fault bodies exactly as Intuit sends them (shared/qbo_api.md section 4).

Each builder returns ``(status, headers, body_bytes)``; the WSGI layer adds ``intuit_tid``.
"""
import json
from datetime import datetime, timezone

JSON = "application/json;charset=UTF-8"
XML = "application/xml"

# code -> (HTTP status, Message) for the service faults the sandbox raises.
SERVICE_FAULTS = {
    "500": (400, "Unsupported Operation"),
    "610": (400, "Object Not Found"),
    "2010": (400, "Request has invalid or unsupported property"),
    "2020": (400, "Required param missing, need to supply the required value for the API"),
    "2050": (400, "String length is either shorter or longer than supported by specification"),
    "2170": (400, "Invalid Enumeration"),
    "2500": (400, "Invalid Reference Id"),
    "4000": (400, "Error parsing query"),
    "4001": (400, "Invalid query"),
    "5010": (400, "Stale Object Error"),
    "6000": (400, "A business validation error has occurred while processing your request"),
    "6140": (400, "Duplicate Document Number Error"),
    "6150": (400, "ParentRef Required Error"),
    "6210": (400, "Account Period Closed, cannot update through Services API"),
    "6240": (400, "Duplicate Name Exists Error"),
    "6540": (400, "Deposited Transaction cannot be changed"),
    "10000": (500, "An application error has occurred while processing your request"),
}


def intuit_time(moment=None):
    """Format a time as Intuit does in ``time`` fields: ISO 8601 with milliseconds and offset."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone().isoformat(timespec="milliseconds")


class QboFault(Exception):
    """Raised inside the sandbox to answer with an Intuit service fault.

    :param str code: Intuit error code as a string, e.g. ``"6240"``
    :param str detail: the Detail text
    :param str element: the element the fault is about, if any
    :param str fault_type: ``ValidationFault`` (default), ``SystemFault``, ...
    """

    def __init__(self, code, detail, element="", fault_type="ValidationFault", message=None, status=None):
        super().__init__(f"{code}: {detail}")
        self.code = str(code)
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        known_status, known_message = SERVICE_FAULTS.get(self.code, (400, "Error"))
        self.message = message or known_message
        self.status = status or known_status

    def error(self):
        """Return this fault as one element of ``Fault.Error``."""
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}

    def body(self, moment=None):
        """Return the JSON-ready ``{"Fault": ..., "time": ...}`` document."""
        return {"Fault": {"Error": [self.error()], "type": self.fault_type}, "time": intuit_time(moment)}

    def response(self, moment=None):
        """Return ``(status, headers, body)`` for this fault."""
        return self.status, {"Content-Type": JSON}, json.dumps(self.body(moment)).encode()


def authentication_fault(detail="Token expired or invalid", moment=None):
    """401 for a missing, expired or revoked access token (gateway shape, code 3200)."""
    body = {
        "warnings": None,
        "intuitObject": None,
        "fault": {"error": [{
            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "detail": detail,
            "code": "3200",
            "element": None,
        }], "type": "AUTHENTICATION"},
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int((moment or datetime.now(timezone.utc)).timestamp() * 1000),
        "status": None,
        "cdcresponse": [],
    }
    return 401, {"Content-Type": JSON, "WWW-Authenticate": 'Bearer realm="Intuit"'}, json.dumps(body).encode()


def authorization_fault(detail="Token is not authorized for this company", moment=None):
    """403 for a valid token used on another realm (gateway shape, code 3100)."""
    status, headers, raw = authentication_fault(detail, moment)
    body = json.loads(raw)
    body["fault"] = {"error": [{
        "message": "message=AuthorizationFailed; errorCode=003100; statusCode=403",
        "detail": detail,
        "code": "3100",
        "element": None,
    }], "type": "SERVICE"}
    return 403, {"Content-Type": JSON}, json.dumps(body).encode()


def throttle_fault(as_xml=False, moment=None):
    """429 ThrottleExceeded (code 3001); Intuit has been seen sending it as XML."""
    message = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    detail = "The request limit was reached.  Try again later"
    if as_xml:
        body = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{intuit_time(moment)}">'
            f'<Fault type="SERVICE"><Error code="3001"><Message>{message}</Message>'
            f'<Detail>{detail}</Detail></Error></Fault></IntuitResponse>'
        )
        return 429, {"Content-Type": XML}, body.encode()
    fault = QboFault("3001", detail, fault_type="SERVICE", message=message, status=429)
    return fault.response(moment)


def xml_authentication_fault(moment=None):
    """401 General Authentication Error (code 100) as the XML body Intuit sometimes sends."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{intuit_time(moment)}">'
        '<Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message>'
        '<Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail>'
        '</Error></Fault></IntuitResponse>'
    )
    return 401, {"Content-Type": XML}, body.encode()


def oauth_error(error, description=None, status=400):
    """Token-endpoint error body, e.g. ``{"error": "invalid_grant", ...}``."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return status, {"Content-Type": JSON}, json.dumps(body).encode()
