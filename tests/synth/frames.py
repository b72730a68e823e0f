"""Link/network/transport framing with scapy: Ethernet, 802.1Q/QinQ, IPv4/6, UDP, TCP.

:class:`Framer` turns payloads into Ethernet frame bytes (IP ids advance per
source, checksums are computed by scapy); :class:`TcpFlow` keeps the sequence
and acknowledgement numbers of one TCP connection consistent.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from typing import Sequence

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Packet, Raw

Timed = tuple[float, bytes]


@dataclass(frozen=True)
class Host:
    """An endpoint's IP (v4 or v6) and MAC address."""

    ip: str
    mac: str

    @property
    def ipv6(self) -> bool:
        return ipaddress.ip_address(self.ip).version == 6


@dataclass
class Framer:
    """Frames payloads between hosts, optionally inside VLAN tags.

    ``vlans`` lists VLAN ids outermost first: ``(100,)`` is 802.1Q, ``(200,
    100)`` is QinQ (outer 802.1ad S-tag 0x88a8, inner 802.1Q C-tag).
    """

    vlans: Sequence[int] = ()
    ttl: int = 64
    _ip_ids: dict[str, int] = field(default_factory=dict)

    def _l2_l3(self, src: Host, dst: Host) -> Packet:
        frame: Packet = Ether(src=src.mac, dst=dst.mac)
        for depth, vid in enumerate(self.vlans):
            outer = depth == 0 and len(self.vlans) > 1
            frame = frame / (Dot1AD(vlan=vid) if outer else Dot1Q(vlan=vid))
        if src.ipv6:
            return frame / IPv6(src=src.ip, dst=dst.ip, hlim=self.ttl)
        ip_id = self._ip_ids.get(src.ip, _initial_ip_id(src.ip))
        self._ip_ids[src.ip] = (ip_id + 1) & 0xFFFF
        return frame / IP(src=src.ip, dst=dst.ip, ttl=self.ttl, id=ip_id, flags="DF")

    def udp(self, src: Host, dst: Host, sport: int, dport: int, payload: bytes) -> bytes:
        """An Ethernet frame carrying one UDP datagram."""
        return bytes(self._l2_l3(src, dst) / UDP(sport=sport, dport=dport) / Raw(payload))

    def tcp(self, src: Host, dst: Host, sport: int, dport: int, seq: int, ack: int,
            flags: str, payload: bytes = b"") -> bytes:
        """An Ethernet frame carrying one TCP segment."""
        segment = TCP(sport=sport, dport=dport, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF,
                      flags=flags, window=64240)
        packet = self._l2_l3(src, dst) / segment
        return bytes(packet / Raw(payload) if payload else packet)


def _initial_ip_id(ip: str) -> int:
    return random.Random(f"ip-id:{ip}").getrandbits(16)


class TcpFlow:
    """One TCP connection: handshake, data in segments, peer ACKs, FIN close.

    Times are in seconds; each returned list holds (time, frame) pairs.
    """

    RTT = 0.002  # seconds between a segment and the peer's reply

    def __init__(self, framer: Framer, client: Host, server: Host, cport: int, sport: int,
                 seed: int = 0):
        rng = random.Random(f"tcp:{seed}:{cport}:{sport}")
        self.framer, self.client, self.server = framer, client, server
        self.cport, self.sport = cport, sport
        self.next_seq = {True: rng.getrandbits(32), False: rng.getrandbits(32)}

    def _frame(self, from_client: bool, flags: str, payload: bytes = b"") -> bytes:
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        sport, dport = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        seq, ack = self.next_seq[from_client], self.next_seq[not from_client]
        return self.framer.tcp(src, dst, sport, dport, seq, ack if "A" in flags else 0,
                               flags, payload)

    def _advance(self, from_client: bool, length: int) -> None:
        self.next_seq[from_client] = (self.next_seq[from_client] + length) & 0xFFFFFFFF

    def open(self, t: float) -> list[Timed]:
        """SYN, SYN/ACK, ACK."""
        out = [(t, self._frame(True, "S"))]
        self._advance(True, 1)
        out.append((t + self.RTT, self._frame(False, "SA")))
        self._advance(False, 1)
        out.append((t + 2 * self.RTT, self._frame(True, "A")))
        return out

    def send(self, t: float, from_client: bool, data: bytes,
             segment_size: int | None = None) -> list[Timed]:
        """``data`` in PSH/ACK segments of at most ``segment_size`` bytes, then an ACK."""
        size = segment_size or 1400
        out = []
        for i, start in enumerate(range(0, len(data), size)):
            chunk = data[start : start + size]
            out.append((t + i * 1e-4, self._frame(from_client, "PA", chunk)))
            self._advance(from_client, len(chunk))
        out.append((t + self.RTT, self._frame(not from_client, "A")))
        return out

    def close(self, t: float) -> list[Timed]:
        """Client FIN, server FIN/ACK, client ACK."""
        out = [(t, self._frame(True, "FA"))]
        self._advance(True, 1)
        out.append((t + self.RTT, self._frame(False, "FA")))
        self._advance(False, 1)
        out.append((t + 2 * self.RTT, self._frame(True, "A")))
        return out
