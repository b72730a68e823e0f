"""TCP segments of one connection (IPv4), built with struct: SIP over TLS between a phone and the PBX.
scapy takes ~100 us a segment; a site boots thousands of phones."""
from __future__ import annotations

import socket
import struct
import sys
from array import array

from bench.pcap import ip_checksum

MSS = 1400


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    words = array("H", data)
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words)


class TcpConnection:
    def __init__(self, client: tuple[str, bytes, int], server: tuple[str, bytes, int], isn: int):
        self.ends = {True: client, False: server}
        self.seq = {True: isn & 0xFFFFFFFF, False: (isn * 2654435761) & 0xFFFFFFFF}

    def _segment(self, from_client: bool, flags: int, payload: bytes = b"") -> bytes:
        (sip, smac, sport), (dip, dmac, dport) = self.ends[from_client], self.ends[not from_client]
        seq, ack = self.seq[from_client], self.seq[not from_client] if flags & 0x10 else 0
        src, dst = socket.inet_aton(sip), socket.inet_aton(dip)
        header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(header) + len(payload))
        total = _sum16(pseudo + header + payload)
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        header = header[:16] + struct.pack("!H", ~total & 0xFFFF) + header[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0x68, 20 + len(header) + len(payload), seq & 0xFFFF, 0x4000, 64, 6,
                         0, src, dst)
        ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
        return dmac + smac + b"\x08\x00" + ip + header + payload

    def open(self) -> list[bytes]:
        out = [self._segment(True, 0x02)]
        self.seq[True] += 1
        out.append(self._segment(False, 0x12))
        self.seq[False] += 1
        out.append(self._segment(True, 0x10))
        return out

    def send(self, from_client: bool, data: bytes) -> list[bytes]:
        out = []
        for start in range(0, len(data), MSS):
            chunk = data[start:start + MSS]
            out.append(self._segment(from_client, 0x18, chunk))
            self.seq[from_client] = (self.seq[from_client] + len(chunk)) & 0xFFFFFFFF
        out.append(self._segment(not from_client, 0x10))
        return out
