"""The recorder: a real capture through pipeline and policy into the store; alert dedup, counting and
re-opening; evidence frames bounded per stream; the webhook outbox written atomically with the alert."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appliance.analyze import analyze_files
from appliance.store import outbox, queries
from appliance.store.importer import import_captures
from appliance.store.models import (Alert, Call, Delivery, Endpoint, EvidencePacket, Occurrence, Sensor,
                                    SignalingSession, Stream)
from appliance.store.recorder import MAX_FRAMES_PER_STREAM, Recorder
from collectors.events import StreamEvidence
from tests.conftest import DATA
from tests.store.helpers import Clock, policy_alert

FALLBACK = DATA / "lab" / "udp-srtp-fallback.pcap"      # SRTP offered with a=crypto over UDP, RTP answered


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_real_capture_round_trips(store):
    report = import_captures(store, "lab-1", [str(FALLBACK)])
    assert report == analyze_files([str(FALLBACK)])          # the store changes nothing in the analysis
    with store.session(readonly=True) as session:
        alerts = session.scalars(select(Alert)).all()
        assert {(a.type, a.endpoint) for a in alerts} == {(a["type"], a["endpoint"]) for a in report["alerts"]}
        assert len(report["alerts"]) == 5                           # the report: one alert per stream
        assert sum(a.count for a in alerts) == 5                    # the store: one occurrence each
        assert len(alerts) == len({(a["type"], a["endpoint"], a["peer"] if a["type"] == "cleartext_signaling"
                                    else None) for a in report["alerts"]})
        assert {a.state for a in alerts} == {"open"}
        assert count(session, Occurrence) == 5
        ends = {s["id"]: s["last_seen"] for s in report["streams"]}
        media = [a for a in alerts if a.type in ("cleartext_media", "srtp_downgrade")]
        assert len(media) == 3                          # one srtp_downgrade: B answered plain
        for alert in media:                             # last seen: the last packet of its offending stream
            [occurrence] = alert.occurrences
            assert alert.last_seen.timestamp() == pytest.approx(ends[occurrence.stream], abs=1e-6)
            assert alert.last_seen > alert.first_seen
        assert {a.device_class for a in alerts} == {"softphone"}
        assert {s.stream_id for s in session.scalars(select(Stream))} == {s["id"] for s in report["streams"]}
        rtp = session.scalars(select(Stream).where(Stream.kind == "rtp")).all()
        assert all(s.encrypted is False and s.codec == "PCMU" and s.packets == 155 and s.ssrcs for s in rtp)
        call = session.scalars(select(Call)).one()
        assert (call.call_id, call.signaling_transport, call.offer, call.media_encrypted) == (
            report["calls"][0]["call_id"], "udp", "RTP/AVP", False)
        assert count(session, SignalingSession) == 1
        caller = session.scalars(select(Endpoint).where(Endpoint.ip == "10.250.7.11")).one()
        assert (caller.media_srtp, caller.signaling_tls, caller.device_class) == (False, False, "softphone")
        assert caller.last_cleartext_media is not None and caller.mac == "02:1a:b0:07:00:0a"
        assert session.get(Sensor, "lab-1").packets == report["captures"][0]["packets"]
        media = [a for a in alerts if a.type == "cleartext_media"]
        for alert in media:
            frames = queries.evidence_frames(session, alert.id)
            assert 0 < len(frames) <= MAX_FRAMES_PER_STREAM
            assert all(linktype == 1 and len(frame) > 54 for _, linktype, frame in frames)
            assert [ts for ts, _, _ in frames] == sorted(ts for ts, _, _ in frames)
        keys = {a.dedup_key for a in alerts}

    counts = {a.dedup_key: a.count for a in alerts}
    import_captures(store, "lab-1", [str(FALLBACK)])          # the same capture again: the same traffic,
    with store.session(readonly=True) as session:             # the same occurrences (not counted twice)
        alerts = session.scalars(select(Alert)).all()
        assert {a.dedup_key for a in alerts} == keys and {a.dedup_key: a.count for a in alerts} == counts
        assert count(session, Occurrence) == 5
        assert count(session, Stream) == len(report["streams"]) and count(session, Call) == 1
        assert count(session, EvidencePacket) <= MAX_FRAMES_PER_STREAM * len(media)


def test_an_alert_is_counted_updated_and_reopened(store):
    clock = Clock()
    recorder = Recorder(store, "s1", clock=clock)
    first = recorder.alert(policy_alert(), "hard_phone")
    assert (first.outcome, first.deliveries) == ("new", 0)
    update = recorder.alert(policy_alert(summary="cleartext RTP, proven", evidence=("proof",)))
    assert update.outcome == "updated" and update.alert_id == first.alert_id      # same occurrence: not counted
    clock.now += 60
    again = Recorder(store, "s1", clock=clock).alert(policy_alert(first_seen=clock.now - 5, evidence=("again",)))
    assert again.outcome == "repeated"
    with store.session(readonly=True) as session:
        row = session.get(Alert, first.alert_id)
        assert (row.count, row.state, row.evidence, row.summary) == (2, "open", ["again"], "cleartext RTP")
        assert row.device_class == "hard_phone" and row.last_seen.timestamp() == clock.now - 5   # traffic time
        assert row.recorded_at.timestamp() == clock.now                                          # write time
        assert row.first_seen.timestamp() == policy_alert().first_seen
    with store.session() as session:
        queries.resolve(session, first.alert_id, "alice", "fixed the phone")
    clock.now += 60
    reopened = Recorder(store, "s1", clock=clock).alert(policy_alert(first_seen=clock.now))
    assert (reopened.outcome, reopened.alert_id) == ("reopened", first.alert_id)
    with store.session(readonly=True) as session:
        row = session.get(Alert, first.alert_id)
        assert (row.state, row.count, row.resolved_by, row.resolved_at) == ("open", 3, None, None)
        assert row.comment == "fixed the phone"
        assert count(session, Alert) == 1


def test_incidents_are_kept_apart_per_sensor_and_identity(store):
    Recorder(store, "s1").alert(policy_alert())
    Recorder(store, "s2").alert(policy_alert())
    Recorder(store, "s1").alert(policy_alert(stream="udp:10.0.0.1:4002-10.0.0.2:5002/rtp"))   # same phone
    Recorder(store, "s1").alert(policy_alert("srtp_downgrade"))                              # another cause
    for port, server in enumerate(("10.9.0.1", "10.9.0.2", "10.9.0.1"), 5060):
        Recorder(store, "s1").alert(policy_alert("cleartext_signaling", peer=server, stream="",
                                                 key=("cleartext_signaling", "10.0.0.1", server, port)))
    with store.session(readonly=True) as session:
        rows = session.scalars(select(Alert).order_by(Alert.id)).all()
        assert [(a.sensor_id, a.type, a.peer, a.count) for a in rows] == [
            ("s1", "cleartext_media", "10.0.0.2", 2), ("s2", "cleartext_media", "10.0.0.2", 1),
            ("s1", "srtp_downgrade", "10.0.0.2", 1), ("s1", "cleartext_signaling", "10.9.0.1", 2),
            ("s1", "cleartext_signaling", "10.9.0.2", 1)]
        assert count(session, Sensor) == 2


def test_evidence_frames_are_bounded_per_stream(store):
    recorder = Recorder(store, "s1")
    stream_id = "udp:10.0.0.1:4000-10.0.0.2:5000/rtp"
    batches = [tuple((1700000000.0 + b + n / 50, 1, bytes([b * 10 + n]) * 60) for n in range(10)) for b in range(3)]
    for frames in batches:
        recorder.observe(StreamEvidence(stream_id, "10.0.0.1", "10.0.0.2", frames))
    alert = recorder.alert(policy_alert(stream=stream_id))
    with store.session(readonly=True) as session:
        stream = session.scalars(select(Stream)).one()
        assert (stream.src, stream.src_port, stream.dst, stream.dst_port) == ("10.0.0.1", 4000, "10.0.0.2", 5000)
        stored = queries.evidence_frames(session, alert.alert_id)
    assert len(stored) == MAX_FRAMES_PER_STREAM
    assert stored == [frame for batch in batches for frame in batch][:MAX_FRAMES_PER_STREAM]


def test_deliveries_are_written_with_new_and_reopened_alerts_only(store):
    recorder = Recorder(store, "s1")
    assert recorder.alert(policy_alert()).deliveries == 0                     # no webhook: no outbox row
    with store.session() as session:
        queries.create_webhook(session, store.secrets, "https://noc.example/hook", "slack", secret="s3cret")
        queries.create_webhook(session, store.secrets, "https://off.example/hook", enabled=False)
    new = recorder.alert(policy_alert(endpoint="10.0.0.9"))
    assert (new.outcome, new.deliveries) == ("new", 1)
    assert Recorder(store, "s1").alert(policy_alert(endpoint="10.0.0.9", first_seen=1.0)).deliveries == 0
    with store.session(readonly=True) as session:
        delivery = session.scalars(select(Delivery)).one()
        assert (delivery.alert_id, delivery.state, delivery.attempts) == (new.alert_id, "pending", 0)
        assert delivery.payload["event"] == "new" and delivery.payload["endpoint"] == "10.0.0.9"
        assert delivery.payload["type"] == "cleartext_media" and delivery.payload["id"] == new.alert_id


def test_the_outbox_row_and_the_alert_commit_together(store, monkeypatch):
    with store.session() as session:
        queries.create_webhook(session, store.secrets, "https://noc.example/hook")

    def enqueue_then_fail(*args, **kwargs):
        assert outbox_enqueue(*args, **kwargs) == 1
        args[0].flush()
        raise RuntimeError("crash after the outbox row was written")

    outbox_enqueue = outbox.enqueue
    monkeypatch.setattr(outbox, "enqueue", enqueue_then_fail)
    with pytest.raises(RuntimeError):
        Recorder(store, "s1").alert(policy_alert())
    with store.session(readonly=True) as session:
        assert count(session, Alert) == 0 and count(session, Delivery) == 0
    monkeypatch.setattr(outbox, "enqueue", outbox_enqueue)
    Recorder(store, "s1").alert(policy_alert())
    with store.session(readonly=True) as session:
        assert count(session, Alert) == 1 and count(session, Delivery) == 1


def test_sensor_stats_add_up(store):
    recorder = Recorder(store, "s1", sensor_name="core mirror")
    recorder.sensor_stats("s1", 1000, 3)
    recorder.sensor_stats("s1", 500, 0)
    recorder.sensor_stats("s2", 7, 1)
    with store.session(readonly=True) as session:
        sensors = {s.id: s for s in queries.list_sensors(session)}
    assert (sensors["s1"].packets, sensors["s1"].drops, sensors["s1"].name) == (1500, 3, "core mirror")
    assert (sensors["s2"].packets, sensors["s2"].drops) == (7, 1)


def test_the_report_classifies_the_incidents_of_the_endpoints_it_classifies(store):
    """Alerts recorded before their phone was recognised read as the end report classifies it; an
    incident already classified, or of an endpoint the report does not classify, keeps its class."""
    recorder = Recorder(store, "s1", clock=Clock())
    for endpoint, device_class in (("10.0.0.1", "unknown"), ("10.0.0.2", "unknown"), ("10.0.0.3", "unknown"),
                                   ("10.0.0.4", "soft_phone")):
        recorder.alert(policy_alert(endpoint=endpoint), device_class)
    recorder.alert(policy_alert("cleartext_signaling", endpoint="10.0.0.1", peer="10.0.0.9"))
    recorder.snapshot({"endpoints": [{"ip": "10.0.0.1", "device_class": "hard_phone"},
                                     {"ip": "10.0.0.2", "device_class": "pbx"},
                                     {"ip": "10.0.0.3", "device_class": "unknown"},
                                     {"ip": "10.0.0.4", "device_class": "hard_phone"}]})
    with store.session(readonly=True) as s:
        classes = sorted((a.endpoint, a.type, a.device_class) for a in s.scalars(select(Alert)))
    assert classes == [("10.0.0.1", "cleartext_media", "hard_phone"), ("10.0.0.1", "cleartext_signaling", "hard_phone"),
                       ("10.0.0.2", "cleartext_media", "pbx"), ("10.0.0.3", "cleartext_media", "unknown"),
                       ("10.0.0.4", "cleartext_media", "soft_phone")]
