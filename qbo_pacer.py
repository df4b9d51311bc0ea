"""Keeps every Odoo process's calls to a QuickBooks realm within Intuit's rate limits, by waiting.

Intuit's "API call limits and throttles" page
(https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles) allows, per realm and
app, 10 requests in any second, 500 in any minute and 40 batch calls in any minute; beyond, the
answer is a 429 and Intuit asks for a 60-second pause. Waiting the few milliseconds that keep a burst
within the limits costs far less.

The limits are per realm, whatever the number of Odoo workers, cron threads and servers calling it:
the realm's windows are therefore kept in PostgreSQL (table ``qbo_realm_budget``), the one thing they
all share. A process books its next calls' slots there, a few at a time, in a short transaction of
its own on the database's clock, then spends them without asking again. A booked slot may be used
during ``HOLD`` seconds after its start, and the windows count it anywhere in that span, so a call
sent a little late never breaks a window. A 429 (another application on the realm, or Intuit's own
view of the windows) pauses the whole realm's budget, for every process. No ORM here: plain SQL.
"""
import json
import threading
import time
from collections import deque

from odoo import sql_db

# (window in seconds, calls allowed in it, batch calls only)
INTUIT_LIMITS = ((1.0, 10, False), (60.0, 500, False), (60.0, 40, True))
# Seconds added to each window: a call's way to Intuit varies by some milliseconds.
MARGIN = 0.1
# Seconds a booked slot stays usable after its start (the windows count the call anywhere in them).
HOLD = 0.1
# Most slots of plain calls a process books at once; batch calls book one at a time.
BLOCK_MAX = 10

_PACERS = {}
_PACERS_LOCK = threading.Lock()


def margin(window):
    """The margin of a window: ``MARGIN`` and 1 % of the window, for a call that leaves a loaded process
    some tenths of a second after its slot (it costs a minute's window 1 % of its calls, a second's none)."""
    return MARGIN + 0.01 * window if window > 1 else MARGIN


def pacer_for(dbname, base_url, realm_id):
    """Return this process's pacer of a realm (created on first use), booking in the database's shared budget."""
    key = f"{base_url.rstrip('/')} {realm_id}"
    with _PACERS_LOCK:
        pacer = _PACERS.get((dbname, key))
        if pacer is None:
            budget = SharedBudget(lambda: sql_db.db_connect(dbname).cursor(), key)
            pacer = _PACERS[(dbname, key)] = RequestPacer(budget)
        return pacer


def book_slots(ends, last, now, count, windows, not_before=float("-inf")):
    """Book the ``count`` earliest slots the windows allow; ``ends`` (sorted) receives the new slots' ends.

    A slot counts in a window from its start to its end (start + ``HOLD``): a new slot may start once
    fewer than ``calls`` of the slots booked so far end within the window before it. Slots start in
    booking order (never before ``last``), and not before ``not_before`` (a pause asked by QuickBooks).

    :return: the slots' start times
    """
    starts = []
    for _index in range(count):
        start = max(now, last, not_before)
        for window, calls in windows:
            if len(ends) >= calls:
                start = max(start, ends[len(ends) - calls] + window + margin(window))
        ends.append(start + HOLD)
        last = start
        starts.append(start)
    return starts


class SharedBudget:
    """A realm's windows in PostgreSQL: one row per stage (batch calls, all calls), locked while booking.

    :param connect: callable returning a new database cursor (committed on leaving its ``with`` block)
    :param str key: the realm (API base URL and realm id)
    :param limits: ``(window, calls, batch_only)`` triples
    :param clock: the shared clock; None: the database's (every server agrees on it)
    """

    def __init__(self, connect, key, limits=INTUIT_LIMITS, clock=None):
        self.connect = connect
        self.key = key
        self.clock = clock
        self.windows = {batch_only: [(window, calls) for window, calls, only in limits if only == batch_only]
                        for batch_only in (True, False)}
        self.span = max(window + margin(window) for window, _calls, _only in limits) + HOLD

    def book(self, batch_only, count, within=None):
        """Book ``count`` slots of a stage; with ``within``, only if the first one starts within that many
        seconds (else nothing is booked: the caller sees it from the first start returned).

        :return: ``(starts, now)``: the slots' start times and the time of booking, on the shared clock
        """
        windows = self.windows[batch_only]
        with self.connect() as cr:
            # Rows locked then updated: under Odoo's repeatable read a concurrent booking would fail.
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            row = self._locked_row(cr, batch_only)
            if row is None:
                self._ensure_rows(cr)
                row = self._locked_row(cr, batch_only)
            stored, last, paused_until, db_now = row
            now = self.clock() if self.clock else db_now
            ends = [end for end in json.loads(stored) if end > now - self.span]
            starts = book_slots(ends, last, now, count, windows, not_before=paused_until)
            if within is not None and starts[0] > now + within:
                return starts, now
            keep = max(calls for _window, calls in windows)
            cr.execute("""UPDATE qbo_realm_budget SET slot_ends = %s, last_start = %s
                           WHERE realm_key = %s AND batch_only = %s""",
                       [json.dumps(ends[-keep:]), starts[-1], self.key, batch_only])
        return starts, now

    def _locked_row(self, cr, batch_only):
        cr.execute("""SELECT slot_ends, last_start, paused_until, extract(epoch FROM clock_timestamp())
                        FROM qbo_realm_budget WHERE realm_key = %s AND batch_only = %s FOR UPDATE""",
                   [self.key, batch_only])
        return cr.fetchone()

    def _ensure_rows(self, cr):
        """Create the realm's rows (both stages) unless another process did."""
        cr.execute("""INSERT INTO qbo_realm_budget (realm_key, batch_only, slot_ends, last_start, paused_until)
                      SELECT %s, stage, '[]', 0, 0 FROM (VALUES (true), (false)) AS stages (stage)
                      ON CONFLICT (realm_key, batch_only) DO NOTHING""", [self.key])

    def pause(self, seconds):
        """No slot of the realm starts in the next ``seconds``, whoever books it."""
        with self.connect() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            self._ensure_rows(cr)
            now = self.clock() if self.clock else None
            cr.execute("""UPDATE qbo_realm_budget
                             SET paused_until = greatest(paused_until,
                                                         coalesce(%s, extract(epoch FROM clock_timestamp())) + %s)
                           WHERE realm_key = %s""", [now, seconds, self.key])

    def reset(self):
        """Forget the realm's bookings (the bench does, once its set-up calls are long past)."""
        with self.connect() as cr:
            cr.execute("DELETE FROM qbo_realm_budget WHERE realm_key = %s", [self.key])


class RequestPacer:
    """One process's use of a realm's budget: ``wait`` takes the next slot booked, booking more when none is left.

    A batch call first takes its place in the batch windows, waits for it, then a place in the windows
    of all calls, as any call does: a batch call waiting for the batch window holds no other call.
    Plain slots are booked in blocks that grow while the process uses every slot in time and shrink
    when slots expire unused, so that booking costs a small part of a call.

    :param budget: the realm's ``SharedBudget``
    :param clock: this process's monotonic clock (tests pass their own)
    :param sleep: the pause function (tests pass a recorder)
    """

    def __init__(self, budget, clock=time.monotonic, sleep=time.sleep):
        self.budget = budget
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.slots = {True: deque(), False: deque()}
        self.block = {True: 1, False: 1}
        self.bookings = 0
        self.batch_free_at = float("-inf")  # this process's clock: no batch slot is free before

    def wait(self, batch=False):
        """Wait until the realm's windows allow one more call (a batch call: the batch windows too).

        :return: the seconds waited
        """
        waited = self._take(True) if batch else 0.0
        return waited + self._take(False)

    def book_batch(self, within):
        """Book the slot of a batch call if the batch windows allow one within ``within`` seconds (the next
        ``wait(batch=True)`` takes it): a large export sends single calls while they are full, so that
        both of Intuit's budgets are spent at once. Asks the shared budget again only once a slot may be free.

        :return: whether a slot was booked
        """
        with self.lock:
            if self.clock() + within < self.batch_free_at:
                return False
            starts, shared_now = self.budget.book(True, 1, within=within)
            start = starts[0] + self.clock() - shared_now
            if starts[0] > shared_now + within:
                self.batch_free_at = start
                return False
            self.slots[True].append(start)
            return True

    def pause(self, seconds):
        """QuickBooks refused a call for the rate (429): pause the realm for every process."""
        self.budget.pause(seconds)
        self._forget_slots()

    def reset(self):
        """Forget the realm's bookings, here and in the shared budget."""
        self.budget.reset()
        self._forget_slots()

    def _forget_slots(self):
        with self.lock:
            for slots in self.slots.values():
                slots.clear()
            self.batch_free_at = float("-inf")

    def _take(self, batch_only):
        """Take this process's next slot of the stage (booking when none is left) and wait until it starts.

        A thread that wakes up too late to use its slot (a loaded machine) takes another one: the
        windows counted the slot within ``HOLD`` of its start, not later.
        """
        waited = 0.0
        while True:
            with self.lock:
                slots = self.slots[batch_only]
                now = self.clock()
                expired = False
                while slots and slots[0] + HOLD < now:
                    slots.popleft()
                    expired = True
                if expired:
                    self.block[batch_only] = max(1, self.block[batch_only] // 2)
                if not slots:
                    if not expired and not batch_only and self.bookings:
                        self.block[batch_only] = min(BLOCK_MAX, self.block[batch_only] + 1)
                    starts, shared_now = self.budget.book(batch_only, self.block[batch_only])
                    self.bookings += 1
                    offset = self.clock() - shared_now
                    slots.extend(start + offset for start in starts)
                start = slots.popleft()
            delay = start - self.clock()
            if delay > 0:
                self.sleep(delay)
                waited += delay
            if self.clock() <= start + HOLD:
                return waited
