"""Incidents end to end (issue 15): the policy's per-stream alerts through the recorder into the store,
the outbox sent by the dispatcher to a real HTTP receiver on loopback. One misconfigured phone making
N cleartext calls is one incident with N occurrences and one notification; acknowledged, more calls
notify nobody; SRTP calls for the configured time resolve it; a cleartext call after that re-opens it
and notifies once. On SQLite and PostgreSQL (the store fixtures)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from appliance.notify.dispatcher import Dispatcher
from appliance.store import queries
from appliance.store.incidents import IncidentSettings
from appliance.store.models import Alert
from collectors.events import SignalingObserved
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.notify.phones import PBX, PHONE, Phone
from tests.store.helpers import T0, Clock

HOUR = 3600.0


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("APPLIANCE_NOTIFY_ALLOW", "127.0.0.0/8,::1")


def deliver(store) -> None:
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED) as dispatcher:
        while dispatcher.run_once():
            pass


def incident(store) -> Alert:
    with store.session(readonly=True) as session:
        return session.scalars(select(Alert).where(Alert.endpoint == PHONE)).one()


def test_one_phone_many_calls_one_incident_and_its_lifecycle(store, receiver):
    with store.session() as session:
        queries.create_webhook(session, store.secrets, receiver.url("/noc"))
    phone = Phone(store, Clock(T0), IncidentSettings(auto_resolve_after=2 * HOUR))
    for n in range(15):                                        # 15 cleartext calls over 15 minutes
        phone.call(T0 + 60 * n, encrypted=False)
    deliver(store)
    row = incident(store)
    assert (row.type, row.state, row.count) == ("cleartext_media", "open", 15)
    assert (row.first_seen.timestamp(), row.last_seen.timestamp()) == (T0, T0 + 60 * 14)   # traffic times
    with store.session(readonly=True) as session:
        page = queries.list_occurrences(session, row.id, limit=100)
        assert page.total == 15 and len({o.stream for o in page.items}) == 15
        assert {o.call_id for o in page.items} == {f"call-{n}@{PHONE}" for n in range(1, 16)}
    [message] = receiver.to("/noc")
    body = json.loads(message.body)
    assert (body["event"], body["id"], body["endpoint"], body["count"]) == ("new", row.id, PHONE, 1)

    with store.session() as session:
        queries.acknowledge(session, row.id, "alice", "ticket 4711: re-provision SRTP")
    for n in range(15, 20):                                    # acknowledged: more calls, nobody told
        phone.call(T0 + 60 * n, encrypted=False)
    deliver(store)
    assert len(receiver.to("/noc")) == 1
    assert (incident(store).state, incident(store).count) == ("acknowledged", 20)

    last_cleartext = T0 + 60 * 19
    phone.call(last_cleartext + HOUR, encrypted=True)          # compliant, but not for long enough yet
    assert incident(store).state == "acknowledged"
    phone.call(last_cleartext + 2 * HOUR + 60, encrypted=True)
    row = incident(store)
    assert (row.state, row.resolved_by) == ("resolved", None)
    assert row.resolved_reason.startswith(f"auto: only SRTP media from {PHONE} for 2.0 h")
    deliver(store)
    assert len(receiver.to("/noc")) == 1                       # resolving tells no person

    regression = last_cleartext + 3 * HOUR
    phone.call(regression, encrypted=False)
    phone.call(regression + 60, encrypted=False)
    deliver(store)
    row = incident(store)
    assert (row.state, row.count, row.last_seen.timestamp()) == ("open", 22, regression + 60)
    messages = [json.loads(m.body) for m in receiver.to("/noc")]
    assert [(m["event"], m["count"]) for m in messages] == [("new", 1), ("reopened", 21)]
    with store.session(readonly=True) as session:
        history = [(e.event, e.actor) for e in queries.alert_history(session, row.id)]
    assert history == [("opened", None), ("acknowledged", "alice"), ("resolved", None), ("reopened", None)]


def test_reminders_and_a_worse_severity_notify_again(store, receiver):
    with store.session() as session:
        queries.create_webhook(session, store.secrets, receiver.url("/noc"))
    clock = Clock(T0)
    phone = Phone(store, clock, IncidentSettings())
    phone.call(T0, encrypted=False)
    phone.policy.observe(SignalingObserved("tls", PHONE, 5061, PBX, 5061, T0 + 100, "Yealink SIP-T46S"))
    phone.policy.observe(SignalingObserved("tls", PBX, 5061, PHONE, 5061, T0 + 100, "Asterisk"))
    phone.call(T0 + 200, encrypted=False, call_id=False)    # SIP over TLS yet cleartext media: critical
    deliver(store)
    assert [json.loads(m.body)["event"] for m in receiver.to("/noc")] == ["new", "escalated"]
    assert (incident(store).severity, incident(store).count) == ("critical", 2)
    with Dispatcher(store, clock=clock, remind_every=HOUR, destinations=LOOPBACK_ALLOWED) as dispatcher:
        clock.now = T0 + HOUR / 2
        while dispatcher.run_once():
            pass
        assert len(receiver.to("/noc")) == 2                 # not yet due
        clock.now = T0 + 2 * HOUR
        while dispatcher.run_once():
            pass
    assert [json.loads(m.body)["event"] for m in receiver.to("/noc")] == ["new", "escalated", "reminder"]
