"""Evidence: the first frames of every stream flagged cleartext are handed on (bounded), never those
of encrypted streams."""
from __future__ import annotations

from collectors.events import StreamEvidence
from collectors.pipeline import EVIDENCE_FRAMES, Pipeline
from collectors.sources.pcapfile import PcapFileSource
from tests.synth.capture import CallSpec, build_call


def evidence_of(path) -> list[StreamEvidence]:
    events = []
    pipeline = Pipeline(events.append)
    pipeline.feed_many(PcapFileSource(str(path)).packets())
    pipeline.finish()
    return [e for e in events if isinstance(e, StreamEvidence)]


def test_cleartext_streams_come_with_their_first_frames(tmp_path):
    call = build_call(CallSpec(sip_transport=None, seed=41))
    evidence = evidence_of(call.write(tmp_path / "c.pcap"))
    assert sorted(e.src for e in evidence) == sorted(m.src.ip for m in call.streams)
    for item in evidence:
        media = next(m for m in call.streams if m.src.ip == item.src)
        assert len(item.frames) == EVIDENCE_FRAMES
        first_rtp = media.packets[0].data
        assert item.frames[0][2].endswith(first_rtp) and item.frames[0][1] == 1


def test_encrypted_streams_give_no_evidence(tmp_path):
    call = build_call(CallSpec(sip_transport=None, seed=42, srtp_suite="AES_CM_128_HMAC_SHA1_80"))
    assert evidence_of(call.write(tmp_path / "s.pcap")) == []


def test_short_cleartext_stream_gives_what_it_had(tmp_path):
    call = build_call(CallSpec(duration=0.2, seed=43))       # ~10 packets per direction, with SDP
    evidence = evidence_of(call.write(tmp_path / "short.pcap"))
    assert evidence and all(0 < len(e.frames) < EVIDENCE_FRAMES for e in evidence)
