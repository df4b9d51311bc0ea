"""Keeps one Odoo process's calls to a QuickBooks realm within Intuit's rate limits, by waiting.

Intuit's "API call limits and throttles" page
(https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles) allows, per realm and
app, 10 requests in any second, 500 in any minute and 40 batch calls in any minute; beyond, the
answer is a 429 and Intuit asks for a 60-second pause. Waiting the few milliseconds that keep a burst
within the limits costs far less. Several Odoo processes do not share their pacers: a 429 remains
possible there, and the client retries it. No ORM here.
"""
import threading
import time
from collections import deque

# (window in seconds, calls allowed in it, batch calls only)
INTUIT_LIMITS = ((1.0, 10, False), (60.0, 500, False), (60.0, 40, True))
# Seconds added to each window: a call's way to Intuit varies by some milliseconds.
MARGIN = 0.1

_PACERS = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(base_url, realm_id):
    """Return this process's pacer of a realm (created on first use)."""
    key = (base_url.rstrip("/"), str(realm_id))
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = RequestPacer()
        return pacer


class RequestPacer:
    """Sliding windows of the calls sent (or booked) to one realm; ``wait`` books the next free slot.

    A batch call first books its place in the batch windows, waits for it, then books a place in the
    windows of all calls, as any call does. A batch call waiting a minute for the batch window thus
    holds no other call; within each stage, calls leave in the order they booked, which keeps each
    window simple. (A batch call's place in the batch window is the moment it booked, up to a second
    before it leaves when the other windows are full too; a 429 from that is retried by the client.)

    :param limits: ``(window, calls, batch_only)`` triples
    :param clock: monotonic clock (tests pass their own)
    :param sleep: the pause function (tests pass a recorder)
    """

    def __init__(self, limits=INTUIT_LIMITS, clock=time.monotonic, sleep=time.sleep):
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget the calls booked so far (the bench does, once its set-up calls are long past)."""
        with self.lock:
            self.stages = {
                batch_only: {"windows": [(window, calls, deque()) for window, calls, only in self.limits
                                         if only == batch_only],
                             "last": float("-inf")}
                for batch_only in (True, False)
            }

    def wait(self, batch=False):
        """Wait until the windows allow one more call (a batch call: the batch windows too).

        :return: the seconds waited
        """
        waited = self._book(self.stages[True]) if batch else 0.0
        return waited + self._book(self.stages[False])

    def _book(self, stage):
        """Book the earliest moment the stage's windows allow one more call, and wait until then."""
        with self.lock:
            now = self.clock()
            start = max(now, stage["last"])
            for window, calls, sent in stage["windows"]:
                while sent and sent[0] <= now - window:
                    sent.popleft()
                if len(sent) >= calls:
                    start = max(start, sent[len(sent) - calls] + window + MARGIN)
            for _window, _calls, sent in stage["windows"]:
                sent.append(start)
            stage["last"] = start
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)
