"""Frames to `Packet`s: link layers, VLAN/QinQ, MPLS, IPv4/IPv6 (+ fragments), UDP, TCP and the
encapsulations mirrored traffic arrives in (GRE, ERSPAN I/II/III, VXLAN, IP-in-IP).

Written by hand (not scapy) because this is the per-packet path: `struct` over offsets, no copies of
the payload. ICMP errors quote an IP header of another packet: they are counted and never decoded as
media. Malformed input is counted in `decode_errors` and skipped.
"""
from __future__ import annotations

import struct

from collectors.decode.fragments import FragmentTable
from collectors.decode.packet import TCP, UDP, Packet

LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_LOOP = 0, 1, 101, 108
LINK_SLL, LINK_SLL2, LINK_IPV4, LINK_IPV6 = 113, 276, 228, 229
RAW_ALIASES = (12, 14)

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD = 0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100
ETH_MPLS, ETH_MPLS_MC, ETH_TEB, ETH_ERSPAN2, ETH_ERSPAN3 = 0x8847, 0x8848, 0x6558, 0x88BE, 0x22EB
VLAN_TYPES = (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD)
ETH_LLDP = 0x88CC

IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_GRE, IPPROTO_IPV6, IPPROTO_ICMPV6 = 1, 4, 47, 41, 58
IPV6_EXT_HEADERS = (0, 43, 60, 135, 139, 140)  # hop-by-hop, routing, dest opts, mobility, HIP, shim6
IPV6_FRAGMENT, IPV6_AH, IPV6_NONE = 44, 51, 59
VXLAN_PORT = 4789
GTPU_PORT = 2152
MAX_DEPTH = 4

U16 = struct.Struct("!H")
IPV4_HDR = struct.Struct("!BBHHHBBH4s4s")
IPV6_HDR = struct.Struct("!IHBB16s16s")
UDP_HDR = struct.Struct("!HHHH")
TCP_HDR = struct.Struct("!HHIIBB")
GRE_HDR = struct.Struct("!HH")


class Decoder:
    """Stateful only for fragment reassembly; counters say what was seen and skipped."""

    def __init__(self, layer2=None):
        self.layer2 = layer2          # called with (ethertype, frame) for LLDP and 802.3/LLC (CDP) frames
        self.fragments = FragmentTable()
        self.decode_errors = 0
        self.counts = {"non_ip": 0, "icmp": 0, "icmp_errors": 0, "other_ip": 0, "encapsulated": 0,
                       "unsupported_link": 0}

    def decode(self, ts: float, linktype: int, data: bytes) -> Packet | None:
        """The packet's UDP/TCP view, or None when it is not UDP/TCP (counted) or malformed."""
        try:
            return self._link(ts, linktype, data, 0, 0)
        except (struct.error, IndexError, ValueError):
            self.decode_errors += 1
            return None

    def decode_common(self, ts: float, data: bytes) -> Packet | None:
        """`decode` of an Ethernet frame of the fast path's shape (`collectors.fastpath.fast_shape`:
        untagged IPv4 with a 20-byte header, not a fragment, UDP, at least 54 bytes), read at fixed
        offsets: the same Packet, errors and counts as the general walk, which takes any tunnel port."""
        total = (data[16] << 8) | data[17]
        end = min(14 + total, len(data))
        if total < 20 or 34 > end:
            self.decode_errors += 1           # `_ipv4`: bad header length, or header beyond capture
            return None
        sport, dport, ulen, _sum = UDP_HDR.unpack_from(data, 34)
        if ulen < 8 or 42 > end:
            self.decode_errors += 1           # `_transport`: bad UDP length
            return None
        if dport == VXLAN_PORT or sport == GTPU_PORT or dport == GTPU_PORT:
            return self.decode(ts, LINK_ETHERNET, data)
        return Packet(ts, data, 42, min(34 + ulen, end), UDP, data[26:30], data[30:34], sport, dport, data[6:12], 0)

    # -- link layers -------------------------------------------------------------------------
    def _link(self, ts, linktype, data, off, depth):
        if linktype == LINK_ETHERNET:
            return self._ethernet(ts, data, off, depth)
        if linktype == LINK_SLL:
            return self._ethertype(ts, data, off + 16, U16.unpack_from(data, off + 14)[0], 0, None, depth)
        if linktype == LINK_SLL2:
            return self._ethertype(ts, data, off + 20, U16.unpack_from(data, off)[0], 0, None, depth)
        if linktype in (LINK_RAW, LINK_IPV4, LINK_IPV6) or linktype in RAW_ALIASES:
            return self._ip(ts, data, off, 0, None, depth)
        if linktype in (LINK_NULL, LINK_LOOP):
            family = data[off] or data[off + 3]
            if family not in (2, 24, 28, 30):
                self.counts["non_ip"] += 1
                return None
            return self._ip(ts, data, off + 4, 0, None, depth)
        self.counts["unsupported_link"] += 1
        return None

    def _ethernet(self, ts, data, off, depth):
        if len(data) < off + 14:
            raise ValueError("short ethernet header")
        src_mac = data[off + 6:off + 12]
        ethertype = U16.unpack_from(data, off + 12)[0]
        if (ethertype == ETH_LLDP or ethertype < 0x0600) and self.layer2 is not None:
            self.counts["non_ip"] += 1
            self.layer2(ethertype, data[off:])
            return None
        return self._ethertype(ts, data, off + 14, ethertype, 0, src_mac, depth)

    def _ethertype(self, ts, data, off, ethertype, vlan, src_mac, depth):
        while ethertype in VLAN_TYPES:
            vlan = vlan or (U16.unpack_from(data, off)[0] & 0x0FFF)
            ethertype = U16.unpack_from(data, off + 2)[0]
            off += 4
        if ethertype in (ETH_IPV4, ETH_IPV6):
            return self._ip(ts, data, off, vlan, src_mac, depth)
        if ethertype in (ETH_MPLS, ETH_MPLS_MC):
            return self._mpls(ts, data, off, vlan, src_mac, depth)
        self.counts["non_ip"] += 1
        return None

    def _mpls(self, ts, data, off, vlan, src_mac, depth):
        for _ in range(16):
            bottom = data[off + 2] & 1
            off += 4
            if bottom:
                return self._ip(ts, data, off, vlan, src_mac, depth)
        raise ValueError("MPLS label stack too deep")

    # -- IP --------------------------------------------------------------------------------
    def _ip(self, ts, data, off, vlan, src_mac, depth):
        version = data[off] >> 4
        if version == 4:
            return self._ipv4(ts, data, off, vlan, src_mac, depth)
        if version == 6:
            return self._ipv6(ts, data, off, vlan, src_mac, depth)
        raise ValueError("not IPv4 or IPv6")

    def _ipv4(self, ts, data, off, vlan, src_mac, depth):
        vihl, _tos, total, ident, frag, _ttl, proto, _sum, src, dst = IPV4_HDR.unpack_from(data, off)
        ihl = (vihl & 0x0F) * 4
        if ihl < 20 or total < ihl:
            raise ValueError("bad IPv4 header length")
        start, end = off + ihl, min(off + total, len(data))
        if start > end:
            raise ValueError("IPv4 header beyond capture")
        if frag & 0x3FFF:  # MF set or non-zero offset
            whole = self.fragments.add((src, dst, ident, proto), ts, (frag & 0x1FFF) * 8,
                                       bool(frag & 0x2000), data[start:end])
            if whole is None:
                return None
            data, start, end = whole, 0, len(whole)
        return self._transport(ts, data, start, end, proto, src, dst, vlan, src_mac, depth)

    def _ipv6(self, ts, data, off, vlan, src_mac, depth):
        _vtf, plen, nxt, _hop, src, dst = IPV6_HDR.unpack_from(data, off)
        start = off + 40
        end = min(start + plen, len(data)) if plen else len(data)  # plen 0: jumbogram
        for _ in range(12):
            if nxt in IPV6_EXT_HEADERS:
                nxt, start = data[start], start + (data[start + 1] + 1) * 8
            elif nxt == IPV6_AH:
                nxt, start = data[start], start + (data[start + 1] + 2) * 4
            elif nxt == IPV6_FRAGMENT:
                frag_field, ident = struct.unpack_from("!HI", data, start + 2)
                upper = data[start]
                whole = self.fragments.add((src, dst, ident, upper), ts, frag_field & 0xFFF8,
                                           bool(frag_field & 1), data[start + 8:end])
                if whole is None:
                    return None
                data, start, end, nxt = whole, 0, len(whole), upper
            else:
                break
        else:
            raise ValueError("IPv6 extension header chain too long")
        if start > end:
            raise ValueError("IPv6 extension headers beyond capture")
        return self._transport(ts, data, start, end, nxt, src, dst, vlan, src_mac, depth)

    # -- transport and tunnels ---------------------------------------------------------------
    def _transport(self, ts, data, off, end, proto, src, dst, vlan, src_mac, depth):
        if proto == UDP:
            sport, dport, ulen, _sum = UDP_HDR.unpack_from(data, off)
            if ulen < 8 or off + 8 > end:  # header past the IP payload: read from padding/garbage
                raise ValueError("bad UDP length")
            if dport == VXLAN_PORT and depth < MAX_DEPTH and end - off >= 16 + 14 and data[off + 8] & 0x08:
                self.counts["encapsulated"] += 1
                return self._ethernet(ts, data[:end], off + 16, depth + 1)
            if GTPU_PORT in (sport, dport) and depth < MAX_DEPTH:
                inner = _gtpu_payload(data, off + 8, min(off + ulen, end))
                if inner is not None:
                    self.counts["encapsulated"] += 1
                    return self._ip(ts, data[:inner[1]], inner[0], vlan, src_mac, depth + 1)
            return Packet(ts, data, off + 8, min(off + ulen, end), UDP, src, dst, sport, dport, src_mac, vlan)
        if proto == TCP:
            sport, dport, seq, _ack, doff, flags = TCP_HDR.unpack_from(data, off)
            hlen = (doff >> 4) * 4
            if hlen < 20 or off + hlen > end:
                raise ValueError("bad TCP header length")
            return Packet(ts, data, off + hlen, end, TCP, src, dst, sport, dport, src_mac, vlan, seq, flags)
        if depth < MAX_DEPTH and proto in (IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6):
            self.counts["encapsulated"] += 1
            if proto == IPPROTO_GRE:
                return self._gre(ts, data[:end], off, depth + 1)
            return self._ip(ts, data[:end], off, vlan, src_mac, depth + 1)
        if proto in (IPPROTO_ICMP, IPPROTO_ICMPV6):
            self._count_icmp(data, off, proto)
            return None
        self.counts["other_ip"] += 1
        return None

    def _gre(self, ts, data, off, depth):
        flags, proto = GRE_HDR.unpack_from(data, off)
        if flags & 0x0007:
            raise ValueError("unsupported GRE version")
        off += 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
        if proto == ETH_ERSPAN2:
            off += 8 if flags & 0x1000 else 0  # type II has a sequence number; type I has no header
            return self._ethernet(ts, data, off, depth)
        if proto == ETH_ERSPAN3:
            has_subheader = data[off + 11] & 0x01
            return self._ethernet(ts, data, off + 12 + 8 * has_subheader, depth)
        if proto == ETH_TEB:
            return self._ethernet(ts, data, off, depth)
        return self._ethertype(ts, data, off, proto, 0, None, depth)

    def _count_icmp(self, data, off, proto):
        self.counts["icmp"] += 1
        icmp_type = data[off] if off < len(data) else 255
        is_error = icmp_type in (3, 4, 5, 11, 12) if proto == IPPROTO_ICMP else icmp_type < 128
        if is_error:
            self.counts["icmp_errors"] += 1


def _gtpu_payload(data: bytes, off: int, end: int) -> tuple[int, int] | None:
    """(start, end) of the user IP packet inside a GTPv1-U G-PDU (3GPP TS 29.281), if it is one."""
    if end - off < 8 or data[off] & 0xE0 != 0x20 or data[off + 1] != 0xFF:
        return None
    flags, pos = data[off], off + 8
    if flags & 0x07:                       # sequence number, N-PDU number, next extension type
        if end - pos < 4:
            return None
        next_type, pos = data[pos + 3], pos + 4
        while next_type and pos < end:     # extension headers: length in 4-byte units
            length = data[pos] * 4
            if length == 0 or pos + length > end:
                return None
            next_type, pos = data[pos + length - 1], pos + length
    if pos >= end or data[pos] >> 4 not in (4, 6):
        return None
    return pos, end
