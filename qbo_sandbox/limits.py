"""Intuit's throttles on the Accounting API, switchable, and a count of the requests answered.

As Intuit's "API call limits and throttles" page gives them
(https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles), per realm and app:
at most 10 requests in any second and 500 in any 60 seconds (batch calls included), at most 40 batch
calls in any 60 seconds, and per realm, whatever the app, at most 120 batch calls in any 60 seconds;
with, from Intuit's 2016 announcement, at most 10 requests in flight per realm and app. Over a limit
the answer is HTTP 429 with Fault 3001 ``ThrottleExceeded``. Intuit does not document a
``Retry-After`` header; the sandbox sends one (seconds until a slot frees) unless told not to.

Limits are off by default so that tests run fast; ``latency`` is the simulated response time of
every request (the network and Intuit's own processing): a request is answered no sooner than
``latency`` seconds after it was admitted, the sandbox's processing included, and holds its
in-flight slot all that time. Windows use real time (not the sandbox clock, which tests move); the
minute windows last ``window`` seconds, the second window one second, and hold the calls admitted
while limits are on (off, nothing piles up in them). The counts are kept whether limits are on or not.

Usage: ``limits.for_state(state).configure(enabled=True, latency=0.05)``; ``app.py`` wraps each
Accounting API request in ``with limiter.admit(realm_id, client_id, subpath) as refusal``.
"""
import math
import threading
import time
import weakref
from collections import Counter, deque
from contextlib import contextmanager

from . import faults

DEFAULTS = {
    "enabled": False,
    "per_second": 10,
    "per_minute": 500,
    "batch_per_minute": 40,
    "realm_batch_per_minute": 120,
    "concurrent": 10,
    "window": 60.0,
    "retry_after": True,
    "latency": 0.0,
}

_LIMITERS = weakref.WeakKeyDictionary()
_LIMITERS_LOCK = threading.Lock()


def for_state(state):
    """Return the ``Limiter`` of a ``SandboxState`` (created on first use)."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(state)
        if limiter is None:
            limiter = _LIMITERS[state] = Limiter()
        return limiter


class Limiter:
    """Sliding windows and in-flight counts per ``(realm id, client id)`` (the realm's batch window: per
    realm id), and request counts per realm."""

    def __init__(self, **settings):
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.configure(**settings)
        self.reset()

    def configure(self, **settings):
        """Change the limits (``DEFAULTS`` keys); returns the settings now in force.

        :raise ValueError: on an unknown setting or a value that is not a positive number
        """
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown limit settings: {', '.join(sorted(unknown))}")
        for key, value in settings.items():
            if key in ("enabled", "retry_after"):
                value = bool(value)
            else:
                value = float(value)
                if value < 0 or (key != "latency" and value <= 0):
                    raise ValueError(f"{key} must be a positive number")
            with self.lock:
                self.settings[key] = value
        return dict(self.settings)

    def reset(self):
        """Forget the windows and the counts."""
        with self.lock:
            self._calls = {}
            self._recent_calls = {}
            self._batch_calls = {}
            self._realm_batch_calls = {}
            self._in_flight = Counter()
            self.counts = Counter()  # (realm id, "batch" | "other" | "throttled") -> requests

    def count(self, realm_id, kind=None):
        """Return how many requests of a realm were answered (``kind``: batch, other or throttled)."""
        with self.lock:
            if kind:
                return self.counts[(str(realm_id), kind)]
            return self.counts[(str(realm_id), "batch")] + self.counts[(str(realm_id), "other")]

    @contextmanager
    def admit(self, realm_id, client_id, subpath):
        """Admit one request: yields None (the slot is held until the block ends) or a 429 response.

        :param str realm_id: the realm of the request
        :param str client_id: the app the token belongs to
        :param str subpath: the path below the realm (``batch`` counts against the batch window too)
        """
        key = (str(realm_id), str(client_id))
        batch = subpath.strip("/") == "batch"
        refusal = self._enter(key, batch)
        if refusal is not None:
            yield refusal
            return
        admitted = time.monotonic()
        try:
            yield None
        finally:
            # The answer leaves once the simulated response time has passed (processing included).
            remaining = self.settings["latency"] - (time.monotonic() - admitted)
            if remaining > 0:
                time.sleep(remaining)
            with self.lock:
                self._in_flight[key] -= 1

    def _enter(self, key, batch):
        with self.lock:
            settings = self.settings
            now = time.monotonic()
            if settings["enabled"]:
                window = settings["window"]
                waits = [self._window_wait(self._calls, key, now, settings["per_minute"], window),
                         self._window_wait(self._recent_calls, key, now, settings["per_second"], 1.0)]
                if batch:
                    waits += [self._window_wait(self._batch_calls, key, now, settings["batch_per_minute"], window),
                              self._window_wait(self._realm_batch_calls, key[0], now,
                                                settings["realm_batch_per_minute"], window)]
                wait = max(waits)
                if self._in_flight[key] >= settings["concurrent"]:
                    wait = max(wait, 1.0)
                if wait:
                    self.counts[(key[0], "throttled")] += 1
                    status, headers, body = faults.throttle_fault()
                    if settings["retry_after"]:
                        headers = dict(headers, **{"Retry-After": str(max(1, math.ceil(wait)))})
                    return status, headers, body
                self._calls.setdefault(key, deque()).append(now)
                self._recent_calls.setdefault(key, deque()).append(now)
                if batch:
                    self._batch_calls.setdefault(key, deque()).append(now)
                    self._realm_batch_calls.setdefault(key[0], deque()).append(now)
            self._in_flight[key] += 1
            self.counts[(key[0], "batch" if batch else "other")] += 1
            return None

    @staticmethod
    def _window_wait(windows, key, now, limit, window):
        """Seconds until the ``window``-second window of ``key`` has room for one more call (0: room now)."""
        calls = windows.setdefault(key, deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) < limit:
            return 0.0
        return calls[len(calls) - int(limit)] + window - now
