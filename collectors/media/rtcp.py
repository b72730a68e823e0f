"""RTCP (RFC 3550, 3611, 4585, 5761) compound-packet rules as pure byte predicates."""
from __future__ import annotations

SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR = 200, 201, 202, 203, 204, 205, 206, 207
RTCP_TYPES = frozenset(range(SR, XR + 1)) | {192, 193, 194, 195}
NAMES = {SR: "SR", RR: "RR", SDES: "SDES", BYE: "BYE", APP: "APP", RTPFB: "RTPFB", PSFB: "PSFB", XR: "XR"}


class RtcpShape:
    """What the cleartext walk of a compound packet found."""
    __slots__ = ("types", "walked", "total", "ssrc")

    def __init__(self, types, walked, total, ssrc):
        self.types, self.walked, self.total, self.ssrc = types, walked, total, ssrc

    @property
    def exact(self) -> bool:
        """Every byte belongs to a well-formed RTCP packet (plain RTCP)."""
        return self.walked == self.total

    @property
    def trailer(self) -> int:
        """Bytes after the last well-formed packet (SRTCP: E|index word and auth tag)."""
        return self.total - self.walked


def parse_rtcp(data: bytes, off: int, end: int) -> RtcpShape | None:
    """Walk an RTCP compound packet; None unless the first packet is a valid RTCP header that fits.

    Under SRTCP only the first 8 bytes are clear, so the walk stops at the first packet whose
    header does not fit; the remainder is reported as `trailer`. (Read byte by byte: every RTCP
    packet of a media flow comes here, and indexing costs less than a struct's tuple.)
    """
    total = end - off
    if total < 8:
        return None
    types, pos = [], off
    while pos + 4 <= end:
        size = (((data[pos + 2] << 8) | data[pos + 3]) + 1) * 4
        pt = data[pos + 1]
        if data[pos] >> 6 != 2 or pt not in RTCP_TYPES or pos + size > end:
            break
        types.append(pt)
        pos += size
    if not types:
        return None
    return RtcpShape(tuple(types), pos - off, total, int.from_bytes(data[off + 4:off + 8], "big"))


SRTCP_TRAILERS = (14, 8, 4)     # E|index + tag: HMAC-SHA1-80, HMAC-SHA1-32, AES-GCM (tag inside)


def looks_srtcp(data: bytes, end: int, shape) -> bool:
    """SRTCP: bytes left after the clear walk, with the E flag set where an index word would sit."""
    if shape.exact:
        return False
    for trailer in SRTCP_TRAILERS:
        pos = end - trailer
        if shape.trailer >= trailer and data[pos] & 0x80:
            return True
    return False
