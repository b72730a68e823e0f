"""New incidents inside a group commit (appliance/store/new_incidents.py) wait until the group ends and
are then inserted together: nothing is readable before the group commits, everything is after (incident,
occurrence, history, notification, count); a second occurrence of a waiting incident within the group
counts on it; and an incident another writer opened meanwhile is counted on, not duplicated. On SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from appliance.store import counters
from appliance.store.crypto import SecretBox, generate_key
from appliance.store.engine import open_store
from appliance.store.group import GroupCommit
from appliance.store.models import Alert, AlertEvent, Delivery, Occurrence
from appliance.store.recorder import Recorder
from appliance.store.webhooks import create_webhook
from tests.store.helpers import T0, Clock, policy_alert


def rows(store, model) -> list:
    with store.session(readonly=True) as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_new_incidents_of_a_group_are_written_together_when_it_commits(store):
    with store.session() as session:
        create_webhook(session, SecretBox(generate_key()), "https://siem.example.net/hook")
    group = GroupCommit(store)
    recorder = Recorder(group, "sensor-1", clock=Clock())
    with group.batch():
        first = recorder.alert(policy_alert(endpoint="10.0.0.1"))
        recorder.alert(policy_alert(endpoint="10.0.0.2", type="cleartext_signaling", summary="SIP over UDP"))
        again = recorder.alert(policy_alert(endpoint="10.0.0.1", stream="udp:10.0.0.1:4002-10.0.0.2:5002/rtp",
                                            first_seen=T0 + 5))
        assert (first.outcome, first.alert_id, first.deliveries) == ("new", 0, 1)     # no id before the insert
        assert again.outcome == "repeated"
        assert rows(store, Alert) == []                                               # nothing before the commit
    incidents = rows(store, Alert)
    assert [(a.endpoint, a.type, a.count, a.state) for a in incidents] == [
        ("10.0.0.1", "cleartext_media", 2, "open"), ("10.0.0.2", "cleartext_signaling", 1, "open")]
    assert sorted((o.alert_id, o.stream) for o in rows(store, Occurrence)) == [
        (incidents[0].id, "udp:10.0.0.1:4000-10.0.0.2:5000/rtp"), (incidents[0].id, "udp:10.0.0.1:4002-10.0.0.2:5002/rtp"),
        (incidents[1].id, "udp:10.0.0.2:4000-10.0.0.2:5000/rtp")]
    assert sorted((e.alert_id, e.event) for e in rows(store, AlertEvent)) == [(a.id, "opened") for a in incidents]
    deliveries = rows(store, Delivery)
    assert sorted((d.alert_id, d.payload["id"], d.payload["event"]) for d in deliveries) == [
        (a.id, a.id, "new") for a in incidents]
    assert all(a.last_notified_at is not None for a in incidents)
    with store.session(readonly=True) as session:
        opened = sum(v for labels, v in counters.totals(session)["incidents_opened"])
    assert opened == 2


def test_an_incident_opened_meanwhile_by_another_writer_is_counted_on(store, backend):
    if backend == "sqlite":
        pytest.skip("SQLite: the group holds the write lock, no other writer can open it meanwhile")
    group = GroupCommit(store)
    recorder = Recorder(group, "sensor-1", clock=Clock())
    Recorder(store, "sensor-1", clock=Clock()).sensor_stats("sensor-1", 0, 0)   # the sensor's row, committed
    other = open_store(store.settings)
    try:
        with group.batch():
            recorder.alert(policy_alert(type="cleartext_signaling", endpoint="10.0.0.1", summary="SIP over UDP"))
            Recorder(other, "sensor-1", clock=Clock()).alert(policy_alert(          # commits at once
                type="cleartext_signaling", endpoint="10.0.0.1", summary="SIP over UDP", first_seen=T0 + 1,
                stream="udp:10.0.0.1:5060-10.0.0.2:5060/sip"))
    finally:
        other.close()
    [incident] = rows(store, Alert)
    assert incident.count == 2
    assert len(rows(store, Occurrence)) == 2
