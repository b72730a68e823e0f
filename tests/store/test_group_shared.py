"""Group commit without a savepoint per observation (appliance/store/group.py `shared`): the observations
of a group share its transaction and are flushed with it, so one that fails leaves nothing of the group
behind; with the buffered recorder the whole group waits and arrives in order. Alerts of new incidents
share it too, and occurrences that only count on an incident the group found; any other alert keeps its
savepoint (its clash with another writer is retried alone). The look-ups ahead share it on SQLite."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from appliance.store.buffered import BufferedRecorder
from appliance.store.group import GroupBroken, GroupCommit
from appliance.store.crypto import SecretBox, generate_key
from appliance.store.models import Alert, Delivery, SignalingSession
from appliance.store.queries import resolve
from appliance.store.recorder import Recorder
from appliance.store.webhooks import create_webhook
from collectors.events import SignalingObserved
from tests.store.helpers import T0, Clock, policy_alert


def signaling(n: int) -> SignalingObserved:
    return SignalingObserved("udp", f"10.1.0.{n}", 5060, "10.1.1.1", 5060, T0 + n, "phone/1.0")


def held(store) -> tuple[list[str], int]:
    with store.session(readonly=True) as session:
        clients = sorted(session.scalars(select(SignalingSession.client)))
        return clients, session.scalar(select(func.count()).select_from(Alert))


class FailingOnce(Recorder):
    """A recorder whose write of one SIP conversation meets a store that has just gone away."""

    def __init__(self, *args, fail_client: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_client = fail_client

    def _signaling(self, session, ev):
        if ev.client == self.fail_client:
            self.fail_client = None
            session.execute(select(SignalingSession.id).limit(1))       # half a write: it had begun
            raise OperationalError("SELECT ...", {}, ConnectionError("server closed the connection"))
        return super()._signaling(session, ev)

    _handlers = {**Recorder._handlers, SignalingObserved: _signaling}


def _fail_half_way(writing, client: str) -> None:
    """A write in `writing` (a session's context) that adds a row, then fails."""
    with pytest.raises(RuntimeError):
        with writing as session:
            session.add(SignalingSession(sensor_id="sensor-1", transport="udp", client=client,
                                         client_port=5060, server="10.1.1.1", server_port=5060))
            raise RuntimeError("a write that fails half-way")


def test_an_observation_that_fails_takes_its_group_with_it(store):
    group = GroupCommit(store)
    recorder = Recorder(group, "sensor-1", clock=Clock())
    with pytest.raises(GroupBroken):
        with group.batch():
            recorder.observe(signaling(1))
            _fail_half_way(group.shared(), "10.1.0.2")
            recorder.observe(signaling(3))
    assert held(store) == ([], 0)
    recorder.rolled_back()
    with group.batch():                                     # the next group is not held back by it
        recorder.observe(signaling(4))
    assert held(store) == (["10.1.0.4"], 0)


def test_a_broken_group_waits_whole_and_arrives_in_order(store):
    clock = Clock(0.0)
    recorder = BufferedRecorder(FailingOnce(GroupCommit(store), "sensor-1", clock=Clock(), fail_client="10.1.0.2"),
                                retry_every=2.0, clock=clock)
    with recorder.batch():
        recorder.prefetch([signaling(1), policy_alert(endpoint="10.1.0.1")])
        recorder.observe(signaling(1))
        recorder.alert(policy_alert(endpoint="10.1.0.1"))       # a new incident: no savepoint either
        recorder.observe(signaling(2))                           # fails: this and what follows wait
        recorder.observe(signaling(3))
    assert held(store) == ([], 0)                                # nothing of the group was committed
    assert [kind for kind, _ in recorder.pending] == ["observe", "alert", "observe", "observe"]
    clock.now += 2
    recorder.observe(signaling(4))
    assert held(store) == (["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"], 1)
    assert recorder.status().pending == 0


def test_a_write_in_its_own_savepoint_still_fails_alone(store):
    """Writes that keep a savepoint (an alert on an incident that exists, the tests' direct writes) roll
    back alone when they fail: the group's other writes commit."""
    group = GroupCommit(store)
    recorder = Recorder(group, "sensor-1", clock=Clock())
    recorder.alert(policy_alert(endpoint="10.1.0.9"))                # the incident exists from now on
    with group.batch():
        recorder.prefetch([policy_alert(endpoint="10.1.0.9"), signaling(1)])
        recorder.observe(signaling(1))
        _fail_half_way(group.session(), "10.1.0.7")        # a write in a savepoint
        recorder.alert(policy_alert(endpoint="10.1.0.9"))
    clients, alerts = held(store)
    assert clients == ["10.1.0.1"] and alerts == 1



class WebhookGoneOnce(Recorder):
    """A recorder whose first delivery meets a webhook deleted meanwhile (PostgreSQL's foreign key)."""

    gone = 1

    def _enqueue(self, session, row, events, now):
        if events and self.gone:
            self.gone -= 1
            raise IntegrityError("INSERT INTO deliveries ...", {}, Exception("violates foreign key constraint"))
        return super()._enqueue(session, row, events, now)


def test_an_occurrence_that_notifies_is_retried_alone_and_the_group_kept(store):
    """Only an occurrence that counts on an incident the group found, without notifying, shares the
    group's transaction: one that re-opens (or escalates) its incident writes deliveries, and when
    they fail it is retried alone, stored and notified, and the group's other writes are kept."""
    with store.session() as session:
        create_webhook(session, SecretBox(generate_key()), "https://siem.example.net/hook")
    group = GroupCommit(store)
    recorder = WebhookGoneOnce(group, "sensor-1", clock=Clock())
    recorder.gone = 0
    recorder.alert(policy_alert(endpoint="10.1.0.9"))
    with store.session() as session:
        resolve(session, session.scalars(select(Alert)).one().id, "noc", now=datetime.now(timezone.utc))
    recorder.gone = 1
    reopening = policy_alert(endpoint="10.1.0.9", first_seen=T0 + 100, stream="udp:10.1.0.9:4002-10.0.0.2:5002/rtp")
    with group.batch():
        recorder.prefetch([signaling(1), reopening])
        recorder.observe(signaling(1))
        assert recorder.alert(reopening).outcome == "reopened"
    assert held(store) == (["10.1.0.1"], 1)
    with store.session(readonly=True) as session:
        assert session.scalars(select(Alert.state)).one() == "open"
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2      # opened, re-opened


class LookupRefused(Recorder):
    """A recorder whose look-ups ahead end in a statement the database refuses."""

    def _prefetch(self, session, items):
        super()._prefetch(session, items)
        session.execute(text("SELECT no_such_column FROM sensors"))


def test_a_failed_look_up_ahead_does_not_take_its_group_with_it(store):
    """On SQLite the look-ups share the group's transaction (a failed statement leaves it as it was); on
    PostgreSQL, where it would abort the transaction, they keep a savepoint."""
    group = GroupCommit(store)
    recorder = LookupRefused(group, "sensor-1", clock=Clock())
    with group.batch():
        recorder.observe(signaling(1))
        with pytest.raises(DBAPIError):
            recorder.prefetch([signaling(2)])
        recorder.observe(signaling(2))
    assert held(store) == (["10.1.0.1", "10.1.0.2"], 0)
