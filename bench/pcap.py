"""Minimal classic-pcap writing with `struct`: Ethernet / IPv4 / UDP frames, fast.

A media stream's Ethernet+IPv4+UDP header never changes (same addresses, ports and length, IP ID 0
with DF, as Linux sends connected UDP), so `UdpTemplate` builds it once, with a correct IPv4
header checksum and UDP checksum 0 ("none", valid over IPv4); each packet is then one
`bytes` concatenation plus a 16-byte record header.
"""
from __future__ import annotations

import socket
import struct

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
_RECORD = struct.Struct("<IIII")
_GLOBAL = struct.Struct("<IHHiIII")


def global_header() -> bytes:
    """pcap file header: version 2.4, microsecond timestamps, Ethernet."""
    return _GLOBAL.pack(PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)


def record(ts_us: int, frame: bytes) -> bytes:
    """One pcap record (header + frame) at `ts_us` microseconds since the epoch."""
    n = len(frame)
    return _RECORD.pack(ts_us // 1_000_000, ts_us % 1_000_000, n, n) + frame


def mac_for(ip: str, oui: bytes = b"\x00\x04\xf2") -> bytes:
    """A stable MAC address for a host: vendor OUI + the low 3 bytes of its IPv4 address."""
    return oui + socket.inet_aton(ip)[1:]


def ip_checksum(header: bytes) -> int:
    """RFC 1071 one's-complement sum over an IPv4 header (checksum field zeroed)."""
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class UdpTemplate:
    """Ethernet + IPv4 + UDP headers of one unidirectional flow, per payload length."""

    __slots__ = ("src", "sport", "dst", "dport", "src_mac", "dst_mac", "tos", "_cache")

    def __init__(self, src: str, sport: int, dst: str, dport: int, src_mac: bytes, dst_mac: bytes,
                 tos: int = 0xB8):
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.src_mac, self.dst_mac, self.tos = src_mac, dst_mac, tos    # 0xb8: DSCP EF (voice)
        self._cache: dict[int, bytes] = {}

    def headers(self, payload_len: int) -> bytes:
        """The 42 header bytes preceding a UDP payload of `payload_len` bytes."""
        hdr = self._cache.get(payload_len)
        if hdr is None:
            hdr = self._cache[payload_len] = self._build(payload_len)
        return hdr

    def frame(self, payload: bytes) -> bytes:
        return self.headers(len(payload)) + payload

    def _build(self, payload_len: int) -> bytes:
        udp_len = 8 + payload_len
        ip_len = 20 + udp_len
        src, dst = socket.inet_aton(self.src), socket.inet_aton(self.dst)
        # version/IHL, TOS, total length, ID 0, DF, TTL 64, UDP
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, self.tos, ip_len, 0, 0x4000, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
        udp = struct.pack("!HHHH", self.sport, self.dport, udp_len, 0)
        return self.dst_mac + self.src_mac + b"\x08\x00" + ip + udp
