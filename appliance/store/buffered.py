"""Keeps a collector running while its store is away (database restarting, network to PostgreSQL cut,
SQLite locked by a backup): a write that fails because the database is unavailable is kept, in order,
in a bounded queue and retried every `retry_every` seconds; while anything is queued, new writes queue
behind it, so the store receives them in the order they happened. Nothing is dropped silently: when
the queue is full the oldest *observation* is dropped and counted (alerts are kept before anything
else), each outage and its end are logged, and `status()` says what is waiting and what was lost.

    recorder = BufferedRecorder(Recorder(store, sensor_id))     # same entry points as Recorder
    ...
    recorder.close()           # a last attempt; returns status() for the operator"""
from __future__ import annotations

import logging
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError

log = logging.getLogger(__name__)
UNAVAILABLE = (OperationalError, InterfaceError)
GROUP_LOST = UNAVAILABLE + (PendingRollbackError,)     # a group whose connection died under one of its writes
MAX_PENDING = 200_000
RETRY_EVERY = 2.0


@dataclass
class BufferStatus:
    pending: int = 0            # writes waiting for the store now
    buffered: int = 0           # writes that had to wait, in all
    dropped: int = 0            # observations dropped because the queue was full
    outages: int = 0

    def line(self) -> str:
        return (f"store outages: {self.outages}; writes that waited: {self.buffered}; still waiting: "
                f"{self.pending}; dropped (queue full): {self.dropped}")


class BufferedRecorder:
    def __init__(self, recorder, max_pending: int = MAX_PENDING, retry_every: float = RETRY_EVERY,
                 clock=time.monotonic):
        self.recorder, self.max_pending, self.retry_every, self.clock = recorder, max_pending, retry_every, clock
        self.pending: deque[tuple[str, tuple]] = deque()
        self.stats = BufferStatus()
        self._next_try = 0.0
        self._grouped: list[tuple[str, tuple]] | None = None     # writes made inside the open batch

    @contextmanager
    def batch(self):
        """Writes made in the block share one transaction when the recorder's store can group them
        (appliance.store.group.GroupCommit) and nothing waits; if that transaction cannot commit
        because the store went away, all of its writes wait, in order, ahead of anything newer."""
        group = getattr(getattr(self.recorder, "store", None), "batch", None)
        if group is None or self.pending or self._grouped is not None:
            yield
            return
        self._grouped = []
        outages = self.stats.outages
        try:
            with group():
                yield
        except GROUP_LOST as exc:
            lost, self._grouped = self._grouped, None
            if self.stats.outages == outages:                    # not already noticed by one of its writes
                self._outage(exc)
            self.pending = deque(lost) + self.pending     # the batch's later writes already wait
            self.stats.buffered += len(lost)
            self.recorder.rolled_back()
        finally:
            self._grouped = None

    # -- the Recorder's entry points ----------------------------------------------------------------
    def observe(self, event) -> None:
        self._call("observe", event)

    def alert(self, alert, device_class: str = "unknown"):
        return self._call("alert", alert, device_class)

    def withdraw(self, withdrawal):
        """An alert the policy took back (Recorder.withdraw): kept like an alert while the store is away."""
        return self._call("withdraw", withdrawal)

    def prefetch(self, items: list) -> None:
        """Look-ups ahead of a group's writes (Recorder.prefetch); skipped while writes wait for the store."""
        if self.pending or self._grouped is None:
            return
        try:
            self.recorder.prefetch(items)
        except UNAVAILABLE:
            pass                        # the group's writes find the store gone, count it, and wait in order

    def snapshot(self, report: dict) -> None:
        self._call("snapshot", report)

    def sensor_stats(self, sensor_id: str, packets: int, drops: int) -> None:
        self._call("sensor_stats", sensor_id, packets, drops)

    def close(self, attempts: int = 3) -> BufferStatus:
        """Try the queue a few more times (the store may just be back); what is left is reported."""
        for _ in range(attempts):
            self._next_try = 0.0
            if self._flush():
                break
            time.sleep(self.retry_every)
        return self.status()

    def status(self) -> BufferStatus:
        self.stats.pending = len(self.pending)
        return self.stats

    # -- plumbing ---------------------------------------------------------------------------------
    def _call(self, name: str, *args):
        if self.pending and not self._flush():
            self._keep(name, args)
            return None
        try:
            result = getattr(self.recorder, name)(*args)
        except UNAVAILABLE as exc:
            self._outage(exc)
            self._keep(name, args)
            return None
        if self._grouped is not None:
            self._grouped.append((name, args))
        return result

    def _flush(self) -> bool:
        """Write what waits, oldest first; False when the store is still away (or not yet retried)."""
        if self.clock() < self._next_try:
            return False
        if not self.pending:
            return True
        while self.pending:
            name, args = self.pending[0]
            try:
                getattr(self.recorder, name)(*args)
            except UNAVAILABLE as exc:
                self._next_try = self.clock() + self.retry_every
                log.debug("store still unavailable: %s", type(exc).__name__)
                return False
            self.pending.popleft()
        log.warning("store available again: every waiting write is stored (%s)", self.status().line())
        return True

    def _outage(self, exc: DBAPIError) -> None:
        self.stats.outages += 1
        self._next_try = self.clock() + self.retry_every
        log.warning("store unavailable (%s): keeping writes in order until it is back", type(exc).__name__)

    def _keep(self, name: str, args: tuple) -> None:
        self.stats.buffered += 1
        if len(self.pending) >= self.max_pending:
            self._drop_oldest_observation()
        self.pending.append((name, args))

    def _drop_oldest_observation(self) -> None:
        for index, (name, _args) in enumerate(self.pending):
            if name == "observe":
                del self.pending[index]
                break
        else:
            self.pending.popleft()              # only alerts, withdrawals and counters wait: the oldest goes
        self.stats.dropped += 1
        if self.stats.dropped == 1 or self.stats.dropped % 10_000 == 0:
            log.error("store unavailable too long: %d writes dropped so far (queue of %d full)",
                      self.stats.dropped, self.max_pending)
