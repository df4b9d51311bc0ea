"""Fixed values of the QuickBooks Online connection (shared/qbo_api.md sections 1 to 3)."""
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
# Seconds a worker waits for another one refreshing the same company's tokens.
REFRESH_LOCK_TIMEOUT = 45

MAX_REQUESTID_LENGTH = 50
QUERY_PAGE_SIZE = 1000
BATCH_SIZE = 30
# Longest pause between two attempts of one API call, whatever Retry-After says.
MAX_RETRY_DELAY = 60
