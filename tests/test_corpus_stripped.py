"""The keyless verdict on real captures written by others: every labelled media stream of the shared
corpus keeps its verdict when all SIP is removed from the capture (GSM, iLBC, Speex, G.726, LPC,
DVI4, H.263, Opus, G.729, SRTP, DTLS-SRTP ...). Skipped where ../shared/corpus is absent."""
from __future__ import annotations

import json
import struct

import pytest

from collectors.decode import Decoder
from collectors.sip.message import looks_like_sip
from collectors.sources.pcapfile import PcapFileSource
from tests.conftest import SHARED, analyze

CORPUS = SHARED / "corpus"
LABELS = CORPUS / "labels.json"
SIP_PORTS = (5060, 5061)


def labelled_media() -> list[dict]:
    if not LABELS.exists():
        return []
    return [c for c in json.loads(LABELS.read_text())["captures"] if c.get("media")]


def strip_sip(source_path, target) -> int:
    """Copy a capture without its SIP packets; returns how many were removed."""
    decoder, kept, removed = Decoder(), [], 0
    for frame in PcapFileSource(str(source_path)).packets():
        pkt = decoder.decode(frame.ts, frame.linktype, frame.data)
        if pkt is not None and (set(SIP_PORTS) & {pkt.sport, pkt.dport} or looks_like_sip(pkt.data, pkt.off)):
            removed += 1
            continue
        kept.append(frame)
    linktype = kept[0].linktype if kept else 1
    with open(target, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
        for frame in kept:
            nanos = round(frame.ts * 1e9)
            out.write(struct.pack("<IIII", nanos // 10**9, nanos % 10**9, len(frame.data), frame.wirelen))
            out.write(frame.data)
    return removed


@pytest.mark.skipif(not LABELS.exists(), reason="../shared/corpus is not present on this machine")
@pytest.mark.parametrize("capture", labelled_media(), ids=lambda c: c["file"])
def test_verdicts_survive_without_signaling(tmp_path, capture):
    stripped = tmp_path / "stripped.pcap"
    strip_sip(CORPUS / capture["file"], stripped)
    report = analyze(stripped)
    assert not report["calls"]
    streams = {(s["src"], s["src_port"], s["dst"], s["dst_port"]): s for s in report["streams"] if s["kind"] == "rtp"}
    for media in capture["media"]:
        stream = streams.get((media["src"], media["src_port"], media["dst"], media["dst_port"]))
        assert stream is not None, f"{media} not reported"
        assert stream["encrypted"] is media["encrypted"], stream["evidence"]
        assert stream["verdict_after_packets"] <= 50
