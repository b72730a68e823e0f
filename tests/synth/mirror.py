"""Remote-mirroring encapsulation: GRE + ERSPAN type II / III.

A switch mirroring to a remote collector wraps each copied frame in
IP/GRE/ERSPAN; :func:`gre_erspan_wrap` reproduces that around a frame.
"""

from __future__ import annotations

import struct

from scapy.layers.inet import IP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

GRE_SEQ_PRESENT = 0x1000
ETHERTYPE_ERSPAN_II = 0x88BE
ETHERTYPE_ERSPAN_III = 0x22EB
IPPROTO_GRE = 47


def _encap_type(frame: bytes) -> int:
    """ERSPAN 'En' field: 3 if the mirrored frame kept its VLAN tag, else 0."""
    return 3 if frame[12:14] in (b"\x81\x00", b"\x88\xa8") else 0


def erspan_header(frame: bytes, erspan_type: int, session_id: int, index: int = 0,
                  vlan: int = 0, timestamp: int = 0) -> bytes:
    """The ERSPAN II (8-byte) or III (12-byte) header for ``frame``."""
    session = session_id & 0x3FF
    if erspan_type == 2:
        return struct.pack("!HHI", (1 << 12) | (vlan & 0xFFF),
                           (_encap_type(frame) << 11) | session, index & 0xFFFFF)
    if erspan_type == 3:
        # BSO=0, T=0; SGT=0, P=0, FT=0 (Ethernet), HW ID=1, D=0, Gra=0 (100 us), O=0
        return struct.pack("!HHIHH", (2 << 12) | (vlan & 0xFFF), session,
                           timestamp & 0xFFFFFFFF, 0, 1 << 4)
    raise ValueError("erspan_type must be 2 or 3")


def gre_erspan_wrap(frame: bytes, erspan_type: int = 2, *, session_id: int = 1, seq: int = 0,
                    timestamp: float = 0.0, src_ip: str = "192.0.2.1",
                    dst_ip: str = "192.0.2.2", src_mac: str = "02:00:00:00:fe:01",
                    dst_mac: str = "02:00:00:00:fe:02") -> bytes:
    """Wrap ``frame`` as Ether/IPv4/GRE(seq)/ERSPAN/frame, as a mirror source sends it.

    ``timestamp`` (seconds) fills the ERSPAN III timestamp at 100 us
    granularity; ``seq`` is the GRE sequence number.
    """
    protocol = ETHERTYPE_ERSPAN_II if erspan_type == 2 else ETHERTYPE_ERSPAN_III
    gre = struct.pack("!HHI", GRE_SEQ_PRESENT, protocol, seq & 0xFFFFFFFF)
    header = erspan_header(frame, erspan_type, session_id, vlan=0,
                           timestamp=int(timestamp * 10_000))
    outer = Ether(src=src_mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip, proto=IPPROTO_GRE)
    return bytes(outer / Raw(gre + header + frame))
