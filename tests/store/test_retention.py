"""Retention: old streams, resolved alerts, evidence and finished deliveries go; open alerts, the
streams and frames they point at, pending deliveries and the inventory stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from appliance.store import queries
from appliance.store.models import Alert, Call, Delivery, Endpoint, EvidencePacket, Stream
from appliance.store.recorder import Recorder
from collectors.events import SdpObserved, StreamEvidence
from tests.store.helpers import policy_alert

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
OLD = (NOW - timedelta(days=100)).timestamp()
RECENT = (NOW - timedelta(days=1)).timestamp()


def stream(n: int) -> str:
    return f"udp:10.0.0.{n}:4000-10.0.0.99:5000/rtp"


def test_purge_forgets_what_is_old_and_settled(store):
    with store.session() as s:
        queries.create_webhook(s, store.secrets, "https://noc.example/hook")
    old = Recorder(store, "s1", clock=lambda: OLD)
    for n in range(4):                                          # streams 0-3: old, with evidence
        old.observe(StreamEvidence(stream(n), f"10.0.0.{n}", "10.0.0.99", ((OLD, 1, b"x" * 60),) * 3))
    old.observe(SdpObserved("old-call", "10.0.0.1", "10.0.0.99", "udp", OLD, True, "INVITE", ("RTP/AVP",),
                            (), False, False))
    resolved = old.alert(policy_alert(endpoint="10.0.0.0", stream=stream(0), first_seen=OLD))
    still_open = old.alert(policy_alert(endpoint="10.0.0.1", stream=stream(1), first_seen=OLD))
    recent_fix = old.alert(policy_alert(endpoint="10.0.0.2", stream=stream(2), first_seen=OLD))
    new = Recorder(store, "s1", clock=lambda: RECENT)
    new.observe(StreamEvidence(stream(5), "10.0.0.5", "10.0.0.99", ((RECENT, 1, b"y" * 60),)))
    with store.session() as s:
        queries.resolve(s, resolved.alert_id, "alice", now=NOW - timedelta(days=90))
        queries.resolve(s, recent_fix.alert_id, "alice", now=NOW - timedelta(days=2))
        deliveries = s.scalars(select(Delivery).order_by(Delivery.id)).all()
        queries.mark_delivered(s, deliveries[1].id, now=NOW - timedelta(days=95))   # still_open's: old, done
        queries.mark_delivered(s, deliveries[2].id, now=NOW - timedelta(days=1))    # recent_fix's: recent

    with store.session() as s:
        counts = queries.purge(s, timedelta(days=30), now=NOW)
    assert counts == {"evidence_packets": 6, "deliveries": 2, "streams": 2, "alerts": 1, "calls": 1,
                      "signaling_sessions": 0}
    with store.session(readonly=True) as s:
        assert sorted(s.scalars(select(Alert.id))) == sorted([still_open.alert_id, recent_fix.alert_id])
        assert sorted(s.scalars(select(Stream.stream_id))) == [stream(1), stream(2), stream(5)]
        assert len(queries.evidence_frames(s, still_open.alert_id)) == 3
        assert s.scalar(select(func.count()).select_from(EvidencePacket)) == 3 + 3 + 1
        assert [d.alert_id for d in s.scalars(select(Delivery))] == [recent_fix.alert_id]
        assert s.scalar(select(func.count()).select_from(Call)) == 0
        assert s.scalar(select(func.count()).select_from(Endpoint)) > 0       # the inventory stays
    with store.session() as s:
        assert set(queries.purge(s, timedelta(days=30), now=NOW).values()) == {0}


def test_the_streams_of_every_occurrence_of_an_open_incident_stay(store):
    old = Recorder(store, "s1", clock=lambda: OLD)
    for n in (3, 4):
        old.observe(StreamEvidence(stream(n), "10.0.0.7", "10.0.0.99", ((OLD + n, 1, bytes([n]) * 60),) * 2))
    first = old.alert(policy_alert(endpoint="10.0.0.7", stream=stream(3), first_seen=OLD))
    latest = old.alert(policy_alert(endpoint="10.0.0.7", stream=stream(4), first_seen=OLD + 60))
    assert first.alert_id == latest.alert_id and first.occurrence_id != latest.occurrence_id
    with store.session() as s:
        assert queries.purge(s, timedelta(days=30), now=NOW)["streams"] == 0
    with store.session(readonly=True) as s:
        for occurrence, n in ((first.occurrence_id, 3), (latest.occurrence_id, 4)):
            frames = queries.occurrence_frames(s, first.alert_id, occurrence)
            assert [frame for _, _, frame in frames] == [bytes([n]) * 60] * 2


def test_statistics_are_refreshed_for_the_planner(store):
    """After refresh_statistics, SQLite holds planner statistics for the alerts' indexes."""
    from sqlalchemy import text

    from appliance.store.recorder import Recorder
    from appliance.store.retention import refresh_statistics
    from tests.store.helpers import policy_alert
    recorder = Recorder(store, "s1")
    for n in range(3):
        recorder.alert(policy_alert(endpoint=f"10.0.0.{n + 1}"))
    with store.session() as session:
        refresh_statistics(session)
    if store.dialect == "sqlite":
        with store.engine.connect() as connection:
            tables = {row[0] for row in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
        assert "alerts" in tables
