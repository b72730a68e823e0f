"""What a mirror port delivers, and whether the mirror is oversubscribed.

A switch that mirrors more than the destination port can carry drops frames silently. On a voice
mirror that shows as sequence gaps in many RTP streams at once (one stream losing packets is more
likely the network; most streams losing together is the mirror). Kernel drops on the capture socket
are the appliance's own loss and are reported apart."""
from __future__ import annotations

from dataclasses import dataclass, field

from collectors.decode.packet import UDP, Packet, ip_text, mac_text
from collectors.media.rtp import parse_rtp, seq_delta

MAX_JUMP = 100            # a larger sequence jump is a restart, not loss
MIN_PACKETS = 5           # an RTP-looking flow with fewer packets is not counted as a stream
LOSS_RATIO = 0.005        # aggregate loss above which many lossy streams mean an oversubscribed mirror
MAX_STREAMS = 4096


@dataclass
class _Sequence:
    """RFC 3550 A.3 style: loss = packets expected (from the highest sequence number) - packets received;
    late packets count as received, so reordering is not loss. A restart starts a new run."""
    highest: int
    expected_before: int = 0        # of earlier runs (before a restart)
    received_before: int = 0
    first: int = 0
    received: int = 1

    @property
    def expected(self) -> int:
        return self.expected_before + self.highest - self.first + 1

    @property
    def total_received(self) -> int:
        return self.received_before + self.received

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.total_received)


@dataclass
class MirrorHealth:
    frames: int = 0
    hosts: set = field(default_factory=set)
    macs: set = field(default_factory=set)
    streams: dict = field(default_factory=dict)

    def add(self, packet: Packet | None) -> None:
        self.frames += 1
        if packet is None:
            return
        if len(self.hosts) < MAX_STREAMS:
            self.hosts.add(packet.src)
            if packet.src_mac is not None:
                self.macs.add(packet.src_mac)
        if packet.proto == UDP and packet.sport >= 1024 and packet.dport >= 1024:
            self._rtp(packet)

    def _rtp(self, packet: Packet) -> None:
        header = parse_rtp(packet.data, packet.off, packet.end)
        if header is None:
            return
        key = (packet.src, packet.sport, packet.dst, packet.dport, header.ssrc)
        state = self.streams.get(key)
        if state is None:
            if len(self.streams) < MAX_STREAMS:
                self.streams[key] = _Sequence(header.seq, first=header.seq)
            return
        step = seq_delta(header.seq, state.highest & 0xFFFF)
        if step == 0:
            return                                  # a duplicate
        if step > MAX_JUMP or step < -MAX_JUMP:     # a restart: close this run, start another
            state.expected_before, state.received_before = state.expected, state.total_received
            state.first = state.highest = header.seq
            state.received = 1
            return
        state.received += 1                         # late packets too: reordering is not loss
        if step > 0:
            state.highest += step

    def summary(self, kernel_drops: int = 0) -> dict:
        streams = [s for s in self.streams.values() if s.total_received >= MIN_PACKETS]
        lost = sum(s.lost for s in streams)
        expected = sum(s.expected for s in streams)
        lossy = [s for s in streams if s.lost]
        ratio = lost / expected if expected else 0.0
        oversubscribed = len(streams) >= 2 and len(lossy) * 2 >= len(streams) and ratio >= LOSS_RATIO
        return {"frames": self.frames, "hosts": sorted(ip_text(h) for h in self.hosts),
                "macs": sorted(mac_text(m) for m in self.macs), "rtp_streams": len(streams),
                "rtp_streams_with_gaps": len(lossy), "rtp_expected": expected, "rtp_lost": lost,
                "rtp_loss_ratio": round(ratio, 5), "kernel_drops": kernel_drops,
                "oversubscribed": oversubscribed}
