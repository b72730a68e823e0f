"""Write frames to pcap / pcapng, re-framing Ethernet to other link types.

Frames are built as Ethernet; :func:`reframe` turns them into Linux cooked
capture v1 (SLL, 113) / v2 (SLL2, 276) or raw IP (101) the way a capture on
such an interface would look (VLAN tags are stripped: the kernel hands the
cooked/raw interface untagged packets).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterable

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINKTYPES = (LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2)

VLAN_ETHERTYPES = (0x8100, 0x88A8, 0x9100)
ARPHRD_ETHER = 1
SLL_HOST = 0  # packet type "to us"
SNAPLEN = 262144


def split_ethernet(frame: bytes) -> tuple[bytes, int, bytes]:
    """(source MAC, ethertype after any VLAN tags, network-layer bytes)."""
    offset, ethertype = 12, struct.unpack_from("!H", frame, 12)[0]
    while ethertype in VLAN_ETHERTYPES:
        offset += 4
        ethertype = struct.unpack_from("!H", frame, offset)[0]
    return frame[6:12], ethertype, frame[offset + 2 :]


def reframe(frame: bytes, linktype: int) -> bytes:
    """Convert an Ethernet frame to ``linktype``'s framing."""
    if linktype == LINKTYPE_ETHERNET:
        return frame
    src, ethertype, network = split_ethernet(frame)
    if linktype == LINKTYPE_RAW:
        if ethertype not in (0x0800, 0x86DD):
            raise ValueError(f"raw IP cannot carry ethertype 0x{ethertype:04x}")
        return network
    if linktype == LINKTYPE_LINUX_SLL:
        return struct.pack("!HHH8sH", SLL_HOST, ARPHRD_ETHER, 6, src, ethertype) + network
    if linktype == LINKTYPE_LINUX_SLL2:
        return struct.pack("!HHIHBB8s", ethertype, 0, 1, ARPHRD_ETHER, SLL_HOST, 6, src) + network
    raise ValueError(f"unsupported linktype {linktype}; use one of {LINKTYPES}")


def write_pcap(path: str | Path, frames: Iterable[tuple[float, bytes]],
               linktype: int = LINKTYPE_ETHERNET, fmt: str = "pcap",
               nanosecond: bool = False) -> Path:
    """Write (unix_time, ethernet_frame) pairs as ``fmt`` "pcap" or "pcapng".

    Frames are re-framed to ``linktype`` first. Classic pcap is little-endian
    with microsecond (or ``nanosecond``) timestamps.
    """
    path = Path(path)
    records = [(t, reframe(frame, linktype)) for t, frame in frames]
    if fmt == "pcap":
        data = _pcap(records, linktype, nanosecond)
    elif fmt == "pcapng":
        data = _pcapng(records, linktype, nanosecond)
    else:
        raise ValueError("fmt must be 'pcap' or 'pcapng'")
    path.write_bytes(data)
    return path


def _split_time(t: float, units_per_second: int) -> tuple[int, int]:
    ticks = int(round(t * units_per_second))
    return divmod(ticks, units_per_second)


def _pcap(records: list[tuple[float, bytes]], linktype: int, nanosecond: bool) -> bytes:
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, SNAPLEN, linktype)]
    scale = 1_000_000_000 if nanosecond else 1_000_000
    for t, data in records:
        sec, frac = _split_time(t, scale)
        out.append(struct.pack("<IIII", sec, frac, len(data), len(data)) + data)
    return b"".join(out)


def _block(block_type: int, body: bytes) -> bytes:
    """A pcapng block: type, total length, body (padded), total length."""
    body += b"\0" * ((-len(body)) % 4)
    length = len(body) + 12
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * ((-len(value)) % 4)


def _pcapng(records: list[tuple[float, bytes]], linktype: int, nanosecond: bool) -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + _option(4, b"tests/synth") + _option(0, b""))
    resolution = 9 if nanosecond else 6
    idb = _block(1, struct.pack("<HHI", linktype, 0, SNAPLEN)
                 + _option(9, bytes([resolution])) + _option(0, b""))
    out = [shb, idb]
    for t, data in records:
        ticks = int(round(t * 10**resolution))
        header = struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data))
        out.append(_block(6, header + data))
    return b"".join(out)
