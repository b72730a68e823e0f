"""RTP (RFC 3550) header rules as pure byte predicates.

`parse_rtp` returns the header fields and where the payload lies, or None when the bytes cannot be
RTP. RFC 5761: a second byte in 192..223 is RTCP sharing the port (rtcp-mux), never RTP.
"""
from __future__ import annotations

import struct

RTP_HDR = struct.Struct("!BBHII")
EXT_HDR = struct.Struct("!HH")

# RFC 3551 static payload types: name, clock rate
STATIC_PAYLOAD_TYPES = {
    0: ("PCMU", 8000), 3: ("GSM", 8000), 4: ("G723", 8000), 5: ("DVI4", 8000), 6: ("DVI4", 16000),
    7: ("LPC", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000), 10: ("L16", 44100), 11: ("L16", 44100),
    12: ("QCELP", 8000), 13: ("CN", 8000), 14: ("MPA", 90000), 15: ("G728", 8000),
    16: ("DVI4", 11025), 17: ("DVI4", 22050), 18: ("G729", 8000), 25: ("CelB", 90000),
    26: ("JPEG", 90000), 28: ("nv", 90000), 31: ("H261", 90000), 32: ("MPV", 90000),
    33: ("MP2T", 90000), 34: ("H263", 90000),
}
UNASSIGNED_STATIC = frozenset(range(35, 72)) | frozenset({1, 2, 19, 20, 21, 22, 23, 24, 27, 29, 30})


class RtpHeader:
    __slots__ = ("marker", "pt", "seq", "ts", "ssrc", "csrc_count", "has_ext", "payload_off", "payload_end")

    def __init__(self, marker, pt, seq, ts, ssrc, csrc_count, has_ext, payload_off, payload_end):
        self.marker, self.pt, self.seq, self.ts, self.ssrc = marker, pt, seq, ts, ssrc
        self.csrc_count, self.has_ext = csrc_count, has_ext
        self.payload_off, self.payload_end = payload_off, payload_end


def is_rtcp_type(second_byte: int) -> bool:
    """RFC 5761 section 4: packet types 192..223 belong to RTCP."""
    return 192 <= second_byte <= 223


def parse_rtp(data: bytes, off: int, end: int) -> RtpHeader | None:
    """Header fields of an RTP packet in data[off:end], or None if it breaks RTP's rules."""
    if end - off < 12:
        return None
    b0, b1, seq, ts, ssrc = RTP_HDR.unpack_from(data, off)
    if b0 >> 6 != 2 or is_rtcp_type(b1):
        return None
    csrc_count = b0 & 0x0F
    start = off + 12 + 4 * csrc_count
    has_ext = bool(b0 & 0x10)
    if has_ext:
        if start + 4 > end:
            return None
        _profile, words = EXT_HDR.unpack_from(data, start)
        start += 4 + 4 * words
    if start > end:
        return None
    stop = end
    if b0 & 0x20:  # padding: the last byte counts the padding bytes, itself included. Under SRTP
        pad = data[end - 1]   # that byte is the auth tag's: an impossible count is not a reason to drop
        if 0 < pad <= end - start:
            stop = end - pad
    return RtpHeader(b1 >> 7, b1 & 0x7F, seq, ts, ssrc, csrc_count, has_ext, start, stop)


def seq_delta(new: int, old: int) -> int:
    """Signed distance between two 16-bit sequence numbers."""
    return ((new - old + 0x8000) & 0xFFFF) - 0x8000


def ts_delta(new: int, old: int) -> int:
    """Signed distance between two 32-bit RTP timestamps."""
    return ((new - old + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def static_codec(pt: int) -> str | None:
    entry = STATIC_PAYLOAD_TYPES.get(pt)
    return entry[0] if entry else None
