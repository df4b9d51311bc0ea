"""A clock the tests can move: token expiry, MetaData timestamps and cursors all read it."""
import threading
from datetime import datetime, timedelta, timezone


class SandboxClock:
    """Wall-clock time plus an offset that tests can advance or set."""

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = timedelta()

    def now(self):
        """Return the sandbox's current time as an aware UTC datetime."""
        with self._lock:
            return datetime.now(timezone.utc) + self._offset

    def timestamp(self):
        """Return the sandbox's current time as seconds since the epoch."""
        return self.now().timestamp()

    def advance(self, seconds):
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def set(self, moment):
        """Make ``now()`` return ``moment`` (an aware datetime) from here on."""
        with self._lock:
            self._offset = moment - datetime.now(timezone.utc)

    def reset(self):
        """Go back to real time."""
        with self._lock:
            self._offset = timedelta()
