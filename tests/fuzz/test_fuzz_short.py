"""The short fuzz run of `make test`: (a) every stored corpus input (seeds, inputs the long runs found,
crash reproducers) replayed through its target, (b) a hypothesis property per target over random and
mutated-seed inputs, (c) bounded memory under floods where the product has bounds.

A target raises only when the product breaks a promise: decoders count and skip garbage, parsers raise
only their documented Incomplete/Malformed, buffers stay under their limits (see tests/fuzz/targets)."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.decode.fragments import FragmentTable
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.sip.handler import MAX_SESSIONS
from tests.fuzz.common import IP_A, IP_B, pack_chunks, udp_frame
from tests.fuzz.targets import TARGETS, load

CORPUS = Path(__file__).resolve().parents[1] / "data" / "fuzz"
SLOW = {"pcap", "pcapng", "pipeline_frames", "pipeline_udp", "pipeline_tcp", "payload_classifier", "tls_handshake"}


@functools.cache
def corpus(target: str) -> tuple[bytes, ...]:
    folder = CORPUS / target
    return tuple(p.read_bytes() for p in sorted(folder.iterdir())) if folder.is_dir() else ()


def test_every_target_has_a_corpus():
    missing = [t for t in TARGETS if not corpus(t)]
    assert not missing, f"no stored corpus for {missing}: run python -m tests.fuzz.seeds"


@pytest.mark.parametrize("target", TARGETS)
def test_replay_corpus(target):
    fuzz = load(target)
    for data in corpus(target):
        fuzz(data)


def mutated(target: str):
    """A stored input with a few bytes flipped, cut, or spliced with random bytes."""
    seeds = corpus(target) or (b"",)

    @st.composite
    def strategy(draw):
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(0, 4))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        if draw(st.booleans()) and data:
            cut = draw(st.integers(0, len(data)))
            data = data[:cut] + draw(st.binary(max_size=64)) + data[cut:][draw(st.integers(0, 64)):]
        return bytes(data)
    return strategy()


@pytest.mark.parametrize("target", TARGETS)
def test_property(target):
    fuzz = load(target)
    examples = 25 if target in SLOW else 120

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.one_of(st.binary(max_size=2048), mutated(target)))
    def run(data):
        fuzz(data)
    run()


# -- bounded memory -----------------------------------------------------------------------------------
def test_one_packet_flow_flood_keeps_the_flow_table_bounded():
    limit = 256
    pipeline = Pipeline(lambda event: None, PipelineSettings(max_flows=limit))
    for i in range(20 * limit):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        pipeline.feed(1.7e9 + i * 1e-4, 1, udp_frame(b"\x01" * 20, 1024 + i % 50000, 9, src, IP_B))
        assert len(pipeline.udp.flows) <= limit
    assert pipeline.udp.evicted > 0


def test_first_fragment_flood_keeps_the_fragment_table_bounded():
    table = FragmentTable(max_pending=64)
    for i in range(5000):
        table.add((IP_A, IP_B, i, 17), 1.0, 0, True, b"x" * 1400)
        assert len(table._pending) <= 64


def test_sip_from_many_peers_keeps_sessions_and_calls_bounded():
    pipeline = Pipeline(lambda event: None)
    for i in range(3000):
        msg = (b"OPTIONS sip:x@192.0.2.20 SIP/2.0\r\nCall-ID: %d\r\nCSeq: 1 OPTIONS\r\n\r\n" % i)
        pipeline.feed(1.7e9 + i * 1e-3, 1, udp_frame(msg, 5060, 5060, bytes([10, 1, i >> 8, i & 255]), IP_B))
    assert len(pipeline.sip.sessions) <= MAX_SESSIONS
    assert len(pipeline.calls.calls) == 0          # OPTIONS without SDP opens no call


def reinvite(i: int, media_lines: int) -> bytes:
    sdp = b"v=0\r\no=- 1 %d IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 10.%d.%d.1\r\nt=0 0\r\n" % (i, i >> 8 & 255, i & 255)
    sdp += b"".join(b"m=audio %d RTP/AVP 0\r\n" % (2000 + 2 * m) for m in range(media_lines))
    return (b"INVITE sip:b@192.0.2.20 SIP/2.0\r\nCall-ID: one-call\r\nCSeq: %d INVITE\r\n"
            b"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" % (i + 1, len(sdp))) + sdp


def test_endless_reinvites_of_one_call_keep_its_history_and_the_media_index_bounded(monkeypatch):
    from collectors.sip import calls
    monkeypatch.setattr(calls, "MAX_INDEX", 1000)       # the real bound (160,000) works the same way
    MAX_HISTORY, MAX_INDEX = calls.MAX_HISTORY, calls.MAX_INDEX
    pipeline = Pipeline(lambda event: None)
    for i in range(400):
        pipeline.feed(1.7e9 + i * 1e-3, 1, udp_frame(reinvite(i, 64), 5060, 5060, IP_A, IP_B))
    call = pipeline.calls.calls["one-call"]
    assert len(call.history) <= MAX_HISTORY and call.history[0].sdp.media   # the first offer is kept
    assert len(pipeline.calls.index) <= MAX_INDEX


def test_flood_of_short_media_flows_keeps_the_reuse_serials_bounded():
    limit = 64
    pipeline = Pipeline(lambda event: None, PipelineSettings(idle_timeout=1.0, max_flows=limit))
    sender_report = b"\x80\xc8\x00\x06" + bytes(24)       # one RTCP SR makes a flow media at once
    for i in range(3000):
        pipeline.feed(1.7e9 + i * 0.01, 1, udp_frame(sender_report, 10000 + i, 20001, IP_A, IP_B))
    assert pipeline.udp.serials and len(pipeline.udp.serials) <= limit
