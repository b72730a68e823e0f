"""Memory a long live run relies on: calls come and go all day, and the collector keeps no state for
the ones that are over beyond what the end report lists (bounded), while a stream that pauses and goes
on is reported as one stream with every packet counted."""
from __future__ import annotations

import gc
import random
import struct
import tracemalloc

from appliance import policy as policy_module
from appliance.policy import Policy
from bench.calls_day import DayPlan, waves
from collectors.flows import QUIET
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.sip import calls as calls_module
from collectors.snapshot import take_snapshot
from tests.collectors.test_pipeline import rtp_frames
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


def test_memory_is_flat_when_calls_keep_coming_and_going(monkeypatch):
    """With the limits of what the report keeps reached, more hours of calls hold no more memory: the
    live state returns to what it was, the report's oldest calls and streams make room, and new calls
    are still tied to their streams."""
    monkeypatch.setattr(calls_module, "MAX_CALLS", 40)
    monkeypatch.setattr(calls_module, "MAX_INDEX", 160)
    tracemalloc.start()                # from the start: what replaces earlier state is weighed against it
    pipeline = Pipeline(lambda event: None, PipelineSettings(max_finished=160, max_flows=256))
    warm = DayPlan(calls_per_wave=4, waves=60, wave_every=30.0)       # every phone has called: limits reached
    now = _run(warm, pipeline, gap_after=90.0)
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    later = DayPlan(calls_per_wave=4, waves=120, wave_every=30.0, start=now + 10.0, seed=7)
    _run(later, pipeline, gap_after=90.0)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    calls = later.calls_per_wave * later.waves
    assert _live_state(pipeline) == {"flows": 0, "fast": 0, "addresses": 0}
    assert len(pipeline.calls.calls) == 40 and pipeline.calls.forgotten >= calls
    assert len(pipeline.finished) <= 160
    assert all(s["call_id"] is not None for s in take_snapshot(pipeline).streams[-40:])
    assert grown / calls < 256, f"{grown / calls:.0f} B held per call"


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
