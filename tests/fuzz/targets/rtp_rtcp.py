"""RTP headers, RTCP compound packets and the SRTCP trailer; the RTP detector over a packet sequence."""
from collectors.media.detect import MATCH, NEED_MORE, NO_MATCH, RtpDetector
from collectors.media.rtcp import looks_srtcp, parse_rtcp
from collectors.media.rtp import parse_rtp
from tests.fuzz.common import chunks


def check(data: bytes) -> None:
    end = len(data)
    hdr = parse_rtp(data, 0, end)
    if hdr is not None:
        assert 12 <= hdr.payload_off <= hdr.payload_end <= end
        assert 0 <= hdr.pt < 128
    shape = parse_rtcp(data, 0, end)
    if shape is not None:
        assert 0 < shape.walked <= shape.total == end and shape.types
        looks_srtcp(data, end, shape)


def fuzz(data: bytes) -> None:
    check(data)
    detector = RtpDetector()
    for flag, body in chunks(data):
        check(body)
        result = detector.feed(parse_rtp(body, 0, len(body)), bool(flag & 1))
        assert result in (MATCH, NEED_MORE, NO_MATCH)
        if result != NEED_MORE:
            break
    detector.evidence
