"""Decide early, then only count (as nDPI does): the per-packet shortcut for settled RTP streams.

Once an RTP stream's verdict is settled, a frame of the commonest shape (Ethernet, untagged IPv4
without options, not a fragment, UDP) whose addresses, ports, SSRC and payload type match is only
counted, in its entry: no decoding, no classifiers, no allocation beyond the key. Entries fold their
counts into the flow and stream (`flush`) before anything reads them. Any other frame takes the full
path, which re-arms the entry.
"""
from __future__ import annotations

from collectors.flows import shrunk

SHAPE = b"\x08\x00\x45"      # at offset 12: IPv4 ethertype, version 4 with a 20-byte header
UDP_PROTO = 17
RTP_AT = 42                  # RTP header offset in such a frame


class FastEntry:
    __slots__ = ("flow", "stream", "ssrc_bytes", "ssrc", "pt", "packets", "octets", "last")

    def __init__(self, flow, stream, ssrc_bytes: bytes, pt: int):
        self.flow, self.stream = flow, stream
        self.ssrc_bytes, self.ssrc, self.pt = ssrc_bytes, int.from_bytes(ssrc_bytes, "big"), pt
        self.packets = self.octets = 0
        self.last = 0.0

    def flush(self) -> None:
        packets = self.packets
        if not packets:
            return
        flow, octets = self.flow, self.octets
        flow.packets += packets
        flow.bytes += octets
        flow.last_seen = self.last
        self.stream.add_counted(packets, octets, self.last, self.ssrc, self.pt)   # expands a compact stream's counters
        self.packets = self.octets = 0


def fast_shape(data: bytes) -> bool:
    """Ethernet + IPv4 (IHL 5, no fragment) + UDP with room for an RTP header."""
    return (data.startswith(SHAPE, 12) and len(data) >= RTP_AT + 12 and data[23] == UDP_PROTO
            and not (data[20] & 0x3F or data[21]))


class FastPath:
    def __init__(self):
        self.entries: dict[bytes, FastEntry] = {}
        self.watch = None     # called with the key (None: all) before entries change or fold their counts
        self._removed = 0     # entries forgotten since `entries` was last shrunk

    def count(self, ts: float, data: bytes) -> bool:
        """Count the frame if a settled stream owns it; False sends it down the full path.
        (`Pipeline.feed_many` inlines this for speed: keep the two in step.)"""
        entry = self.entries.get(data[26:38])
        if entry is None or not data.startswith(entry.ssrc_bytes, 50) or data[43] & 0x7F != entry.pt:
            return False
        entry.packets += 1
        entry.octets += ((data[38] << 8) | data[39]) - 8
        entry.last = ts
        return True

    def arm(self, flow, data: bytes) -> None:
        """After the full path handled an RTP frame of a settled stream, let its like skip it."""
        stream = flow.rtp
        if stream is None or stream.classifier is not None or stream.exposure \
                or stream.encrypted is None or 192 <= data[RTP_AT + 1] <= 223:
            return
        pt = data[RTP_AT + 1] & 0x7F
        if pt not in stream.pt_counts:
            return
        key = data[26:38]
        if self.watch is not None:
            self.watch(key)
        old = self.entries.get(key)
        if old is not None:
            old.flush()
        self.entries[key] = FastEntry(flow, stream, data[50:54], pt)

    def flush(self) -> None:
        if self.watch is not None:
            self.watch(None)
        for entry in self.entries.values():
            if entry.packets:
                entry.flush()

    def forget(self, flow) -> None:
        if flow.transport == "udp" and len(flow.key) == 12:      # IPv4: the frames' bytes 26-38
            key = flow.key
            if self.watch is not None and key in self.entries:
                self.watch(key)
            entry = self.entries.pop(key, None)
            if entry is not None:
                entry.flush()
                self._removed = shrunk(self.entries, self._removed + 1)
