import threading
import time

from odoo.tests import BaseCase, tagged

from ..const import PACING_PARAMETER
from ..qbo_pacer import MARGIN, RequestPacer
from ..qbo_sandbox import limits
from .common import QboTestCommon


class FakeTime:
    """A clock that only moves when the pacer sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@tagged("post_install", "-at_install")
class TestRequestPacer(BaseCase):
    """The pacer keeps a burst within Intuit's rate limits by waiting, in booking order."""

    def setUp(self):
        super().setUp()
        self.time = FakeTime()
        self.pacer = RequestPacer(clock=self.time.clock, sleep=self.time.sleep)

    def sent_at(self, count, batch=False):
        times = []
        for _index in range(count):
            self.pacer.wait(batch=batch)
            times.append(self.time.now)
        return times

    def test_ten_a_second(self):
        """The 11th call of a burst leaves one second (and the margin) after the first; no window is exceeded."""
        times = self.sent_at(25)
        self.assertEqual(times[:10], [1000.0] * 10)
        self.assertAlmostEqual(times[10], 1001.0 + MARGIN)
        self.assertAlmostEqual(times[20], 1002.0 + 2 * MARGIN)
        for index in range(len(times) - 10):
            self.assertGreater(times[index + 10] - times[index], 1.0)

    def test_forty_batch_calls_a_minute(self):
        """The 41st batch call waits for the minute window; plain calls share only the general windows."""
        times = self.sent_at(41, batch=True)
        self.assertAlmostEqual(times[40], 1060.0 + MARGIN)
        self.assertLess(times[39], 1005.0)

    def test_batch_call_waiting_holds_no_other_call(self):
        """While a batch call waits for the batch window, plain calls still leave at once."""
        pacer = RequestPacer(limits=((1.0, 10, False), (1.0, 1, True)))
        self.assertEqual(pacer.wait(batch=True), 0.0)
        waiting = threading.Thread(target=pacer.wait, kwargs={"batch": True})
        waiting.start()
        time.sleep(0.1)
        start = time.monotonic()
        self.assertEqual(pacer.wait(), 0.0)
        self.assertLess(time.monotonic() - start, 0.1)
        self.assertTrue(waiting.is_alive())
        waiting.join()
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_five_hundred_a_minute(self):
        """Plain calls: at most 500 in any minute, even at 10 a second."""
        times = self.sent_at(501)
        self.assertGreater(times[500] - times[0], 60.0)
        self.assertLess(times[499] - times[0], 60.0)


@tagged("post_install", "-at_install")
class TestPacingAgainstSandbox(QboTestCommon):
    """Against the sandbox with Intuit's limits on, a paced burst is never refused; an unpaced one is."""

    def test_paced_burst_is_never_throttled(self):
        limiter = limits.for_state(self.sandbox)
        self.addCleanup(limiter.configure, **limits.DEFAULTS)
        limiter.configure(enabled=True)
        throttled = limiter.count(self.realm_id, "throttled")
        time.sleep(1.1)  # the calls of the connection, unpaced, leave the sandbox's one-second window
        self.env["ir.config_parameter"].set_param(PACING_PARAMETER, "True")
        client = self.company._qbo_get_client()
        start = time.monotonic()
        names = {client.read("CompanyInfo", self.realm_id)["CompanyName"] for _index in range(25)}
        self.assertEqual(names, {self.company.qbo_company_name})
        self.assertGreater(time.monotonic() - start, 2.0)
        self.assertEqual(limiter.count(self.realm_id, "throttled"), throttled)
        # The same burst unpaced, a second later: refused beyond 10 in a second (then retried by the client).
        time.sleep(1.1)
        self.env["ir.config_parameter"].set_param(PACING_PARAMETER, "False")
        client = self.company._qbo_get_client()
        self.assertIsNone(client.pacer)
        for _index in range(12):
            client.read("CompanyInfo", self.realm_id)
        self.assertGreater(limiter.count(self.realm_id, "throttled"), throttled)
