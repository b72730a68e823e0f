"""Alerts ahead of observations (appliance/store_backlog.py): the live coordinator writes waiting alerts
first so they are readable sooner, in group commits whose new incidents are inserted together
(appliance/store/new_incidents.py), yet the store ends up holding exactly what writing every event in
arrival order, one transaction each, gives: incidents, occurrences and their history, notifications,
streams, calls, every endpoint's posture and the counters. Checked with the events of the project's
real-client recordings, on SQLite and PostgreSQL, with every observation held back behind the alerts
until the end."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from appliance.collect import Sink
from appliance.store.buffered import BufferedRecorder
from appliance.policy import Policy
from appliance.store.crypto import SecretBox, generate_key
from appliance.store.engine import open_store
from appliance.store.group import GroupCommit
from appliance.store.models import Base
from appliance.store.recorder import Recorder
from appliance.store.webhooks import create_webhook
from appliance.store_backlog import StoreBacklog
from collectors.events import SdpObserved, SignalingObserved, StreamVerdict, TlsObserved
from collectors.pipeline import Pipeline
from collectors.sources.pcapfile import PcapFileSource
from tests.conftest import DATA
from tests.store.helpers import Clock, policy_alert

TABLES = {"alerts": "sensor_id, dedup_key, state, count, type, severity, endpoint, peer, stream, call_id, summary, "
                    "first_seen, last_seen, device_class",
          "alert_occurrences": "sensor_id, key, severity, peer, stream, call_id, summary, first_seen, last_seen",
          "alert_events": "event, at, actor, detail",
          "deliveries": "state, payload",
          "endpoints": "sensor_id, ip, media_srtp, signaling_tls, keying, user_agent, first_seen, last_seen, "
                       "last_cleartext_media, certificate_state",
          "streams": "sensor_id, stream_id, encrypted, keying, codec, call_id, first_seen, last_seen",
          "evidence_packets": "sensor_id, seq, ts, frame",
          "calls": "sensor_id, call_id, offer, answer, signaling_transport, first_seen, last_seen",
          "signaling_sessions": "sensor_id, transport, client, server, user_agents, first_seen, last_seen",
          "counters": "name, labels, value"}


@pytest.fixture(scope="module")
def events() -> list:
    """Every event of the real-client recordings (tests/data/lab), as one long run of the collector."""
    captures = sorted((DATA / "lab").rglob("*.pcap"))
    assert len(captures) >= 10
    seen: list = []
    pipeline = Pipeline(seen.append)
    for capture in captures:
        pipeline.feed_many(PcapFileSource(str(capture)).packets())
    pipeline.finish()
    return seen


def write(store, events: list, backlog: StoreBacklog | None, group: int) -> dict:
    """Without a backlog: every write in a transaction of its own, as it comes. With one: as the live
    coordinator writes (group commits, alerts first)."""
    with store.session() as session:
        create_webhook(session, SecretBox(generate_key()), "https://siem.example.net/hook")
    recorder = Recorder(store, "sensor-1", clock=Clock())
    if backlog is not None:
        recorder = BufferedRecorder(Recorder(GroupCommit(store), "sensor-1", clock=Clock()))
    policy = Policy(on_alert=lambda alert: sink.alert(alert, policy.describe(alert.endpoint)))
    sink = Sink(policy, recorder, "sensor-1", backlog=backlog)
    for start in range(0, len(events), group):
        with sink.batch():
            for event in events[start:start + group]:
                sink.event(event)
        sink.write(0.0)           # alerts only: every observation waits until the end
    sink.flush()
    with store.session() as session:
        held = {table: sorted(tuple(map(_comparable, row)) for row in session.execute(text(f"SELECT {columns} FROM {table}")))
                for table, columns in TABLES.items()}
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    return held


def _comparable(value) -> str:
    """A column's value as text; a notification's payload without the row ids (they differ per run)."""
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "id"}
    return repr(value)


def test_alerts_first_leaves_the_store_as_arrival_order_does(settings, events):
    store = open_store(settings)
    try:
        in_order = write(store, events, None, group=7)
        alerts_first = write(store, events, StoreBacklog(), group=7)
    finally:
        store.close()
    assert len(in_order["alerts"]) >= 10 and len(in_order["deliveries"]) >= 10 and len(in_order["endpoints"]) >= 5
    for table in TABLES:
        assert alerts_first[table] == in_order[table], table


def _verdict(stream: str, src: str, encrypted: bool = False) -> StreamVerdict:
    return StreamVerdict(stream, src, 4000, "10.0.0.99", 5000, "udp", "rtp", encrypted, None, "PCMU", None, 0.97,
                         (), 1.0, 2.0, 10, "payload", True, "")


def test_alerts_leave_first_with_what_their_endpoints_saw_before_them():
    backlog = StoreBacklog()
    a_first, b_only = _verdict("s1", "10.0.0.1"), _verdict("s2", "10.0.0.2")
    sdp = SdpObserved("c1", "10.0.0.3", "10.0.0.4", "udp", 1.0, True, "INVITE", ("RTP/AVP",), (), False, False)
    register = SignalingObserved("udp", "10.0.0.1", 5060, "10.0.0.10", 5060, 1.5, "phone")
    for event in (a_first, b_only, sdp, register):
        backlog.observe(event)
    backlog.alert(policy_alert(endpoint="10.0.0.1"), "phone")
    a_later = _verdict("s3", "10.0.0.1", encrypted=True)
    backlog.observe(a_later)
    urgent = backlog.urgent()
    assert [w.args[0] for w in urgent] == [a_first, register, urgent[2].args[0], a_later]
    assert urgent[2].kind == "alert"
    assert backlog.urgent() == []
    assert [w.args[0] for w in backlog.next_observations(1)] == [b_only]
    assert [w.args[0] for w in backlog.drain()] == [sdp]
    assert len(backlog) == 0


def test_an_alert_on_a_server_does_not_pull_its_clients_signaling_ahead():
    """A PBX's alert in a boot storm: the REGISTERs of the phones behind it (and their TLS sessions) wait
    with the other observations; only the observations that touch the PBX's own incidents go with it."""
    backlog = StoreBacklog()
    pbx = "10.0.0.10"
    registers = [SignalingObserved("udp", f"10.0.1.{n}", 5060, pbx, 5060, 1.0 + n, "phone") for n in range(200)]
    tls = TlsObserved("10.0.2.1", 40000, pbx, 5061, 1.5, True, "REGISTER", "TLSv1.2", None, None, None, None, (),
                      None, False, None)
    from_pbx = _verdict("s-pbx", pbx)
    for event in (*registers, tls, from_pbx):
        backlog.observe(event)
    backlog.alert(policy_alert(endpoint=pbx), "pbx")
    urgent = backlog.urgent()
    assert [w.kind for w in urgent] == ["observe", "alert"] and urgent[0].args[0] is from_pbx
    assert [w.args[0] for w in backlog.drain()] == [*registers, tls]
