"""The batch hands the frames of media flows that are still deciding (and every RTCP frame) to
`Pipeline.media_frame`, which reads them at fixed offsets instead of decoding them: the report is the
per-frame path's, exactly, whatever the frames look like and wherever batches cut them."""
from __future__ import annotations

import struct
from collections import Counter

import pytest

from collectors.pipeline import Pipeline
from collectors.sources import pcapfile
from tests.collectors.batch.test_equivalence import SRTP, assert_same, calls
from tests.synth.capture import CallSpec
from tests.synth.pcapio import write_pcap


@pytest.fixture
def handled(monkeypatch) -> Counter:
    """Frames `media_frame` took, by kind ("rtp", "rtcp"), in the batched run."""
    seen: Counter = Counter()
    original = Pipeline.media_frame

    def spy(self, ts, data):
        taken = original(self, ts, data)
        if taken:
            seen["rtcp" if 192 <= data[43] <= 223 else "rtp"] += 1
        return taken
    monkeypatch.setattr(Pipeline, "media_frame", spy)
    return seen


def test_first_frames_of_streams_split_across_batches(tmp_path, monkeypatch, handled):
    """Read buffers of a few frames: detection, classification and the evidence frames of each stream
    are cut by batch boundaries everywhere."""
    path = write_pcap(tmp_path / "split.pcap", calls(
        CallSpec(duration=4.0, seed=1, sip_transport=None),
        CallSpec(caller_ip="10.1.1.10", callee_ip="10.2.1.20", duration=4.0, seed=2, srtp_suite=SRTP),
        CallSpec(caller_ip="10.1.2.10", callee_ip="10.2.2.20", duration=4.0, seed=3, codec="G729",
                 sip_transport=None)))
    monkeypatch.setattr(pcapfile, "BULK_READ", 1 << 12)
    assert assert_same(path)["streams"]
    assert handled["rtp"] > 60 and handled["rtcp"]


def test_rtcp_of_classified_streams(tmp_path, handled):
    """Frequent RTCP and SRTCP beside settled streams, signaled or not, SRTP promised but plain RTP sent,
    RTCP multiplexed on the RTP port: every verdict, assurance and counter as frame by frame."""
    specs = [CallSpec(caller_ip=f"10.7.{i}.10", callee_ip=f"10.8.{i}.20", rtcp_interval=0.3, duration=6.0,
                      seed=600 + i, loss=0.02 * i, srtp_suite=SRTP if i % 2 else None, srtp_on_wire=i != 3,
                      rtcp_mux=i == 4, sip_transport="udp" if i % 2 == 0 else None) for i in range(6)]
    path = write_pcap(tmp_path / "rtcp.pcap", calls(*specs))
    report = assert_same(path)
    assert {s["kind"] for s in report["streams"]} == {"rtp", "rtcp"}
    assert handled["rtcp"] > 100


def test_a_stream_that_changes_shape_after_it_is_settled(tmp_path, handled):
    """The same 5-tuples go on with another SSRC, RTP header extensions, CSRCs and padding (full path),
    then SRTP: entries re-armed, the frames `media_frame` does not take decoded as before; and a stream
    with extensions, CSRCs and padding from its first frame."""
    first = CallSpec(duration=3.0, seed=11, sip_transport=None, vad=True, dtmf="12")
    second = CallSpec(duration=3.0, seed=12, sip_transport=None, audio_level_ext=True, csrcs=(7,), rtp_padding=4,
                      start_time=first.start_time + 3.5)
    third = CallSpec(duration=3.0, seed=13, sip_transport=None, srtp_suite=SRTP, start_time=first.start_time + 7.0)
    shaped = CallSpec(caller_ip="10.1.6.10", callee_ip="10.2.6.20", duration=3.0, seed=14, sip_transport=None,
                      audio_level_ext=True, csrcs=(7, 8), rtp_padding=4)     # from its first frame
    path = write_pcap(tmp_path / "shapes.pcap", calls(first, second, third, shaped))
    assert assert_same(path)["streams"]
    assert handled["rtp"]


def _odd(frame: bytes, i: int) -> bytes:
    """Frames of the fast path's shape whose lengths disagree: an Ethernet trailer, a UDP length shorter
    than the IP payload, a capture cut inside the datagram, an IP length too small, an empty datagram."""
    kind = i % 6
    if kind == 1:
        return frame + b"\x00" * 6
    if kind == 2 and len(frame) > 60:
        ulen = struct.unpack_from("!H", frame, 38)[0]
        return frame[:38] + struct.pack("!H", ulen - 5) + frame[40:]
    if kind == 3:
        return frame[:50]
    if kind == 4:
        return frame[:16] + struct.pack("!H", 19) + frame[18:]
    if kind == 5:
        return frame[:16] + struct.pack("!H", 28) + frame[18:38] + struct.pack("!H", 8) + frame[40:]
    return frame


def test_frames_whose_lengths_disagree(tmp_path, handled):
    frames = calls(CallSpec(duration=3.0, seed=21, sip_transport=None),
                   CallSpec(caller_ip="10.1.3.10", callee_ip="10.2.3.20", duration=3.0, seed=22, srtp_suite=SRTP))
    media = [i for i, (_ts, frame) in enumerate(frames) if frame[12:14] == b"\x08\x00" and frame[23] == 17
             and struct.unpack_from("!H", frame, 36)[0] >= 16384]
    odd = dict(frames)
    for n, i in enumerate(media[::3]):
        odd[frames[i][0]] = _odd(frames[i][1], n)
    odd = sorted(odd.items())
    path = write_pcap(tmp_path / "odd.pcap", odd)
    report = assert_same(path)
    assert report["streams"] and report["captures"][0]["decode_errors"]
    assert handled["rtp"]
