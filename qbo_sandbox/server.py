"""Serve a ``SandboxApp`` over HTTP: in a daemon thread (tests) or in the foreground (command line)."""
import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import SandboxApp
from .state import SandboxState

_logger = logging.getLogger("qbo_sandbox")


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging through ``qbo_sandbox`` and only when asked to."""

    log_requests = False

    def log_request(self, code="-", size="-"):
        if self.log_requests:
            _logger.info("%s %s %s", self.command, self.path.split("?")[0], code)

    def log(self, type, message, *args):  # pylint: disable=redefined-builtin
        getattr(_logger, type if type in ("error", "warning") else "debug")(message.rstrip(), *args)


class SandboxServer:
    """A threaded HTTP server for the sandbox, bound at construction (``port=0``: a free port).

    :param str host: interface to listen on
    :param int port: port, 0 for any free one
    :param SandboxState state: the state to serve (a new empty one when None)
    :param bool log_requests: log one INFO line per request on the ``qbo_sandbox`` logger
    """

    def __init__(self, host="127.0.0.1", port=0, state=None, log_requests=False):
        self.state = state if state is not None else SandboxState()
        handler = type("SandboxRequestHandler", (_RequestHandler,), {"log_requests": log_requests})
        self._server = make_server(host, port, SandboxApp(self.state), threaded=True, request_handler=handler)
        self._host = host
        self._thread = None

    @property
    def url(self):
        """Base URL, e.g. ``http://127.0.0.1:8099``."""
        return f"http://{self._host}:{self._server.port}"

    @property
    def discovery_url(self):
        """The URL to pass as ``environment`` to intuit-oauth's ``AuthClient``."""
        return f"{self.url}/.well-known/openid_configuration"

    def start(self):
        """Serve in a daemon thread and return self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"qbo-sandbox-{self._server.port}", daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self):
        """Serve in the current thread until KeyboardInterrupt (Ctrl-C), then close the socket."""
        self._server.serve_forever()

    def stop(self):
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
