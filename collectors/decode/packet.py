"""The decoded view of one frame: addresses, ports and where the L4 payload lies in `data`."""
from __future__ import annotations

import socket
from dataclasses import dataclass

UDP = 17
TCP = 6


@dataclass(slots=True)
class Packet:
    """A decoded IP packet: its transport payload's place in `data` and its addresses and ports."""
    ts: float
    data: bytes        # buffer holding the payload (the frame, or a reassembled datagram)
    off: int           # start of the transport payload in `data`
    end: int           # end of the transport payload in `data`
    proto: int         # UDP or TCP
    src: bytes         # packed source address (4 or 16 bytes)
    dst: bytes
    sport: int
    dport: int
    src_mac: bytes | None = None
    vlan: int = 0
    tcp_seq: int = 0
    tcp_flags: int = 0

    @property
    def payload(self) -> bytes:
        return self.data[self.off:self.end]

    @property
    def payload_len(self) -> int:
        return self.end - self.off


def ip_text(packed: bytes) -> str:
    """Printable form of a packed IPv4/IPv6 address."""
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


def mac_text(packed: bytes | None) -> str | None:
    return None if packed is None else ":".join(f"{b:02x}" for b in packed)
