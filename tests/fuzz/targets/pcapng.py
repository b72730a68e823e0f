"""The pcapng reader through the project's file source: the input as blocks after a section header
and an interface description built from its first byte (or as the whole file), plain or gzip."""
from __future__ import annotations

import struct

from tests.fuzz.targets.pcap import LINKTYPES, read_through, write


def block(kind: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def header(flag: int) -> bytes:
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = struct.pack("<HHB3x", 9, 1, 9) + b"\0" * 4 if flag & 16 else b""
    return shb + block(1, struct.pack("<HHI", LINKTYPES[flag >> 5], 0, 262144) + options)


def fuzz(data: bytes) -> None:
    if not data:
        return
    flag, body = data[0], data[1:]
    content = body if flag & 8 else header(flag) + body
    read_through(write(content, bool(flag & 4)), walk=False)
