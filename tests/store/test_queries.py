"""What the API asks of the store: alert filters and pagination, the ack/resolve lifecycle, the
inventory lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appliance.store import queries
from appliance.store.errors import InvalidTransition, NotFound
from appliance.store.models import Alert, Occurrence
from appliance.store.recorder import Recorder
from tests.store.helpers import T0, Clock, policy_alert

WHEN = datetime(2025, 3, 2, 8, 30, tzinfo=timezone.utc)
TYPES = ("cleartext_media", "srtp_downgrade", "cleartext_signaling")
SEVERITIES = {"cleartext_media": "high", "srtp_downgrade": "high", "cleartext_signaling": "medium"}


@pytest.fixture
def alerts(store) -> list[int]:
    """30 incidents: three types, endpoints 10.0.0.0-29 (one phone each), one per minute from T0, two
    sensors."""
    ids = []
    for n in range(30):
        kind, sensor = TYPES[n % 3], "s1" if n < 20 else "s2"
        clock = Clock(T0 + 60 * n)
        recorded = Recorder(store, sensor, clock=clock).alert(policy_alert(
            kind, f"10.0.0.{n}", stream=f"udp:10.0.0.{n}:{4000 + n}-10.0.1.1:5000/rtp",
            severity=SEVERITIES[kind], first_seen=T0 + 60 * n))
        ids.append(recorded.alert_id)
    return ids


def at(minutes: int) -> datetime:
    return datetime.fromtimestamp(T0 + 60 * minutes, timezone.utc)


def test_filters_and_totals(store, alerts):
    with store.session(readonly=True) as s:
        assert queries.list_alerts(s, limit=100).total == 30
        assert queries.list_alerts(s, type="srtp_downgrade").total == 10
        assert queries.list_alerts(s, type=["srtp_downgrade", "cleartext_media"]).total == 20
        assert queries.list_alerts(s, severity="medium").total == 10
        assert queries.list_alerts(s, endpoint="10.0.0.3").total == 1
        assert queries.list_alerts(s, sensor="s2").total == 10
        assert queries.list_alerts(s, state="open").total == 30
        assert queries.list_alerts(s, state=["acknowledged", "resolved"]).total == 0
        window = queries.list_alerts(s, since=at(10), until=at(14), limit=100)
        assert window.total == 5 and sorted(a.id for a in window.items) == alerts[10:15]
        both = queries.list_alerts(s, type="cleartext_media", endpoint="10.0.0.15", sensor="s1")
        assert [a.id for a in both.items] == [alerts[15]]
        assert queries.list_alerts(s, type="srtp_downgrade", endpoint="10.0.0.15").total == 0


def test_offset_and_keyset_pages(store, alerts):
    newest_first = sorted(alerts, reverse=True)
    with store.session(readonly=True) as s:
        page = queries.list_alerts(s, limit=7, offset=14)
        assert [a.id for a in page.items] == newest_first[14:21] and page.total == 30
        seen, cursor = [], None
        while True:
            page = queries.list_alerts(s, limit=7, after=cursor)
            seen += [a.id for a in page.items]
            assert page.total == 30
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == newest_first
        last = queries.list_alerts(s, limit=10, after=newest_first[19])
        assert len(last.items) == 10 and last.next_cursor is None


def test_a_page_of_columns_holds_what_the_instances_hold(store, alerts):
    """`columns`: Core rows of those columns, the same alerts, total and cursor as the ORM page; the
    latest occurrences likewise."""
    alert_columns = (Alert.id, Alert.type, Alert.first_seen, Alert.evidence, Alert.acknowledged_at)
    occurrence_columns = (Occurrence.id, Occurrence.alert_id, Occurrence.last_seen, Occurrence.evidence)
    with store.session() as s:
        queries.acknowledge(s, alerts[4], "noc", now=WHEN)
    with store.session(readonly=True) as s:
        for kwargs in ({"limit": 100}, {"limit": 7, "offset": 3}, {"limit": 7, "after": alerts[20]},
                       {"type": "srtp_downgrade", "since": at(10)}):
            rows = queries.list_alerts(s, columns=alert_columns, **kwargs)
            instances = queries.list_alerts(s, **kwargs)
            assert (rows.total, rows.next_cursor) == (instances.total, instances.next_cursor)
            assert [tuple(r) for r in rows.items] == [tuple(getattr(a, c.key) for c in alert_columns)
                                                      for a in instances.items]
            ids = [a.id for a in instances.items]
            latest = queries.latest_occurrences(s, ids, columns=occurrence_columns)
            assert {k: tuple(r) for k, r in latest.items()} == {
                k: tuple(getattr(o, c.key) for c in occurrence_columns)
                for k, o in queries.latest_occurrences(s, ids).items()}


def test_acknowledge_then_resolve_with_who_when_and_comment(store, alerts):
    later = WHEN + timedelta(hours=1)
    with store.session() as s:
        row = queries.acknowledge(s, alerts[0], "alice", "looking into it", now=WHEN)
        assert (row.state, row.acknowledged_by, row.acknowledged_at) == ("acknowledged", "alice", WHEN)
    with store.session() as s:
        row = queries.acknowledge(s, alerts[0], "bob", now=later)          # idempotent: alice's stays
        assert (row.acknowledged_by, row.acknowledged_at, row.comment) == ("alice", WHEN, "looking into it")
    with store.session() as s:
        row = queries.resolve(s, alerts[0], "bob", "phone re-provisioned with SRTP", now=later)
    with store.session() as s:
        row = queries.resolve(s, alerts[0], "carol", now=later + timedelta(hours=1))
    with store.session(readonly=True) as s:
        row = queries.get_alert(s, alerts[0])
        assert (row.state, row.resolved_by, row.resolved_at) == ("resolved", "bob", later)
        assert (row.acknowledged_by, row.comment) == ("alice", "phone re-provisioned with SRTP")
        assert [(c.author, c.at, c.text) for c in queries.comments(s, alerts[0])] == [
            ("alice", WHEN, "looking into it"), ("bob", later, "phone re-provisioned with SRTP")]   # both kept
        assert queries.list_alerts(s, state="resolved").total == 1
        assert queries.list_alerts(s, state="open").total == 29
    with pytest.raises(InvalidTransition), store.session() as s:
        queries.acknowledge(s, alerts[0], "dave")


def test_an_open_alert_resolves_directly_and_unknown_ids_are_not_found(store, alerts):
    with store.session() as s:
        row = queries.resolve(s, alerts[1], "alice", now=WHEN)
        assert (row.state, row.acknowledged_by, row.resolved_by) == ("resolved", None, "alice")
    with pytest.raises(NotFound), store.session() as s:
        queries.acknowledge(s, 999999, "alice")
    with pytest.raises(NotFound), store.session(readonly=True) as s:
        queries.evidence_frames(s, 999999)


def test_inventory_lists(store):
    from appliance.store.importer import import_captures
    from tests.conftest import DATA
    import_captures(store, "lab", [str(DATA / "lab" / "udp-srtp-fallback.pcap")])
    import_captures(store, "lab2", [str(DATA / "lab" / "udp-srtp.pcap")])
    with store.session(readonly=True) as s:
        assert [x.id for x in queries.list_sensors(s)] == ["lab", "lab2"]
        cleartext = queries.list_endpoints(s, media_srtp=False)
        assert {e.ip for e in cleartext.items} == {"10.250.7.11", "10.250.7.12"} and cleartext.total == 2
        assert {e.sensor_id for e in cleartext.items} == {"lab"}
        srtp = queries.list_endpoints(s, sensor="lab2").items
        assert all(e.media_srtp is True and e.keying == "sdes" for e in srtp)
        assert queries.get_endpoint(s, srtp[0].id).ip == srtp[0].ip
        streams = queries.list_streams(s, sensor="lab", endpoint="10.250.7.11", kind="rtp")
        assert streams.total == 2 and all(x.encrypted is False for x in streams.items)
        assert queries.list_streams(s, encrypted=True, kind="rtp").total == 2
        assert queries.list_streams(s, since=datetime.now(timezone.utc)).total == 0
        calls = queries.list_calls(s, media_encrypted=False)
        assert calls.total == 1 and calls.items[0].sensor_id == "lab"
        assert queries.get_call(s, calls.items[0].id).offer == "RTP/AVP"
        assert queries.list_calls(s, sensor="lab2").items[0].media_encrypted is True
