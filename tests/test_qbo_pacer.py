import threading
import time
import uuid

from odoo import sql_db
from odoo.tests import BaseCase, get_db_name, tagged

from ..const import PACING_PARAMETER
from ..qbo_client import QboApiError, QboClient
from ..qbo_pacer import BLOCK_MAX, HOLD, INTUIT_LIMITS, MARGIN, RequestPacer, SharedBudget, margin
from ..qbo_sandbox import limits
from .common import QboTestCommon
from .common_sandbox import SandboxClientCommon


def connect():
    """A cursor of its own on the test database, as each Odoo process has."""
    return sql_db.db_connect(get_db_name()).cursor()


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
    """Processes booking in one realm's shared budget keep a burst within Intuit's rate limits, by waiting."""

    def setUp(self):
        super().setUp()
        self.time = FakeTime()
        self.key = f"test {uuid.uuid4().hex}"
        self.addCleanup(self.budget().reset)
        self.pacer = self.process()

    def budget(self, limits=INTUIT_LIMITS):
        return SharedBudget(connect, self.key, limits=limits, clock=self.time.clock)

    def process(self, limits=INTUIT_LIMITS):
        """A pacer of its own over the shared budget, as each Odoo worker has."""
        return RequestPacer(self.budget(limits), clock=self.time.clock, sleep=self.time.sleep)

    def sent_at(self, count, batch=False, pacers=None):
        pacers = pacers or [self.pacer]
        times = []
        for index in range(count):
            pacers[index % len(pacers)].wait(batch=batch)
            times.append(self.time.now)
        return times

    def assert_within(self, times, calls, window):
        """No window of that length (counting each call over its slot's hold) holds more than ``calls``."""
        times = sorted(times)
        for index in range(len(times) - calls):
            self.assertGreater(times[index + calls] - times[index], window + HOLD)

    def test_ten_a_second(self):
        """The 11th call of a burst leaves one second (plus the hold and the margin) after the first."""
        times = self.sent_at(25)
        self.assertEqual(times[:10], [1000.0] * 10)
        self.assertAlmostEqual(times[10], 1001.0 + HOLD + MARGIN)
        self.assertAlmostEqual(times[20], 1002.0 + 2 * (HOLD + MARGIN))
        self.assert_within(times, 10, 1.0)

    def test_processes_share_the_windows(self):
        """Three processes calling one realm in turn, and a fourth one joining: together at most 10 a second."""
        pacers = [self.process() for _index in range(3)]
        times = self.sent_at(40, pacers=pacers)
        times += self.sent_at(20, pacers=[self.process()] + pacers)
        self.assert_within(times, 10, 1.0)
        # ...and hardly slower than the windows ask: 60 calls in 6 one-second windows, plus at most one
        # window's worth of slots that expired, unused, in the processes that had booked them.
        self.assertLessEqual(times[-1] - times[0], 6 * (1.0 + HOLD + MARGIN) + 1e-6)

    def test_processes_threads_and_database_connections(self):
        """Four threads with a pacer each (a connection each) on the real clock: the windows hold."""
        limits = ((0.5, 4, False),)
        sent = []
        lock = threading.Lock()

        def run():
            pacer = RequestPacer(SharedBudget(connect, self.key, limits=limits))
            for _index in range(6):
                pacer.wait()
                with lock:
                    sent.append(time.monotonic())

        threads = [threading.Thread(target=run) for _index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(sent), 24)
        sent.sort()
        for index in range(len(sent) - 4):
            self.assertGreater(sent[index + 4] - sent[index], 0.5)

    def test_forty_batch_calls_a_minute(self):
        """The 41st batch call waits for the minute window; plain calls share only the general windows."""
        times = self.sent_at(41, batch=True)
        self.assertAlmostEqual(times[40], 1060.0 + HOLD + margin(60.0))
        self.assertAlmostEqual(margin(60.0), MARGIN + 0.6)
        self.assertLess(times[39], 1006.0)

    def test_batch_call_waiting_holds_no_other_call(self):
        """While a batch call waits for the batch window, plain calls of the realm still leave at once."""
        limits = ((1.0, 10, False), (1.0, 1, True))
        waiting_pacer = RequestPacer(SharedBudget(connect, self.key, limits=limits))
        self.assertEqual(waiting_pacer.wait(batch=True), 0.0)
        waiting = threading.Thread(target=waiting_pacer.wait, kwargs={"batch": True})
        waiting.start()
        time.sleep(0.1)
        start = time.monotonic()
        self.assertEqual(RequestPacer(SharedBudget(connect, self.key, limits=limits)).wait(), 0.0)
        self.assertLess(time.monotonic() - start, 0.5)  # booking only, far from the batch call's second
        self.assertTrue(waiting.is_alive())
        waiting.join()
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_batch_slot_booked_only_when_free(self):
        """An export asks for a batch call's slot: none while the realm's batch calls of the minute are
        booked by another process (and no round trip to the database until one may be free); then the
        slot is booked, and the batch call that follows takes it without waiting longer."""
        other = self.process()
        budget = self.budget()
        budget.book(True, 1)
        self.time.now += 10
        budget.book(True, 39)  # the minute's 40 batch calls: the first frees its place 10 s before the others
        asked = []
        book = self.pacer.budget.book
        self.pacer.budget.book = lambda *args, **kwargs: asked.append(args) or book(*args, **kwargs)
        self.assertFalse(self.pacer.book_batch(within=0.5))
        self.assertFalse(self.pacer.book_batch(within=0.5))
        self.assertEqual(len(asked), 1)
        free = 1000.0 + 60.0 + margin(60.0) + HOLD  # the first of the 40 slots leaves the minute's window
        self.time.now = free - 0.6
        self.assertFalse(self.pacer.book_batch(within=0.5))
        self.assertEqual(len(asked), 1)
        self.time.now = free - 0.4
        self.assertTrue(self.pacer.book_batch(within=0.5))
        self.assertFalse(other.book_batch(within=0.5), "the one slot free is taken, for every process")
        self.assertAlmostEqual(self.pacer.wait(batch=True), 0.4)
        self.assertEqual([args[0] for args in asked], [True, True, False])

    def test_five_hundred_a_minute(self):
        """Plain calls: at most 500 in any minute, even at 10 a second, booked a few at a time."""
        times = self.sent_at(501)
        self.assertGreater(times[500] - times[0], 60.0)
        self.assertLess(times[499] - times[0], 60.0)
        self.assert_within(times, 500, 60.0)
        # One booking per block: 501 calls cost far fewer round trips to the database.
        self.assertLess(self.pacer.bookings, 501 / (BLOCK_MAX - 2))

    def test_slots_are_not_used_late(self):
        """A process that stops calling for a while does not use the slots it booked before: it books anew."""
        self.sent_at(12)
        bookings, block = self.pacer.bookings, self.pacer.block[False]
        self.assertEqual(len(self.pacer.slots[False]), 3)  # blocks of 1, 2, 3, 4 and 5 slots
        self.time.now += 5
        self.assertEqual(self.pacer.wait(), 0.0)
        self.assertEqual(self.pacer.bookings, bookings + 1)
        self.assertLess(self.pacer.block[False], block)

    def test_thread_waking_late_takes_another_slot(self):
        """A thread that wakes up after its slot's hold (a loaded machine) does not call on that slot,
        which the windows counted earlier: it books another one, starting when it is there."""
        self.sent_at(10)
        bookings = self.pacer.bookings

        def late_sleep(seconds):
            self.time.sleep(seconds + 0.5)
            self.pacer.sleep = self.time.sleep

        self.pacer.sleep = late_sleep
        self.pacer.wait()
        slot = 1001.0 + HOLD + MARGIN  # the 11th call's slot, which the thread overslept
        self.assertAlmostEqual(self.time.now, slot + 0.5)
        self.assertEqual(self.pacer.bookings, bookings + 2, "the late thread booked a slot of its own")

    def test_a_pause_holds_every_process(self):
        """QuickBooks asks one process for a pause: the others' next calls wait for it too."""
        other = self.process()
        self.sent_at(3, pacers=[self.pacer, other])
        self.pacer.pause(30)
        start = self.time.now
        other.wait()
        self.assertAlmostEqual(self.time.now, start + 30)
        self.process().wait(batch=True)
        self.assertGreaterEqual(self.time.now, start + 30)


@tagged("post_install", "-at_install")
class TestThrottledRealm(SandboxClientCommon):
    """A 429 from QuickBooks pauses the realm for every process by what its Retry-After asks."""

    def test_retry_after_pauses_the_realm(self):
        self.addCleanup(self.sandbox.clear_faults)
        clock = FakeTime()
        key = f"test {uuid.uuid4().hex}"

        def process():
            return RequestPacer(SharedBudget(connect, key, clock=clock.clock), clock=clock.clock, sleep=clock.sleep)

        self.addCleanup(SharedBudget(connect, key).reset)

        def client(**options):
            return QboClient(self.sandbox_server.url, self.realm_id, lambda: self.auth.access_token,
                             sleep=clock.sleep, pacer=process(), **options)

        # The answer is a 429 and the call is given up: another process's next call waits all the same.
        self.sandbox.inject_fault(kind="throttle", headers={"Retry-After": "7"}, path_contains="/companyinfo/")
        with self.assertRaises(QboApiError):
            client(max_retries=0).company_info()
        self.assertAlmostEqual(process().wait(), 7.0)
        # Retried: the client waits once, on its pacer, for the pause (not twice), then succeeds.
        clock.sleeps.clear()
        self.sandbox.inject_fault(kind="throttle", headers={"Retry-After": "7"}, path_contains="/companyinfo/")
        self.assertEqual(client().company_info()["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(clock.sleeps, [7.0])


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
