"""A quiet flow (collectors.flows.QUIET seconds without a packet) is held compact until it expires or
sends again: what it reports, and every event, is what the same traffic gives a pipeline that never
compacts. And a quiet media flow is small (issue 17: <= 1 KB per idle stream)."""
from __future__ import annotations

import sys

import pytest

from bench.calls_day import DayPlan, waves
from collectors.flows import QUIET, FlowTable, key_parts, reverse_key
from collectors.classify.verdict import Verdict
from collectors.media.stream import SAID, QuietStream, StreamState
from collectors.pipeline import Pipeline
from collectors.snapshot import take_snapshot

GAP_AT = 3.5                   # seconds into the wave: after the first SR (1 s), before the second (6 s)
GAP = 3 * QUIET


def _paused_wave(calls: int) -> tuple[list, list, float]:
    """One wave of calls (half SRTP with SDES keys, RTCP both ways) whose every stream pauses for GAP
    seconds GAP_AT seconds in: the frames before and after the pause, and when the pause begins."""
    plan = DayPlan(calls_per_wave=calls, waves=1, media_seconds=8.0)
    _at, frames = next(waves(plan))
    pause = plan.start + GAP_AT
    before = [f for f in frames if f[0] < pause]
    after = [(ts + GAP, *rest) for ts, *rest in frames if ts >= pause]
    return before, after, pause


def _run(before: list, after: list, pause: float) -> tuple[Pipeline, list, int]:
    """Feeds the frames with the clock ticking through the pause and on until every flow expired;
    returns the pipeline, its events and how many media flows were quiet during the pause (held as a
    QuietStream, an SRTCP exposure probe's packets packed)."""
    events = []
    pipeline = Pipeline(events.append)
    pipeline.feed_many(before)
    now, quiet = pause, 0
    while now < pause + GAP - 1:
        now += 1.0
        pipeline.tick(now)
        quiet = max(quiet, sum(f.quiet and type(f.rtp or f.rtcp) is QuietStream and _packed(f.rtp or f.rtcp)
                               for f in pipeline.udp.flows.values() if f.rtp or f.rtcp))
    pipeline.feed_many(after)
    end = after[-1][0] + pipeline.settings.idle_timeout + 2
    while now < end:
        now += 1.0
        pipeline.tick(now)
    assert not pipeline.udp.flows
    return pipeline, events, quiet


def _packed(stream) -> bool:
    probe = stream.exposure
    return not probe or type(probe.packets) is bytes


def test_streams_that_pause_beyond_quiet_report_as_if_never_compacted(monkeypatch):
    before, after, pause = _paused_wave(6)
    compacted, compacted_events, quiet = _run(before, after, pause)
    assert quiet == 6 * 4                  # every RTP and RTCP flow was compacted during the pause
    monkeypatch.setattr(FlowTable, "_quieten", lambda table, flow: None)      # never compacted
    whole, whole_events, never = _run(before, after, pause)
    assert never == 0
    assert compacted_events == whole_events
    compacted_streams, whole_streams = take_snapshot(compacted).streams, take_snapshot(whole).streams
    assert compacted_streams == whole_streams and len(whole_streams) == 6 * 4
    assert {s["encrypted"] for s in whole_streams} == {True, False}
    assert any("exposure" in line for s in whole_streams for line in s["evidence"])


def _stream(kind: str, counts: list[tuple]) -> StreamState:
    """A stream that counted packets with (ssrc, pt or shape, RTCP types) as listed."""
    stream = StreamState(kind, 1.0)
    _feed(stream, counts, 2.0)
    return stream


def _feed(stream: StreamState, counts: list[tuple], ts: float) -> None:
    for ssrc, pt, types in counts:
        stream.count(ts, 100)
        stream.add_ssrc(ssrc)
        stream.add_pt(pt)
        for t in types:
            stream.rtcp_types[t] = stream.rtcp_types.get(t, 0) + 1


def _counters(stream: StreamState) -> tuple:
    keys = tuple(stream.keys(name) for name in ("ssrcs", "pt_counts", "rtcp_types"))
    counts = tuple(stream.count_of(key) for key in stream.keys("pt_counts"))
    return keys, counts, stream.main_pt, dict(stream.ssrcs), dict(stream.pt_counts), dict(stream.rtcp_types)


SHAPES = {
    "one SSRC, one payload type": [(7, 0, ())] * 5,
    "RTCP, the same compound each time": [(7, "plain", (200, 202))] * 3,
    "SSRC change and telephone events": [(7, 0, ())] * 4 + [(9, 101, ())] * 2 + [(9, 0, ())] * 3,
    "RTCP compounds that differ": [(7, "srtcp", (200, 202)), (7, "srtcp", (201, 202, 203))],
    "nothing counted": [],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_compact_stream_counts_on_as_if_it_never_was(shape):
    """Counters held as keys only (each counted every packet) come back with the count of the
    compaction, however many packets the stream counted since; compacted twice the same."""
    compacted, whole = _stream("rtp", SHAPES[shape]), _stream("rtp", SHAPES[shape])
    compacted.compact()
    assert _counters(compacted) == _counters(whole)
    compacted, more = _stream("rtp", SHAPES[shape]), [(9, 0, (200,))] * 2
    compacted.compact()
    for stream in (compacted, whole):
        stream.count(3.0, 50)               # a packet no counter sees (an RTCP packet that does not parse)
    compacted.compact()
    for stream in (compacted, whole):
        _feed(stream, more, 4.0)
    compacted.compact()
    assert _counters(compacted) == _counters(whole)
    assert compacted.packets == whole.packets


def test_a_quiet_media_flow_is_small():
    """Size, not time: the objects a quiet call's media flows keep (issue 17)."""
    before, _after, pause = _paused_wave(2)
    pipeline = Pipeline(lambda event: None)
    pipeline.feed_many(before)
    pipeline.tick(pause + QUIET + 1)
    media = [f for f in pipeline.udp.flows.values() if f.rtp or f.rtcp]
    assert len(media) == 8 and all(f.quiet for f in media)
    for flow in media:
        stream = flow.rtp or flow.rtcp
        assert sys.getsizeof(flow) <= 128 and flow._rare is None
        assert type(stream) is QuietStream and sys.getsizeof(stream) <= 120
        assert stream.packets is flow.packets and stream.bytes is flow.bytes
        # one SSRC and one payload type (or RTCP shape) each counted every packet: the keys alone
        assert type(stream._ssrcs) is int and type(stream._pt_counts) in (int, str)
    rtcp = [f.rtcp for f in media if f.rtcp]
    compounds = [s._rtcp_types for s in rtcp if type(s._rtcp_types) is not int]    # SRTCP: SR alone is seen
    assert compounds and len({id(held) for held in compounds}) == 1          # SR + SDES: one shared key tuple
    by_key = {f.key: f for f in media}
    for flow in media:
        # the key is one bytes object (addresses, then ports), no tuple or port ints
        assert type(flow.key) is bytes and sys.getsizeof(flow.key) <= 45
        src, sport, dst, dport = key_parts(flow.key)
        assert (flow.sport, flow.dport) == (sport, dport) and by_key[reverse_key(flow.key)].sport == dport


def test_a_quiet_stream_reads_and_changes_as_the_stream_it_was():
    """QuietStream: the same fields (its small ones in a shared tuple), its payload verdict rebuilt from
    the run of its evidence lines it names, a Verdict of its own once its evidence changes; awake again,
    the same StreamState."""
    stream = _stream("rtp", [(7, 0, ())] * 5)
    payload = Verdict(False, None, 0.93, ("payload: byte distribution 110 sigma", "length: 11 packets"), "payload")
    stream.encrypted, stream.keying, stream.confidence, stream.verdict_source = False, None, 0.95, "sdp"
    stream.evidence = ("sdp: RTP/AVP (answer from 10.0.0.2)",) + payload.evidence
    stream.payload_verdict, stream.decided_after, stream.emitted, stream.codec = payload, 5, True, "PCMU"
    stream.exposure = False
    fields = tuple(name for name in SAID if not name.startswith("_")) + ("packets", "bytes", "first_seen", "last_seen", "evidence", "notes", "exposure",
                     "payload_verdict")
    before = {name: getattr(stream, name) for name in fields}
    quiet = stream.compact()
    assert type(quiet) is QuietStream and type(quiet._payload) is not Verdict
    assert {name: getattr(quiet, name) for name in fields} == before
    again = _stream("rtp", [(7, 0, ())] * 5)
    again.encrypted, again.confidence, again.verdict_source, again.codec = False, 0.95, "sdp", "PCMU"
    again.evidence, again.payload_verdict, again.decided_after, again.emitted = stream.evidence, payload, 5, True
    again.exposure = False
    assert again.compact()._said is quiet._said                    # shared between streams
    quiet.evidence = ("rtcp: something else",)                    # a re-judgement while quiet
    quiet.assurance, quiet.confidence = "evidence", 0.8
    assert quiet.payload_verdict == payload and quiet.evidence == ["rtcp: something else"]
    awake = quiet.awake()
    assert type(awake) is StreamState and awake.payload_verdict == payload
    after = {**before, "evidence": ["rtcp: something else"], "assurance": "evidence", "confidence": 0.8}
    assert {name: getattr(awake, name) for name in fields} == after
    assert _counters(awake) == _counters(stream)
