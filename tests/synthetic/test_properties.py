"""Property tests of the keyless verdict (hypothesis): real codec frames are never called
encrypted; the same audio encrypted with pylibsrtp is never called cleartext. The classifier sees
only the packets: no SDP, no payload-type names beyond RFC 3551's static table."""
from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from collectors.classify.codecs import cleartext_length
from collectors.classify.payload import BUDGET, PayloadClassifier
from collectors.media.rtp import parse_rtp, static_codec
from tests.synth.codecs import CODECS, CodecUnavailable, encode_packets
from tests.synth.rtp import RtpStream, impair
from tests.synth.srtp import SUITES, master_key_salt, protect_rtp

AUDIO_CODECS = ["PCMU", "PCMA", "G722", "opus", "G729", "AMR", "G726-32"]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=64)
def payloads(codec: str, seed: int, vad: bool, ptime: int):
    try:
        return tuple(encode_packets(codec, 2.0, ptime_ms=ptime, seed=seed, vad=vad))
    except CodecUnavailable as exc:
        pytest.skip(str(exc))


def rtp_packets(codec: str, seed: int, vad: bool, ptime: int, loss: float, reorder: float) -> list[bytes]:
    info = CODECS[codec]
    stream = RtpStream(ssrc=0x1000 + seed, pt=info.payload_type, clock_rate=info.clock_rate,
                       seq0=seed * 77 % 65536, ts0=seed * 1234567 % 2**32)
    packets = impair(stream.packetize(payloads(codec, seed % 8, vad, ptime)), loss=loss, reorder=reorder, seed=seed)
    return [p.data for p in packets]


def verdict_of(packets: list[bytes]):
    classifier = PayloadClassifier(static_codec)
    verdict = None
    for packet in packets[:BUDGET]:
        hdr = parse_rtp(packet, 0, len(packet))
        if hdr is None:
            continue
        verdict = classifier.feed(packet, hdr.payload_off, len(packet), hdr.pt, hdr.ssrc, hdr.ts)
        if verdict is not None:
            return verdict
    return classifier.decide(final=True)


streams = st.fixed_dictionaries({
    "codec": st.sampled_from(AUDIO_CODECS),
    "seed": st.integers(0, 10_000),
    "vad": st.booleans(),
    "ptime": st.sampled_from([20, 40]),
    "loss": st.sampled_from([0.0, 0.02, 0.1]),
    "reorder": st.sampled_from([0.0, 0.05]),
})


@SETTINGS
@given(streams)
def test_real_codec_frames_are_never_called_encrypted(case):
    verdict = verdict_of(rtp_packets(**case))
    assert verdict is not None and verdict.encrypted is False, (case, verdict)


@SETTINGS
@given(streams, st.sampled_from(sorted(SUITES)))
def test_srtp_is_never_called_cleartext(case, suite):
    packets = protect_rtp(rtp_packets(**case), suite, master_key_salt(suite, case["seed"]))
    verdict = verdict_of(packets)
    assert verdict is None or verdict.encrypted is True, (case, suite, verdict)


def random_packets(seed_bytes: bytes, pt: int, count: int) -> list[bytes]:
    import hashlib
    packets = []
    for i in range(count):
        body = hashlib.shake_256(seed_bytes + i.to_bytes(4, "big")).digest(len(seed_bytes))
        packets.append(bytes([0x80, pt]) + (1000 + i).to_bytes(2, "big") + (160 * i).to_bytes(4, "big")
                       + b"\x01\x02\x03\x04" + body)
    return packets


@SETTINGS
@given(st.binary(min_size=20, max_size=400), st.integers(0, 127), st.integers(1, 80))
def test_random_payloads_behind_an_rtp_header_are_not_called_cleartext_codec_frames(seed_bytes, pt, count):
    """Uniformly random payloads (what any cipher produces) never show codec structure, so they are
    never cleartext, except where their length alone says so: exactly the static codec's frame size
    for the timestamp step, no room for an SRTP tag (test below)."""
    assume(cleartext_length(static_codec(pt), 160, len(seed_bytes)) != len(seed_bytes))
    verdict = verdict_of(random_packets(seed_bytes, pt, count))
    assert verdict is None or verdict.encrypted is True or verdict.confidence < 0.5, verdict


@SETTINGS
@given(st.binary(min_size=160, max_size=160), st.integers(12, 80))
def test_random_bytes_of_exactly_the_g711_frame_size_are_cleartext_by_length(seed_bytes, count):
    """Random 160-byte payloads on PT 0 every 160 ticks: uniform bytes, but no room for any SRTP tag
    (authenticated SRTP adds 4, 10 or 16 bytes): the length decides, and says so. (G.711 of loud
    noise is close to uniform; unauthenticated SRTP is the one thing that would look the same.)"""
    verdict = verdict_of(random_packets(seed_bytes, 0, count))
    assert verdict is not None and verdict.encrypted is False, verdict
    assert any("no SRTP tag room" in e for e in verdict.evidence), verdict


@SETTINGS
@given(st.binary(min_size=20, max_size=400), st.sampled_from([96, 101, 111, 127]))
def test_uniform_bytes_alone_are_encrypted_unverified(seed_bytes, pt):
    """A dynamic payload type, no frame size to check, no SDP, no key exchange: a full budget of
    uniform bytes is 'encrypted, unverified' - lower confidence, never a verified verdict."""
    verdict = verdict_of(random_packets(seed_bytes, pt, BUDGET))
    assert verdict is not None and verdict.encrypted is True and verdict.verified is False, verdict
    assert verdict.confidence < 0.75
