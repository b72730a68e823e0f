"""Decide early, then only count (as nDPI does): the per-packet shortcut for decided RTP streams.

Once an RTP stream's verdict is settled, a frame of the commonest shape (Ethernet, untagged IPv4
without options, not a fragment, UDP) whose addresses, ports, SSRC and payload type match is only
counted: no decoding, no classifiers. Any other frame takes the full path, which re-arms the entry.
"""
from __future__ import annotations

import struct

ETH_IPV4_IHL5 = b"\x08\x00\x45"
UDP_PROTO = 17
RTP_AT = 42          # RTP header offset in such a frame
PORTS = struct.Struct("!HH")


class FastEntry:
    __slots__ = ("flow", "stream", "ssrc_bytes", "ssrc", "pt")

    def __init__(self, flow, stream, ssrc_bytes: bytes, pt: int):
        self.flow, self.stream = flow, stream
        self.ssrc_bytes, self.ssrc, self.pt = ssrc_bytes, int.from_bytes(ssrc_bytes, "big"), pt


def fast_shape(data: bytes) -> bool:
    """Ethernet + IPv4 (IHL 5, no fragment) + UDP with room for an RTP header."""
    return (len(data) >= RTP_AT + 12 and data[12:15] == ETH_IPV4_IHL5 and data[23] == UDP_PROTO
            and not (data[20] & 0x3F or data[21]))


def flow_key_bytes(flow) -> bytes:
    src, sport, dst, dport = flow.key
    return src + dst + PORTS.pack(sport, dport)


class FastPath:
    def __init__(self):
        self.entries: dict[bytes, FastEntry] = {}
        self.hits = 0

    def count(self, ts: float, data: bytes) -> bool:
        """Count the frame if a settled stream owns it; False sends it down the full path."""
        entry = self.entries.get(data[26:38])
        if entry is None or data[50:54] != entry.ssrc_bytes or (data[43] & 0x7F) != entry.pt \
                or data[42] >> 6 != 2:
            return False
        size = ((data[38] << 8) | data[39]) - 8
        flow, stream = entry.flow, entry.stream
        flow.packets += 1
        flow.bytes += size
        flow.last_seen = stream.last_seen = ts
        stream.packets += 1
        stream.bytes += size
        stream.ssrcs[entry.ssrc] = stream.ssrcs.get(entry.ssrc, 0) + 1
        stream.pt_counts[entry.pt] += 1
        self.hits += 1
        return True

    def arm(self, flow, data: bytes) -> None:
        """After the full path handled an RTP frame of a settled stream, let its like skip it."""
        stream = flow.rtp
        if stream is None or stream.classifier is not None or stream.exposure is not False \
                or stream.encrypted is None or 192 <= data[RTP_AT + 1] <= 223:
            return
        pt = data[RTP_AT + 1] & 0x7F
        if pt in stream.pt_counts:
            self.entries[data[26:38]] = FastEntry(flow, stream, data[50:54], pt)

    def forget(self, flow) -> None:
        if flow.transport == "udp" and len(flow.key[0]) == 4:
            self.entries.pop(flow_key_bytes(flow), None)
