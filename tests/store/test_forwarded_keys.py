"""sdes_keys_exposed names the phone that wrote the keys, not the proxy that forwarded them, even when the
proxy's copy reaches the policy first (two capture workers: the phone->proxy leg on one, the proxy->phone
leg on the other). Real calls through kamailio (tests/data/lab/legs), their events reordered as such a
race delivers them, through the live coordinator into the store: the proxy's incident ends resolved by
the sensor, the authors' stay open, and the policy's alerts are those of the capture read in order. On
SQLite and PostgreSQL."""
from __future__ import annotations

import queue
import threading

import pytest
from sqlalchemy import select

from appliance.collect import CollectSettings, _coordinate, wired
from appliance.policy import Policy
from appliance.store.buffered import BufferedRecorder
from appliance.store.group import GroupCommit
from appliance.store.models import Alert
from appliance.store.recorder import Recorder
from collectors.events import SdpObserved
from collectors.pipeline import Pipeline
from collectors.sources.pcapfile import PcapFileSource
from tests.store.helpers import Clock
from tests.test_lab_legs import LEGS, SDP_AUTHORS

PROXY = "10.250.8.10"
CAPTURES = ("proxy-srtp.pcap", "proxy-fallback.pcap")


def events_of(capture: str) -> list:
    seen: list = []
    pipeline = Pipeline(seen.append)
    pipeline.feed_many(PcapFileSource(str(LEGS / capture)).packets())
    pipeline.finish()
    return seen


def copies_first(events: list) -> list:
    """Each SDP the proxy forwarded unchanged (the media addresses of one it received) moved to just
    before the SDP it forwards."""
    ordered = list(events)
    for copy in [e for e in events if isinstance(e, SdpObserved) and e.sender == PROXY]:
        [original] = [e for e in ordered
                      if isinstance(e, SdpObserved) and e.receiver == PROXY and e.media == copy.media]
        ordered.remove(copy)
        ordered.insert(ordered.index(original), copy)
    return ordered


def alerts(events: list) -> set:
    policy = Policy()
    for event in events:
        policy.observe(event)
    return {(a.type, a.endpoint, a.peer, a.stream, a.call_id, a.summary) for a in policy.active()}


@pytest.mark.parametrize("capture", CAPTURES)
def test_the_proxys_copy_first_gives_the_alerts_of_the_capture_in_order(capture):
    events = events_of(capture)
    raced = copies_first(events)
    assert raced != events
    assert alerts(raced) == alerts(events)


@pytest.mark.parametrize("capture", CAPTURES)
def test_the_proxys_incident_is_resolved_and_the_authors_stay_open(store, capture):
    recorder = BufferedRecorder(Recorder(GroupCommit(store), "sensor-1", clock=Clock()))
    sink = wired(CollectSettings("mirror0", workers=2, sensor_id="sensor-1"), recorder)
    messages: queue.Queue = queue.Queue()
    for event in copies_first(events_of(capture)):
        messages.put(("event", 0, event))
    messages.put(("done", 0, None, {}))
    _coordinate(sink, messages, [], threading.Event(), lambda: False, 1)
    with store.session(readonly=True) as session:
        exposed = {row.endpoint: row for row in session.scalars(select(Alert).filter_by(type="sdes_keys_exposed"))}
    assert {ip for ip, row in exposed.items() if row.state == "open"} == SDP_AUTHORS[capture]
    proxy = exposed[PROXY]
    assert (proxy.state, proxy.resolved_by, proxy.count) == ("resolved", "sensor", 0)
    assert proxy.resolved_reason.startswith(f"withdrawn by the sensor: {PROXY} forwarded the SRTP master keys of ")
