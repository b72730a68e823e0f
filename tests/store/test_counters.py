"""Counters in the store (issue 16's metrics kit): incidents opened, re-opened, resolved (manual, auto)
and streams by their first verdict rise with the lifecycle, each once, and never drop when retention
purges the rows they were counted from, nor when the recorder restarts. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from appliance.store import counters, queries
from appliance.store.columns import from_epoch
from appliance.store.incidents import IncidentSettings
from appliance.store.models import Alert, Stream
from appliance.store.recorder import Recorder
from tests.notify.phones import PBX, PHONE, Phone
from tests.store.helpers import T0, Clock, policy_alert

HOUR = 3600.0


def totals(store) -> dict[tuple, int]:
    """(name, labels without the sensor) -> value summed over sensors, as /metrics shows them."""
    out: dict[tuple, int] = {}
    with store.session(readonly=True) as session:
        for name, rows in counters.totals(session).items():
            for labels, value in rows:
                key = (name, tuple(sorted((k, v) for k, v in labels.items() if k != "sensor")))
                out[key] = out.get(key, 0) + value
    return out


def opened(severity: str, type: str = "cleartext_media") -> tuple:
    return ("incidents_opened", (("severity", severity), ("type", type)))


def resolved(how: str, type: str = "cleartext_media") -> tuple:
    return ("incidents_resolved", (("how", how), ("type", type)))


def reopened(type: str = "cleartext_media") -> tuple:
    return ("incidents_reopened", (("type", type),))


def streams(verdict: str, kind: str = "rtp") -> tuple:
    return ("streams", (("kind", kind), ("verdict", verdict)))


def report_stream(n: int, encrypted: bool | None) -> dict:
    return {"id": f"udp:10.30.0.{n}:4000-{PBX}:5000/rtp", "src": f"10.30.0.{n}", "src_port": 4000, "dst": PBX,
            "dst_port": 5000, "transport": "udp", "kind": "rtp", "encrypted": encrypted, "keying": None,
            "codec": "PCMU", "packets": 10, "bytes": 1720, "confidence": 0.9, "ssrcs": [1], "evidence": [],
            "call_id": None, "first_seen": T0, "last_seen": T0 + 10}


def test_counters_follow_the_incident_lifecycle_and_survive_purge_and_restart(store):
    phone = Phone(store, Clock(T0), IncidentSettings(auto_resolve_after=2 * HOUR))
    for n in range(3):                                          # three cleartext calls: one incident
        phone.call(T0 + 60 * n, encrypted=False)
    with store.session(readonly=True) as session:
        incident = session.scalars(select(Alert).where(Alert.endpoint == PHONE)).one()
    severity = incident.severity
    assert totals(store) == {opened(severity): 1, streams("cleartext"): 3}

    with store.session() as session:
        queries.resolve(session, incident.id, "alice", "phone re-provisioned")
        queries.resolve(session, incident.id, "bob")            # already resolved: not counted again
    phone.call(T0 + 600, encrypted=False)                       # it fires again: re-opened, not opened
    phone.call(T0 + 600 + 3 * HOUR, encrypted=True)             # SRTP long enough: resolved by itself
    expected = {opened(severity): 1, reopened(): 1, resolved("manual"): 1, resolved("auto"): 1,
                streams("cleartext"): 4, streams("encrypted"): 1}
    assert totals(store) == expected

    with store.session(readonly=True) as session:               # a stream decided again counts once
        known = session.scalars(select(Stream.stream_id)).all()
    phone.calls -= 1
    phone.call(T0 + 600 + 3 * HOUR, encrypted=False)            # the same stream id, a changed verdict
    report = {"streams": [report_stream(1, True), report_stream(2, None)]}
    report["streams"] += [dict(report_stream(9, False), id=stream_id) for stream_id in known]
    phone.recorder.snapshot(report)                             # only 10.30.0.1's stream is new and decided
    expected[streams("encrypted")] += 1
    expected[reopened()] += 1                                   # that cleartext call re-opened the incident
    assert totals(store) == expected
    with store.session() as session:
        queries.resolve(session, incident.id, "alice", now=from_epoch(T0 + 4 * HOUR))
    expected[resolved("manual")] += 1

    with store.session() as session:                            # a year later: everything is purged
        purged = queries.purge(session, timedelta(days=30), now=from_epoch(T0 + 365 * 86400))
    assert purged["alerts"] == 1 and purged["streams"] == 7
    with store.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        assert session.scalar(select(func.count()).select_from(Stream)) == 0
    assert totals(store) == expected

    restarted = Recorder(store, "sensor-1", clock=Clock(T0 + 366 * 86400))
    restarted.alert(policy_alert(endpoint="10.20.0.99", severity="critical", first_seen=T0 + 366 * 86400))
    expected[opened("critical")] = 1
    assert totals(store) == expected


def test_each_sensor_has_its_own_rows_and_the_labels_are_canonical(store):
    for sensor in ("span-a", "span-b"):
        Recorder(store, sensor, clock=Clock()).alert(policy_alert(severity="critical"))
    with store.session(readonly=True) as session:
        rows = counters.totals(session)[counters.INCIDENTS_OPENED]
    assert sorted(labels["sensor"] for labels, _ in rows) == ["span-a", "span-b"]
    assert counters.canonical({"type": "x", "sensor": "s"}) == counters.canonical({"sensor": "s", "type": "x"}) \
        == '{"sensor":"s","type":"x"}'


def test_a_group_commit_counts_its_writes_once_and_not_those_rolled_back(store):
    """Under group commit (the live collector's writes) a group's increments are written together when it
    commits: the counts of a write that failed inside the group (its savepoint rolled back) are not kept,
    and nothing is counted before the group commits."""
    from appliance.store.group import GroupCommit
    group = GroupCommit(store)
    recorder = Recorder(group, "sensor-1", clock=Clock())
    with group.batch():
        recorder.alert(policy_alert(endpoint="10.0.0.1"))
        try:
            with group.session() as session:
                counters.add(session, counters.INCIDENTS_OPENED, sensor="sensor-1", type="cleartext_media",
                             severity="high")
                raise RuntimeError("a write that fails after counting")
        except RuntimeError:
            pass
        recorder.alert(policy_alert(endpoint="10.0.0.2"))
        assert opened("high") not in totals(store)          # not visible before the group commits
    assert totals(store)[opened("high")] == 2
    with group.session() as session:                        # outside a group: written at once
        counters.add(session, counters.INCIDENTS_OPENED, sensor="sensor-1", type="cleartext_media", severity="high")
    assert totals(store)[opened("high")] == 3
