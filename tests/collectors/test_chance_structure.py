"""Codec structure against chance in the keyless classifier (collectors/classify/payload.py): constant
bit positions of the payload prefix decide cleartext only when fair coins would give as many far more
rarely than once per stream. A real SRTP stream whose first 12 packets share 3 constant bits by chance
(kept from a bench/site run, tests/data/site/README.md) is SRTP, as are random payloads made to agree on
3 bits in their first 12 packets only; a codec header of 3 constant bits is still found, a few packets
later."""
from __future__ import annotations

import random

from collectors.classify.payload import MIN_PACKETS, PayloadClassifier
from tests.conftest import DATA, analyze


def test_three_constant_bits_by_chance_in_real_srtp_blame_nobody():
    report = analyze(DATA / "site" / "srtp-chance-constant-bits.pcap")
    [stream] = report["streams"]
    assert stream["encrypted"] is True
    assert not any("constant" in line for line in stream["evidence"])
    assert report["alerts"] == []


def _verdict(payloads: list[bytes]):
    classifier = PayloadClassifier(lambda pt: None)              # a dynamic payload type: no frame size
    for n, payload in enumerate(payloads):
        frame = bytes(12) + payload
        verdict = classifier.feed(frame, 12, len(frame), 111, 0x1234, n * 960)
        if verdict is not None:
            return n + 1, verdict
    return None, None


def test_a_codec_header_of_three_constant_bits_is_still_cleartext():
    rng = random.Random(5)
    payloads = [bytes([0b10100000 | rng.randrange(32)]) + rng.randbytes(59) for _ in range(60)]
    packets, verdict = _verdict(payloads)
    assert verdict is not None and not verdict.encrypted
    assert MIN_PACKETS < packets <= MIN_PACKETS + 6
    assert any("3 bit positions constant" in line for line in verdict.evidence)


def test_three_bits_constant_only_in_the_first_twelve_packets_are_chance():
    """Random payloads whose first 12 packets happen to agree on 3 bits (what the SRTP capture above
    shows): the bits stop agreeing, and the stream is not called cleartext."""
    rng = random.Random(11)
    payloads = [rng.randbytes(60) for _ in range(60)]
    for n in range(MIN_PACKETS):
        payloads[n] = bytes([payloads[n][0] | 0b10000000, payloads[n][1] & 0b11011111]) + payloads[n][2:4] \
            + bytes([payloads[n][4] | 0b00000100]) + payloads[n][5:]
    packets, verdict = _verdict(payloads)
    assert verdict is not None and verdict.encrypted, (packets, verdict)
