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

    Calls leave in the order they were booked: a batch call waiting for the batch window holds the
    calls booked after it, which keeps every window simple and exact.

    :param limits: ``(window, calls, batch_only)`` triples
    :param clock: monotonic clock (tests pass their own)
    :param sleep: the pause function (tests pass a recorder)
    """

    def __init__(self, limits=INTUIT_LIMITS, clock=time.monotonic, sleep=time.sleep):
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.windows = [deque() for _limit in limits]
        self.last = float("-inf")

    def reset(self):
        """Forget the calls booked so far (the bench does, once its set-up calls are long past)."""
        with self.lock:
            self.windows = [deque() for _limit in self.limits]
            self.last = float("-inf")

    def wait(self, batch=False):
        """Book the earliest moment all the windows allow one more call, and wait until then.

        :return: the seconds waited
        """
        with self.lock:
            now = self.clock()
            start = max(now, self.last)
            applying = [(window, calls, sent) for (window, calls, batch_only), sent in zip(self.limits, self.windows)
                        if batch or not batch_only]
            for window, calls, sent in applying:
                while sent and sent[0] <= now - window:
                    sent.popleft()
                if len(sent) >= calls:
                    start = max(start, sent[len(sent) - calls] + window + MARGIN)
            for _window, _calls, sent in applying:
                sent.append(start)
            self.last = start
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)
