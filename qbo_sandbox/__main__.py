"""Command line: ``python -m qbo_sandbox [--host H] [--port P] [--demo] [--state-file FILE]``."""
import argparse
import logging
import os
import signal
import sys

from . import webhooks
from .demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, seed_demo
from .server import SandboxServer
from .state import SandboxState

DEFAULT_PORT = 8099


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m qbo_sandbox",
        description="A local QuickBooks Online sandbox: Intuit's OAuth 2.0 and Accounting API v3 on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("QBO_SANDBOX_PORT") or DEFAULT_PORT),
        help=f"port (default $QBO_SANDBOX_PORT or {DEFAULT_PORT})",
    )
    parser.add_argument("--demo", action="store_true", help="register the demo app and create the demo company")
    parser.add_argument(
        "--odoo-port", type=int, metavar="PORT",
        help="the demo app also accepts Odoo's callback on this port (default: 8069 only)",
    )
    parser.add_argument(
        "--state-file", metavar="PATH",
        help="load the state from PATH when it exists, save it there on exit (the file holds secrets)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    state = SandboxState()
    if arguments.state_file and os.path.exists(arguments.state_file):
        state.load(arguments.state_file)
        print(f"Loaded the sandbox state from {arguments.state_file}")
    if arguments.demo:
        company = seed_demo(state, arguments.odoo_port)
    server = SandboxServer(arguments.host, arguments.port, state, log_requests=True)
    print(f"QuickBooks Online sandbox on {server.url}")
    print(f"  discovery URL (AuthClient environment): {server.discovery_url}")
    if arguments.demo:
        print(f"  demo app: client id {DEMO_CLIENT_ID}, client secret {DEMO_CLIENT_SECRET}")
        print(f"  redirect URIs: {', '.join(state.apps[DEMO_CLIENT_ID]['redirect_uris'])}")
        print(f"  demo company: {company.name} (realm id {company.realm_id})")
    print("Press Ctrl-C to stop.", flush=True)
    # SIGTERM stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    webhooks.for_state(state).start()  # apps registered with a webhook_url get notifications
    server.serve_forever()
    if arguments.state_file:
        state.save(arguments.state_file)
        print(f"Saved the sandbox state to {arguments.state_file}")
    print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
