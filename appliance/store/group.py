"""Group commit for the collector's store writes.

The collector's coordinator used to write every event (a SIP conversation seen, an SDP, a verdict, an
alert) in a transaction of its own. A site that boots or starts a burst of calls produces hundreds of
events within a second, each waiting for the store's write lock and a commit: bench/site measured 1-2 s
(and tens of seconds under load) from the packet that decided an alert to the alert being readable in
the API, all of it queueing behind earlier events' transactions.

`GroupCommit` wraps a Store: outside `batch()` it is the store; inside, every writing `session()` is a
SAVEPOINT of one shared transaction (a write that fails rolls back alone and raises as before), and the
whole group commits once when the batch ends.

A savepoint costs a flush of the write's rows on its own plus two statements: for the thousands of
observations of a boot storm (a REGISTER, a TLS session each) that was half of the coordinator's store
time (bench/site at 5,000 phones). Writes that nobody retries alone take `shared()` instead: no
savepoint, their rows flushed with the group's. If one of them fails, nothing of the group can be kept
(its rows may be half written in the session), so the group ends by raising `GroupBroken` and is
rolled back. Reads ahead of the writes (`lookup()`) share it too where a failed statement leaves the
transaction as it was (SQLite).

`BufferedRecorder.batch()` keeps the promise that nothing is lost when the database goes away: if the
group's commit fails (or the group broke), every write of the group waits in order, ahead of anything
newer, exactly as single writes do.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import Session

from appliance.store import counters


BEFORE_COMMIT = "group.before_commit"       # session.info key: work to do before the group commits


def before_commit(session: Session, work) -> None:
    """Have `work(session)` run once, as the last writes of the group `session` belongs to."""
    waiting = session.info.setdefault(BEFORE_COMMIT, [])
    if work not in waiting:
        waiting.append(work)


class GroupBroken(PendingRollbackError):
    """A write without a savepoint failed inside the group: the group cannot commit."""


class GroupCommit:
    def __init__(self, store):
        self._store = store
        self._shared: Session | None = None
        self._broken: BaseException | None = None

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    @property
    def store(self):
        return self._store

    def grouping(self, session: Session) -> bool:
        """Whether `session` is the open group's (its writes commit when the group ends)."""
        return session is self._shared and session is not None

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        if self._shared is None or readonly:
            with self._store.session(readonly) as session:
                yield session
            return
        saved = counters.held(self._shared)
        try:
            with self._shared.begin_nested():
                yield self._shared
        except BaseException:
            counters.restore(self._shared, saved)       # its counts went with its savepoint
            raise

    @contextmanager
    def shared(self) -> Iterator[Session]:
        """A write that shares the group's transaction without a savepoint (outside a group: a
        transaction of its own). If it fails, the group is rolled back as a whole when it ends."""
        if self._shared is None:
            with self._store.session() as session:
                yield session
            return
        try:
            yield self._shared
        except BaseException as exc:
            self._broken = self._broken or exc
            raise

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """Reads ahead of the group's writes (the recorder's `prefetch`), which must not take the group
        with them when they fail. On SQLite a statement that fails leaves the transaction as it was, so
        they share the group's transaction as they are (no SAVEPOINT, RELEASE and flush each); on
        PostgreSQL a failed statement aborts the transaction: they take a savepoint, as `session()`."""
        if self._shared is None or self._store.dialect != "sqlite":
            with self.session() as session:
                yield session
            return
        yield self._shared

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for every write made until the block ends (nested batches join the outer)."""
        if self._shared is not None:
            yield
            return
        with self._store.session() as shared:
            self._shared, self._broken = shared, None
            try:
                with counters.deferred(shared):         # the group's counter increments, written once
                    yield
                    self._unless_broken()
                    for work in shared.info.pop(BEFORE_COMMIT, []):
                        work(shared)
            finally:
                self._shared = None

    def _unless_broken(self) -> None:
        if self._broken is not None:
            raise GroupBroken(f"a write of the group failed ({type(self._broken).__name__}): the group is "
                              "rolled back") from self._broken
