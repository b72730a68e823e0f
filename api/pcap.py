"""An alert's evidence frames as a capture file, written with `struct` (a few fixed headers: scapy's
writers want packet objects and a file, and would re-dissect frames the store keeps as bytes).

Classic pcap (microsecond timestamps) when all frames share a link type, which is the usual case;
pcapng when they do not, since it gives each link type its own interface. Both open in Wireshark,
tcpdump and scapy."""
from __future__ import annotations

import struct
from collections.abc import Iterable

Frame = tuple[float, int, bytes]        # (seconds since the epoch, pcap link type, frame)
MEDIA_TYPE = "application/vnd.tcpdump.pcap"

PCAP_HEADER = struct.Struct("<IHHiIII")         # magic, version 2.4, zone, sigfigs, snaplen, link type
PCAP_RECORD = struct.Struct("<IIII")            # seconds, microseconds, captured length, original length
PCAP_MAGIC = 0xA1B2C3D4
SNAPLEN = 262144

BLOCK = struct.Struct("<II")                     # pcapng block type, total length
SHB_BODY = struct.Struct("<IHHq")                # byte-order magic, version 1.0, section length (-1: unknown)
IDB_BODY = struct.Struct("<HHI")                 # link type, reserved, snaplen
EPB_BODY = struct.Struct("<IIIII")               # interface, timestamp high/low (µs), captured, original
SHB, IDB, EPB = 0x0A0D0D0A, 0x00000001, 0x00000006


def capture_bytes(frames: Iterable[Frame]) -> bytes:
    frames = list(frames)
    linktypes = list(dict.fromkeys(linktype for _, linktype, _ in frames))
    if len(linktypes) > 1:
        return pcapng_bytes(frames, linktypes)
    return pcap_bytes(frames, linktypes[0] if linktypes else 1)


def pcap_bytes(frames: list[Frame], linktype: int) -> bytes:
    snaplen = max([SNAPLEN, *(len(frame) for _, _, frame in frames)])
    out = [PCAP_HEADER.pack(PCAP_MAGIC, 2, 4, 0, 0, snaplen, linktype)]
    for ts, _, frame in frames:
        seconds, micros = _split(ts)
        out += [PCAP_RECORD.pack(seconds, micros, len(frame), len(frame)), frame]
    return b"".join(out)


def pcapng_bytes(frames: list[Frame], linktypes: list[int]) -> bytes:
    interface = {linktype: n for n, linktype in enumerate(linktypes)}
    out = [_block(SHB, SHB_BODY.pack(0x1A2B3C4D, 1, 0, -1))]
    out += [_block(IDB, IDB_BODY.pack(linktype, 0, 0)) for linktype in linktypes]     # snaplen 0: no limit
    for ts, linktype, frame in frames:
        seconds, micros = _split(ts)
        stamp = seconds * 1_000_000 + micros
        body = EPB_BODY.pack(interface[linktype], stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
        out.append(_block(EPB, body + _padded(frame)))
    return b"".join(out)


def _block(kind: int, body: bytes) -> bytes:
    length = BLOCK.size + len(body) + 4
    return BLOCK.pack(kind, length) + body + struct.pack("<I", length)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _split(ts: float) -> tuple[int, int]:
    """(seconds, microseconds), rounded to the microsecond; times before 1970 are clamped to 0."""
    return divmod(max(0, round(ts * 1_000_000)), 1_000_000)
