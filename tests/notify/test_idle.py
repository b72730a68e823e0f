"""An idle dispatcher looks at the outbox every 0.2 s: on SQLite that look must not queue for the
write lock, which the collector's group commits need (every writing session starts with BEGIN
IMMEDIATE). With another connection holding the lock, an empty look still returns at once; and
reminders are looked for every few seconds, not at every look."""
from __future__ import annotations

import sqlite3

import pytest

from appliance.notify import Dispatcher
from appliance.notify.dispatcher import PERIODIC_EVERY
from appliance.store import queries
from appliance.store.engine import DB_FILE
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.store.helpers import Clock, policy_alert


def test_an_empty_look_at_the_outbox_takes_no_write_lock(store, settings, receiver):
    if store.dialect != "sqlite":
        pytest.skip("the write lock is SQLite's (PostgreSQL locks rows)")
    clock = Clock()
    with store.session() as s:
        queries.create_webhook(s, None, receiver.url("/hook"))
    with Dispatcher(store, clock=clock, destinations=LOOPBACK_ALLOWED, remind_every=3600) as dispatcher:
        assert dispatcher.run_once() == 0                    # the look for reminders is done now
        writer = sqlite3.connect(settings.data_dir / DB_FILE, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")                # the collector in the middle of a group commit
            assert dispatcher.run_once() == 0
            writer.execute("ROLLBACK")
        finally:
            writer.close()
        Recorder(store, "sensor-1", clock=clock).alert(policy_alert())
        assert dispatcher.run_once() == 1                    # and a due delivery is still claimed and sent
    assert len(receiver.to("/hook")) == 1


def test_reminders_are_looked_for_every_few_seconds_not_at_every_look(store, receiver):
    clock = Clock()
    with store.session() as s:
        queries.create_webhook(s, None, receiver.url("/hook"))
    Recorder(store, "sensor-1", clock=clock).alert(policy_alert())
    with Dispatcher(store, clock=clock, destinations=LOOPBACK_ALLOWED, remind_every=60) as dispatcher:
        assert dispatcher.run_once() == 1                    # the new incident; reminders looked for
        clock.now += 60 - PERIODIC_EVERY / 2
        assert dispatcher.run_once() == 0                    # looked for: none due yet
        clock.now += PERIODIC_EVERY * 0.6
        assert dispatcher.run_once() == 0                    # one is due, but the last look was just now
        clock.now += PERIODIC_EVERY * 0.6
        assert dispatcher.run_once() == 1                    # the next look finds it
    assert [r.headers["x-appliance-event"] for r in receiver.to("/hook")] == ["new", "reminder"]
