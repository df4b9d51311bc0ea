"""The demo seed: the app the offline demo connects with and one US company to connect to.

These are demo values for a sandbox on loopback, not secrets.
"""
DEMO_CLIENT_ID = "quickbooks-demo-client"
DEMO_CLIENT_SECRET = "quickbooks-demo-secret"
DEMO_REDIRECT_URIS = [
    "http://127.0.0.1:8069/quickbooks/oauth/callback",
    "http://localhost:8069/quickbooks/oauth/callback",
]
DEMO_REALM_ID = "9341453000000001"
DEMO_COMPANY_NAME = "Sandbox Company_US_1"


def seed_demo(state):
    """Register the demo app and create the demo company unless it exists (e.g. loaded from a file).

    :param SandboxState state: the sandbox to seed
    :return: the demo ``Company``
    """
    state.register_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS)
    with state.lock:
        company = state.companies.get(DEMO_REALM_ID)
        if company is None:
            company = state.create_company(DEMO_REALM_ID, DEMO_COMPANY_NAME, country="US", home_currency="USD")
    return company
