"""BufferedRecorder against a real PostgreSQL made unavailable (the relay of pgproxy cut): writes wait
in order and reach the store when it is back; a full queue drops observations before alerts, and
counts what it dropped."""
from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text

from appliance.store import migrate, open_store
from appliance.store.buffered import BufferedRecorder
from appliance.store.engine import StoreSettings
from appliance.store.group import GroupCommit
from appliance.store.recorder import Recorder
from collectors.events import SignalingObserved
from tests.faults.pgproxy import PG_SOCKET, PgOutage
from tests.store.helpers import T0, Clock, policy_alert


@pytest.fixture
def outage(tmp_path):
    if not PG_SOCKET.exists():
        pytest.skip("no local PostgreSQL socket")
    name = f"buffered_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    relay = PgOutage(tmp_path)
    relay.up()
    settings = StoreSettings(f"postgresql+psycopg://postgres@/{name}?host={relay.url_host}", tmp_path)
    migrate.upgrade(settings)
    store = open_store(settings)
    try:
        yield relay, store, name
    finally:
        store.close()
        relay.down()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def signaling(n: int) -> SignalingObserved:
    return SignalingObserved("udp", f"10.1.0.{n}", 5060, "10.1.1.1", 5060, T0 + n, "phone/1.0")


def counts(name: str) -> tuple[int, int]:
    with psycopg.connect(host="127.0.0.1", dbname=name, user="postgres") as conn:
        return (conn.execute("SELECT count(*) FROM alerts").fetchone()[0],
                conn.execute("SELECT count(*) FROM signaling_sessions").fetchone()[0])


def test_writes_wait_in_order_and_arrive_when_the_store_is_back(outage):
    relay, store, name = outage
    clock = Clock(0.0)
    recorder = BufferedRecorder(Recorder(store, "s1"), retry_every=2.0, clock=clock)
    recorder.observe(signaling(1))
    relay.down()
    recorder.alert(policy_alert(endpoint="10.1.0.2"))
    recorder.observe(signaling(3))
    clock.now += 1
    recorder.alert(policy_alert(endpoint="10.1.0.4"))                  # not yet time to retry: queued
    assert recorder.status().pending == 3 and recorder.status().outages == 1
    assert counts(name) == (0, 1)
    relay.up()
    clock.now += 2
    recorder.observe(signaling(5))                                      # the retry is due: all go, in order
    assert counts(name) == (2, 3)
    status = recorder.status()
    assert (status.pending, status.buffered, status.dropped) == (0, 3, 0)


def test_a_full_queue_drops_observations_first_and_counts_them(outage):
    relay, store, name = outage
    recorder = BufferedRecorder(Recorder(store, "s1"), max_pending=4, retry_every=60.0, clock=Clock(0.0))
    relay.down()
    recorder.alert(policy_alert(endpoint="10.1.0.1"))
    for n in range(2, 8):
        recorder.observe(signaling(n))
    recorder.alert(policy_alert(endpoint="10.1.0.9"))
    status = recorder.status()
    assert (status.pending, status.dropped) == (4, 4)
    assert [name for name, _ in recorder.pending] == ["alert", "observe", "observe", "alert"]
    relay.up()
    assert recorder.close(attempts=1).pending == 0
    assert counts(name) == (2, 2)                                       # both alerts, the last observations


def test_a_group_of_writes_lost_with_its_transaction_waits_whole_and_in_order(outage):
    """Group commit (the collector's coordinator writes what queued together in one transaction): when
    the store goes away before the group commits, the writes that had 'succeeded' inside it are rolled
    back with it, so they wait too, ahead of the later ones, and all arrive when the store is back."""
    relay, store, name = outage
    clock = Clock(0.0)
    recorder = BufferedRecorder(Recorder(GroupCommit(store), "s1"), retry_every=2.0, clock=clock)
    with recorder.batch():
        recorder.observe(signaling(1))
        recorder.alert(policy_alert(endpoint="10.1.0.2"))
        relay.down()
        recorder.observe(signaling(3))
    status = recorder.status()
    assert (status.pending, status.outages) == (3, 1)
    assert [kind for kind, _ in recorder.pending] == ["observe", "alert", "observe"]
    relay.up()
    clock.now += 2
    recorder.observe(signaling(4))
    assert counts(name) == (1, 3)
    assert recorder.status().pending == 0


def test_a_group_commits_once_and_readers_see_all_of_it_or_nothing(tmp_path):
    settings = StoreSettings(None, tmp_path)
    migrate.upgrade(settings)
    store = open_store(settings)
    try:
        recorder = BufferedRecorder(Recorder(GroupCommit(store), "s1"))
        with recorder.batch():
            for n in range(1, 6):
                recorder.observe(signaling(n))
            recorder.alert(policy_alert(endpoint="10.1.0.9"))
            with store.session(readonly=True) as reader:            # another connection, mid-group
                assert reader.scalar(text("SELECT count(*) FROM signaling_sessions")) == 0
        with store.session(readonly=True) as reader:
            assert reader.scalar(text("SELECT count(*) FROM signaling_sessions")) == 5
            assert reader.scalar(text("SELECT count(*) FROM alerts")) == 1
    finally:
        store.close()
