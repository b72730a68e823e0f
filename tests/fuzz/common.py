"""What the fuzz targets share: splitting one input into several packets/segments, and quick frame
builders (plain `struct`, no scapy: the harnesses run a million inputs per target).

Multi-packet targets read their input as chunks: a flag byte, a 2-byte big-endian length, then that
many bytes (a length past the end takes what is left). `pack_chunks` writes the same format, so seeds
built from real packets stay meaningful to the fuzzer's mutations.
"""
from __future__ import annotations

import struct

MAX_CHUNKS = 64


def chunks(data: bytes, max_chunks: int = MAX_CHUNKS) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data) and len(out) < max_chunks:
        flag = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 3], "big")
        body = data[pos + 3:pos + 3 + length]
        out.append((flag, body))
        pos += 3 + length
    return out


def pack_chunks(items) -> bytes:
    return b"".join(bytes([flag & 0xFF]) + len(body).to_bytes(2, "big") + body for flag, body in items)


# -- frames ------------------------------------------------------------------------------------
MAC_A, MAC_B = bytes.fromhex("00155d000001"), bytes.fromhex("0004f2000002")   # Microsoft, Polycom OUIs
IP_A, IP_B = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 20])


def ethernet(payload: bytes, ethertype: int = 0x0800, src: bytes = MAC_A, dst: bytes = MAC_B) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(payload: bytes, proto: int, src: bytes = IP_A, dst: bytes = IP_B, ident: int = 1,
         frag: int = 0) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst) + payload


def ipv6(payload: bytes, nxt: int, src: bytes = b"\x20\x01\x0d\xb8" + bytes(11) + b"\x01",
         dst: bytes = b"\x20\x01\x0d\xb8" + bytes(11) + b"\x02") -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 64, src, dst) + payload


def udp(payload: bytes, sport: int, dport: int) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload: bytes, sport: int, dport: int, seq: int, flags: int = 0x18) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp_frame(payload: bytes, sport: int, dport: int, src: bytes = IP_A, dst: bytes = IP_B,
              src_mac: bytes = MAC_A) -> bytes:
    return ethernet(ipv4(udp(payload, sport, dport), 17, src, dst), src=src_mac)


def tcp_frame(payload: bytes, sport: int, dport: int, seq: int, flags: int = 0x18, src: bytes = IP_A,
              dst: bytes = IP_B) -> bytes:
    return ethernet(ipv4(tcp(payload, sport, dport, seq, flags), 6, src, dst))


class Segments:
    """Sequence numbers for chunked TCP targets: flag bit 0 = SYN, bit 1 = an explicit 4-byte sequence
    number starts the chunk; otherwise the segment follows the previous one (in-order stream)."""

    def __init__(self):
        self.next: dict[int, int] = {}

    def split(self, flag: int, body: bytes, stream: int = 0) -> tuple[int, bytes, bool]:
        syn = bool(flag & 1)
        if flag & 2 and len(body) >= 4:
            seq, body = int.from_bytes(body[:4], "big"), body[4:]
        else:
            seq = self.next.get(stream, 1000)
        self.next[stream] = (seq + syn + len(body)) & 0xFFFFFFFF
        return seq, body, syn
