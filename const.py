"""Fixed values of the QuickBooks Online connection and of the sync engines.

Sources: Intuit's developer pages cited next to each value.
"""
from datetime import timedelta

from intuitlib.enums import Scopes

# Accounting API hosts; every call goes to <host>/v3/company/<realmId>/...
API_URLS = {
    "production": "https://quickbooks.api.intuit.com",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
}

# OpenID discovery documents (the ones intuit-oauth itself knows).
DISCOVERY_URLS = {
    "production": "https://developer.intuit.com/.well-known/openid_configuration/",
    "sandbox": "https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
}

# Minor versions 1-74 are deprecated since August 2025.
MINOR_VERSION = 75

# The accounting scope alone gives the realmId and the Accounting API.
SCOPES = (Scopes.ACCOUNTING,)

CALLBACK_ROUTE = "/quickbooks/oauth/callback"
WEBHOOK_ROUTE = "/quickbooks/webhook"

# Refresh the access token when fewer than this many seconds remain.
REFRESH_MARGIN = 300
# Lifetimes Intuit documents, used when a token response omits them.
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 8726400

# The signed OAuth state is valid this many seconds.
OAUTH_STATE_LIFETIME = 600
OAUTH_HMAC_SCOPE = "quickbooks_oauth"

# Seconds a fetched discovery document is reused in this process.
DISCOVERY_CACHE_TTL = 6 * 3600

# HTTP timeouts in seconds: token endpoint and Accounting API.
OAUTH_TIMEOUT = 20
API_TIMEOUT = 30
# Seconds a worker waits for another one writing the same company's connection (e.g. refreshing its tokens).
REFRESH_LOCK_TIMEOUT = 45
# Fresh transactions tried when a connection write meets a serialization failure.
CONNECTION_COMMIT_ATTEMPTS = 3
# Seconds the QuickBooks company's settings read last are trusted before an export reads them again.
PREFERENCES_TTL = 300
# System parameter: "False" turns the pacing of QuickBooks calls off (the test suite's sandbox has no limits).
PACING_PARAMETER = "quickbooks_connector.pace_requests"

MAX_REQUESTID_LENGTH = 50
QUERY_PAGE_SIZE = 1000
BATCH_SIZE = 30
# Longest pause between two attempts of one API call, whatever Retry-After says.
MAX_RETRY_DELAY = 60

# Groups of the QuickBooks roles (security/qbo_security.xml), by role name.
USER_GROUP = "quickbooks_connector.group_qbo_user"
MANAGER_GROUP = "quickbooks_connector.group_qbo_manager"
ADMIN_GROUP = "base.group_system"
ROLE_GROUPS = {"user": USER_GROUP, "manager": MANAGER_GROUP, "admin": ADMIN_GROUP}

# Intuit error codes the connector acts on
# (https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes).
NOT_FOUND = "610"  # Object Not Found: deleted in QuickBooks
STALE_OBJECT = "5010"  # Stale Object Error: the SyncToken sent is not the current one
DUPLICATE_NAME = "6240"  # Duplicate Name Exists Error: customers, vendors and employees share names
THROTTLED = "3001"  # ThrottleExceeded: too many requests (retried)
INVALID_PROPERTY = "2010"  # Request has invalid or unsupported property
INVALID_REFERENCE = "2500"  # Invalid Reference Id: a reference to an unknown (or inactive) record
DUPLICATE_DOC_NUMBER = "6140"  # Duplicate Document Number Error
COMPANY_STATUS = "6190"  # Invalid Company Status: the subscription ended or has a billing problem
PERIOD_CLOSED = "6210"  # Account Period Closed
# General Authentication Error, Authorization Failure (the connecting admin lost rights), AuthorizationFailed
# (token of another realm or scope), AuthenticationFailed (bad or expired token): only a reconnection helps.
AUTHENTICATION_FAULTS = ("100", "120", "3100", "3200")

# Each pull starts this much before its cursor: changes committed in QuickBooks while the last read ran
# (QuickBooks stamps to the second).
CURSOR_OVERLAP = timedelta(minutes=5)
# Change data capture looks back 30 days at most
# (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture).
CDC_WINDOW = timedelta(days=29)

# Automatic attempts of an export that failed for a temporary reason (throttling, outage, lost
# answer), and the minutes before each next one.
MAX_ATTEMPTS = 5
RETRY_DELAYS = (1, 5, 15, 60)

# qbo.mapping entities of the links expenses add: an Odoo expense product is the category of a
# QuickBooks expense account; an Odoo analytic account is a QuickBooks project or customer.
CATEGORY_ENTITY = "ExpenseCategory"
PROJECT_ENTITY = "Project"

# Largest webhook body accepted: a notification names changed records only (ids, operations and
# times, about 150 bytes an event), so even hundreds of events stay far below this.
WEBHOOK_MAX_BYTES = 1024 * 1024

# Bulk actions on more documents than this ask for a confirmation with the count first (as Odoo's
# own Print & Send does).
BULK_CONFIRM_THRESHOLD = 50
# Bus notification telling open lists and forms that QuickBooks states of a model's records changed.
REFRESH_NOTIFICATION = "quickbooks_connector/refresh"
