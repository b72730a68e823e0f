"""Memory a long live run relies on: calls come and go all day, and the collector keeps no state for
the ones that are over beyond what the end report lists (bounded), while a stream that pauses and goes
on is reported as one stream with every packet counted."""
from __future__ import annotations

import gc
import json
import random
import struct
import subprocess
import sys
import tracemalloc
from dataclasses import replace

from appliance import policy as policy_module
from appliance.collect import Sink, live_report
from appliance.policy import Policy, PolicySettings
from appliance.privacy import Privacy
from bench.calls_day import DayPlan, waves
from collectors.events import CallEnded, StreamEnded
from collectors.flows import QUIET
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.sip import calls as calls_module
from collectors.snapshot import take_snapshot
from tests.collectors.test_pipeline import rtp_frames
from tests.conftest import ROOT, validate_report
from tests.synth.frames import Framer, Host


def _run(plan: DayPlan, pipeline: Pipeline, gap_after: float = 0.0) -> float:
    at = plan.start
    for at, frames in waves(plan):
        pipeline.feed_many(frames)
    end = at + plan.wave_every + gap_after
    now = at
    while now < end:                   # the clock moves on with no frames, as CaptureLoop ticks
        now += 1.0
        pipeline.tick(now)
    return now


def _growth_after_warm_up(pipeline: Pipeline) -> tuple[int, int]:
    """Traced bytes the pipeline (and what its events feed) gains over 480 more calls once 240 calls have
    filled its limits, and those 480. Traced from the start: what replaces earlier state is weighed."""
    tracemalloc.start()
    warm = DayPlan(calls_per_wave=4, waves=60, wave_every=30.0)       # every phone has called: limits reached
    now = _run(warm, pipeline, gap_after=90.0)
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    later = DayPlan(calls_per_wave=4, waves=120, wave_every=30.0, start=now + 10.0, seed=7)
    _run(later, pipeline, gap_after=90.0)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown, later.calls_per_wave * later.waves


def _live_state(pipeline: Pipeline) -> dict:
    return {"flows": len(pipeline.udp.flows) + len(pipeline.tcp.flows), "fast": len(pipeline.fast.entries),
            "addresses": len(pipeline.media.by_endpoint)}


def test_ended_calls_leave_no_live_state_behind(monkeypatch):
    monkeypatch.setattr(policy_module, "MAX_CALLS", 40)
    monkeypatch.setattr(policy_module, "MAX_ALERTS", 100)
    policy = Policy()
    pipeline = Pipeline(policy.observe)
    plan = DayPlan(calls_per_wave=4, waves=30, wave_every=30.0)
    _run(plan, pipeline, gap_after=3 * pipeline.settings.idle_timeout)
    assert _live_state(pipeline) == {"flows": 0, "fast": 0, "addresses": 0}
    # what the report keeps: every stream (RTP and RTCP both ways) and every call, each once
    snapshot = take_snapshot(pipeline)
    assert len(snapshot.calls) == 120 and len(snapshot.streams) == 480
    assert all(s["call_id"] is not None for s in snapshot.streams)
    # the policy remembers calls' SRTP offers and signaling transports within its limit
    assert len(policy.srtp_offers) <= 40 and len(policy.call_transport) == 40
    # and the alerts it holds for the end report within theirs, the latest kept
    assert len(policy.alerts) == 100 and policy.alerts_dropped > 0
    assert max(a.first_seen for a in policy.alerts.values()) > plan.start + (plan.waves - 1) * plan.wave_every


def _module_limits() -> dict:
    """With the limits of what the report keeps reached, more hours of calls hold no more memory: the
    live state returns to what it was, the report's oldest calls and streams make room, and new calls
    are still tied to their streams."""
    calls_module.MAX_CALLS, calls_module.MAX_INDEX = 40, 160            # a process of its own (_apart)
    pipeline = Pipeline(lambda event: None, PipelineSettings(max_finished=160, max_flows=256))
    grown, calls = _growth_after_warm_up(pipeline)
    return {"grown": grown, "calls": calls, "live": _live_state(pipeline), "held_calls": len(pipeline.calls.calls),
            "forgotten": pipeline.calls.forgotten, "finished": len(pipeline.finished),
            "tied": all(s["call_id"] is not None for s in take_snapshot(pipeline).streams[-40:])}


def _apart(name: str) -> dict:
    """`name()` of this module in a new interpreter: what other tests left in this process (caches,
    modules, pytest-xdist's own traffic) is not weighed with the pipeline. In one pytest-xdist worker
    the same measurement here gave 8 KB per call, alone 0.1 KB."""
    code = f"import json; from tests.collectors import test_memory as m; print(json.dumps(m.{name}()))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_memory_is_flat_when_calls_keep_coming_and_going():
    held = _apart("_module_limits")
    assert held["live"] == {"flows": 0, "fast": 0, "addresses": 0}
    assert held["held_calls"] == 40 and held["forgotten"] >= held["calls"]
    assert held["finished"] <= 160 and held["tied"]
    assert held["grown"] / held["calls"] < 256, f"{held['grown'] / held['calls']:.0f} B held per call"


def test_a_stream_that_pauses_beyond_quiet_is_one_stream_with_every_packet():
    framer = Framer()
    a, b = Host("10.9.3.1", "02:00:00:00:00:01"), Host("10.9.3.2", "02:00:00:00:00:02")
    events = []
    pipeline = Pipeline(events.append)
    first = rtp_frames(framer, a, b, 7100, 8100, 1e9, 100, 0x55)
    second = rtp_frames(framer, a, b, 7100, 8100, 1e9 + 2 + QUIET * 2, 100, 0x55)
    pipeline.feed_many([(ts, 1, data, len(data)) for ts, data in first])
    pipeline.tick(1e9 + 2 + QUIET * 1.5)
    [flow] = pipeline.udp.flows.values()
    assert flow.quiet and not pipeline.fast.entries and not pipeline.media.by_endpoint
    pipeline.feed_many([(ts, 1, data, len(data)) for ts, data in second])
    assert not flow.quiet and len(pipeline.fast.entries) == 1 and pipeline.media.by_endpoint
    pipeline.finish()
    [stream] = take_snapshot(pipeline).streams
    assert stream["packets"] == 200 and stream["ssrcs"] == [0x55] and stream["payload_types"] == [0]
    assert stream["encrypted"] is False and stream["codec"] == "PCMU" and stream["evidence"]


def test_a_stream_still_deciding_when_it_goes_quiet_gets_the_same_verdict():
    """Too few packets for a verdict (uniform bytes, no frame size): the classifier's counters are
    compacted while the stream is quiet, and its final verdict at expiry is the one it gets without."""
    framer = Framer()
    a, b = Host("10.9.4.1", "02:00:00:00:00:01"), Host("10.9.4.2", "02:00:00:00:00:02")
    rng = random.Random(4)
    frames = []
    for i in range(30):
        packet = struct.pack("!BBHII", 0x80, 0, 500 + i, 160 * i, 0x4444) + rng.randbytes(100)
        data = framer.udp(a, b, 7200, 8200, packet)
        frames.append((1e9 + 0.02 * i, 1, data, len(data)))
    quiet, plain = Pipeline(lambda event: None), Pipeline(lambda event: None)
    quiet.feed_many(frames)
    quiet.tick(1e9 + 1 + QUIET * 1.5)
    [flow] = quiet.udp.flows.values()
    assert flow.quiet and flow.rtp.classifier is not None and type(flow.rtp.classifier.hist) is not list
    quiet.tick(1e9 + 2 + quiet.settings.idle_timeout)
    assert not quiet.udp.flows
    plain.feed_many(frames)
    plain.finish()
    [compacted], [whole] = take_snapshot(quiet).streams, take_snapshot(plain).streams
    assert compacted == whole and whole["verdict_source"] == "payload"


# -- live runs: the end report keeps the most recent of what is over; the rest left as events ---------
LIVE_LIKE = PipelineSettings(max_finished=40, max_ended_calls=10, max_flows=256)   # appliance.collect's, scaled down


def _ended_entry(event: StreamEnded) -> dict:
    """A StreamEnded event in the shape of the report's stream entry."""
    fields = {name: getattr(event, name) for name in StreamEnded.__slots__}
    renamed = {"stream_id": "id", "packets_to_verdict": "verdict_after_packets", "source": "verdict_source"}
    entry = {renamed.get(name, name): value for name, value in fields.items()}
    return {**entry, "ssrcs": list(entry["ssrcs"]), "payload_types": list(entry["payload_types"]),
            "evidence": list(entry["evidence"])}


def test_every_ended_stream_leaves_its_final_state_as_an_event():
    """What the report says of each stream at the end (counters, SSRCs, verdict, evidence) is also
    emitted when the stream ends: the store gets it even when the report no longer lists the stream."""
    events = []
    pipeline = Pipeline(events.append)
    plan = DayPlan(calls_per_wave=3, waves=4, wave_every=30.0)
    _run(plan, pipeline, gap_after=pipeline.settings.idle_timeout / 2)
    expired = {e.stream_id: e for e in events if isinstance(e, StreamEnded)}
    assert len(expired) == 4 * 3 * 3         # the last wave's streams are still within their idle timeout
    pipeline.finish()
    ended = [e for e in events if isinstance(e, StreamEnded)]
    streams = take_snapshot(pipeline).streams
    assert len(ended) == len(streams) == 4 * 3 * 4          # RTP and RTCP both ways, each ended once
    by_id = {e.stream_id: _ended_entry(e) for e in ended}
    assert all(by_id[s["id"]] == s for s in streams)
    assert {s["encrypted"] for s in streams} == {True, False} and all(s["packets"] > 0 for s in streams)


def test_a_live_run_keeps_the_most_recent_ended_streams_calls_and_alerts(monkeypatch):
    events = []
    policy = Policy(PolicySettings(max_alerts=30))

    def emit(event):
        events.append(event)
        policy.observe(event)
    pipeline = Pipeline(emit, LIVE_LIKE)
    plan = DayPlan(calls_per_wave=4, waves=30, wave_every=30.0)
    _run(plan, pipeline, gap_after=2 * pipeline.settings.idle_timeout)
    calls = plan.calls_per_wave * plan.waves
    assert len(pipeline.finished) == 40 and pipeline.finished_dropped + 40 == 4 * calls
    assert len(pipeline.calls.calls) == 10 and pipeline.calls.forgotten == calls - 10
    assert len(policy.alerts) == 30 and policy.alerts_dropped > 0
    # every stream and every call let go left as an event first
    assert len({e.stream_id for e in events if isinstance(e, StreamEnded)}) == 4 * calls
    let_go = [e for e in events if isinstance(e, CallEnded)]
    assert len(let_go) == calls - 10 and all(e.ended_at is not None and e.from_uri for e in let_go)
    assert not {e.call_id for e in let_go} & set(pipeline.calls.calls)
    # what is kept is the most recent; the policy and the address index forget the calls let go
    kept = take_snapshot(pipeline)
    assert max(s["first_seen"] for s in kept.streams) > plan.start + (plan.waves - 1) * plan.wave_every
    assert len(pipeline.calls.index) <= 4 * 10
    assert set(policy.call_transport) <= set(pipeline.calls.calls) and len(policy.legs.legs) <= 10
    # the live report says how much it no longer lists
    report = live_report("eth9", kept, {"packets": 1, "bytes": 1, "decode_errors": 0, "drops": 0, "warnings": []},
                         policy, stored=True)
    validate_report(report)
    assert report["captures"][0]["not_kept"] == {"streams": pipeline.finished_dropped, "calls": calls - 10,
                                                 "alerts": policy.alerts_dropped}
    [warning] = report["captures"][0]["warnings"]
    assert f"{calls - 10} calls" in warning and "the store holds them" in warning
    assert len(report["streams"]) == len(pipeline.finished) and len(report["calls"]) == 10
    assert len(report["alerts"]) == 30


def test_a_live_run_keeps_endpoint_alerts_when_call_alerts_make_room():
    """Alerts about a stream or call go first: an endpoint's alert (SIP without TLS) stays held, so the
    policy does not raise it again for the same conversation."""
    plan = DayPlan(calls_per_wave=4, waves=30, wave_every=30.0)
    limited, unlimited = Policy(PolicySettings(max_alerts=200)), Policy()
    _run(plan, Pipeline(limited.observe, LIVE_LIKE))
    _run(plan, Pipeline(unlimited.observe))
    signaling = lambda policy: {k for k, a in policy.alerts.items() if a.type == "cleartext_signaling"}  # noqa: E731
    assert limited.alerts_dropped > 0 and len(unlimited.alerts) > 200 > len(signaling(unlimited))
    assert signaling(limited) == signaling(unlimited) != set()
    assert all(a.call_id or a.stream for a in set(unlimited.alerts.values()) - set(limited.alerts.values()))


def _live_limits() -> dict:
    """The live limits alone (no module limits changed): once they are reached, hours more calls hold
    no more memory in the pipeline and the policy."""
    policy = Policy(PolicySettings(max_alerts=100))
    pipeline = Pipeline(policy.observe, replace(LIVE_LIKE, max_finished=160, max_ended_calls=40))
    grown, calls = _growth_after_warm_up(pipeline)
    return {"grown": grown, "calls": calls, "live": _live_state(pipeline), "held_calls": len(pipeline.calls.calls),
            "finished": len(pipeline.finished), "alerts": len(policy.alerts),
            "offers": len(policy.srtp_offers), "awaiting": len(policy.awaiting_sdp)}


def test_memory_is_flat_with_the_live_limits():
    held = _apart("_live_limits")
    assert held["live"] == {"flows": 0, "fast": 0, "addresses": 0}
    assert held["held_calls"] == 40 and held["finished"] <= 160 and held["alerts"] == 100
    assert held["offers"] <= 40 and held["awaiting"] <= 2 * 40
    assert held["grown"] / held["calls"] < 256, f"{held['grown'] / held['calls']:.0f} B held per call"


class _Stored:
    """The store's seam as the collector's Sink uses it: what it was given to record."""

    def __init__(self):
        self.events = []

    def observe(self, event) -> None:
        self.events.append(event)

    def alert(self, alert, device_class: str) -> None:
        pass


def test_calls_let_go_reach_the_store_with_the_uris_masked_as_in_the_report():
    privacy = Privacy(mask_sip_uris=True, key=b"k" * 32)
    policy, store = Policy(PolicySettings(privacy=privacy)), _Stored()
    sink, seen = Sink(policy, store, "sensor-1"), []

    def emit(event):
        seen.append(event)
        sink.event(event)
    _run(DayPlan(calls_per_wave=4, waves=5, wave_every=30.0), Pipeline(emit, LIVE_LIKE), gap_after=120.0)
    raw = {e.call_id: e for e in seen if isinstance(e, CallEnded)}
    stored = {e.call_id: e for e in store.events if isinstance(e, CallEnded)}
    assert len(stored) == 20 - 10 and stored.keys() == raw.keys()
    for call_id, event in stored.items():
        assert event.from_uri == privacy.uri(raw[call_id].from_uri) != raw[call_id].from_uri
        assert event.to_uri == privacy.uri(raw[call_id].to_uri) != raw[call_id].to_uri
    assert sum(isinstance(e, StreamEnded) for e in store.events) == 4 * 20
