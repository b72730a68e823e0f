"""Decoder: frames built with scapy, decoded by the byte-level path, checked field by field."""
from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.mpls import MPLS
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_Router_Alert, fragment
from scapy.layers.inet6 import (ICMPv6DestUnreach, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, fragment6)
from scapy.layers.l2 import GRE, CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

from collectors.decode.decoder import Decoder
from collectors.decode.fragments import MAX_DATAGRAM, MAX_HELD_BYTES, MAX_PENDING, FragmentTable
from collectors.decode.packet import TCP as PROTO_TCP
from collectors.decode.packet import UDP as PROTO_UDP
from collectors.decode.packet import ip_text, mac_text

# An RTP header (V=2, PT=0, seq 1, ts 160, SSRC 0x11223344) and 160 bytes of G.711 payload.
RTP = bytes.fromhex("80000001000000a011223344") + bytes(range(160))
A4, B4 = "192.0.2.10", "198.51.100.20"
A6, B6 = "2001:db8::10", "2001:db8::20"
MAC, MAC2 = "02:00:5e:10:00:01", "02:00:5e:10:00:02"
SPORT, DPORT = 16384, 20000
LINKTYPES = (0, 1, 12, 14, 101, 108, 113, 228, 229, 276)


def eth(**fields):
    """Ethernet with both addresses given (else scapy looks the destination up on the network)."""
    return Ether(src=MAC, dst=MAC2, **fields)


def udp4(payload: bytes = RTP, src: str = A4, dst: str = B4):
    return IP(src=src, dst=dst) / UDP(sport=SPORT, dport=DPORT) / Raw(payload)


def udp6(payload: bytes = RTP, src: str = A6, dst: str = B6):
    return IPv6(src=src, dst=dst) / UDP(sport=SPORT, dport=DPORT) / Raw(payload)


def decode(frame, linktype: int = 1, decoder: Decoder | None = None, ts: float = 1.5):
    return (decoder or Decoder()).decode(ts, linktype, bytes(frame))


def assert_udp(pkt, src=A4, dst=B4, sport=SPORT, dport=DPORT, payload=RTP):
    assert pkt is not None, "expected a UDP packet"
    assert pkt.proto == PROTO_UDP
    assert (ip_text(pkt.src), ip_text(pkt.dst)) == (src, dst)
    assert (pkt.sport, pkt.dport) == (sport, dport)
    assert pkt.payload == payload
    assert pkt.payload_len == len(payload)


# -- link layers -------------------------------------------------------------------------------
def test_ethernet_gives_addresses_ports_mac_and_payload():
    pkt = decode(eth() / udp4(), ts=12.25)
    assert_udp(pkt)
    assert mac_text(pkt.src_mac) == MAC
    assert pkt.vlan == 0
    assert pkt.ts == 12.25


def test_ethernet_ipv6():
    pkt = decode(eth() / udp6())
    assert_udp(pkt, A6, B6)
    assert len(pkt.src) == 16


def test_ethernet_padding_is_not_payload():
    frame = bytes(eth() / udp4(b"abcd"))
    assert len(frame) < 60
    assert_udp(decode(frame + b"\x00" * (60 - len(frame))), payload=b"abcd")


def test_linux_cooked_sll():
    assert_udp(decode(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, proto=0x0800) / udp4(), 113))


def test_linux_cooked_sll2_ipv6():
    assert_udp(decode(CookedLinuxV2(proto=0x86DD) / udp6(), 276), A6, B6)


@pytest.mark.parametrize("linktype", [101, 12, 14, 228])
def test_raw_ipv4_link_types(linktype):
    assert_udp(decode(udp4(), linktype))


@pytest.mark.parametrize("linktype", [101, 12, 14, 229])
def test_raw_ipv6_link_types(linktype):
    assert_udp(decode(udp6(), linktype), A6, B6)


@pytest.mark.parametrize("linktype", [0, 108])
@pytest.mark.parametrize("family, order", [(2, "<"), (2, ">"), (24, "<"), (28, "<"), (30, "<"), (30, ">")])
def test_null_and_loopback(linktype, family, order):
    inner = udp4() if family == 2 else udp6()
    pkt = decode(struct.pack(order + "I", family) + bytes(inner), linktype)
    assert_udp(pkt, *((A4, B4) if family == 2 else (A6, B6)))


def test_null_with_non_ip_family_is_counted_not_decoded():
    d = Decoder()
    assert decode(struct.pack("<I", 7) + bytes(udp4()), 0, d) is None
    assert d.counts["non_ip"] == 1
    assert d.decode_errors == 0


def test_unsupported_link_type_is_counted():
    d = Decoder()
    assert decode(bytes(udp4()), 147, d) is None
    assert d.counts["unsupported_link"] == 1
    assert d.decode_errors == 0


def test_non_ip_ethertype_is_counted():
    d = Decoder()
    assert decode(eth(type=0x0806) / Raw(bytes(28)), 1, d) is None
    assert d.counts["non_ip"] == 1


# -- VLAN and MPLS -----------------------------------------------------------------------------
def test_802_1q_vlan():
    frame = eth() / Dot1Q(vlan=42, prio=5) / udp4()
    pkt = decode(frame)
    assert_udp(pkt)
    assert pkt.vlan == 42
    assert mac_text(pkt.src_mac) == MAC


def test_qinq_88a8_then_8100_keeps_the_outer_vlan():
    frame = eth() / Dot1AD(vlan=100) / Dot1Q(vlan=200) / udp4()
    assert bytes(frame)[12:14] == b"\x88\xa8"
    pkt = decode(frame)
    assert_udp(pkt)
    assert pkt.vlan == 100


def test_qinq_9100():
    frame = eth(type=0x9100) / Dot1Q(vlan=300) / Dot1Q(vlan=400) / udp6()
    assert bytes(frame)[12:14] == b"\x91\x00"
    pkt = decode(frame)
    assert_udp(pkt, A6, B6)
    assert pkt.vlan == 300


def test_mpls_label_stack():
    frame = eth() / MPLS(label=16, s=0, ttl=64) / MPLS(label=17, s=0) / MPLS(label=18, s=1) / udp4()
    assert bytes(frame)[12:14] == b"\x88\x47"
    assert_udp(decode(frame))


def test_mpls_stack_without_bottom_is_malformed():
    d = Decoder()
    labels = b"".join(struct.pack("!I", (16 + i) << 12 | 64) for i in range(20))
    assert decode(bytes(eth(type=0x8847)) + labels + bytes(udp4()), 1, d) is None
    assert d.decode_errors == 1


# -- IP options and extension headers ------------------------------------------------------------
def test_ipv4_options():
    frame = bytes(eth() / IP(src=A4, dst=B4, options=[IPOption_Router_Alert()])
                  / UDP(sport=SPORT, dport=DPORT) / Raw(RTP))
    assert frame[14] & 0x0F > 5
    assert_udp(decode(frame))


def test_ipv6_extension_header_chain():
    frame = (eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop()
             / IPv6ExtHdrRouting(addresses=["2001:db8::99"]) / IPv6ExtHdrDestOpt()
             / UDP(sport=SPORT, dport=DPORT) / Raw(RTP))
    assert bytes(frame)[14 + 6] == 0  # next header: hop-by-hop
    assert_udp(decode(frame), A6, B6)


# -- fragments ---------------------------------------------------------------------------------
BIG = bytes(i * 7 % 251 for i in range(3000))  # a SIP INVITE sized datagram


def _l4(ip_packet) -> bytes:
    """Upper-layer bytes (UDP header with its checksum computed, plus payload) of an IPv4 packet."""
    return bytes(ip_packet)[20:]


def _frag4(l4: bytes, start: int, stop: int, more: bool, ident: int = 0x4242) -> bytes:
    assert start % 8 == 0
    return bytes(eth() / IP(src=A4, dst=B4, id=ident, proto=17, flags="MF" if more else 0,
                              frag=start // 8) / Raw(l4[start:stop]))


def _feed(decoder: Decoder, frames) -> list:
    return [p for p in (decoder.decode(float(i), 1, bytes(f)) for i, f in enumerate(frames)) if p]


def test_ipv4_fragments_in_order():
    frags = fragment(udp4(BIG), fragsize=1000)
    assert len(frags) == 4
    d = Decoder()
    out = _feed(d, [eth() / f for f in frags])
    assert len(out) == 1
    assert_udp(out[0], payload=BIG)
    assert d.fragments.reassembled == 1


def test_ipv4_fragments_out_of_order():
    frags = [eth() / f for f in fragment(udp4(BIG), fragsize=800)]
    d = Decoder()
    out = _feed(d, [frags[2], frags[0], frags[3], frags[1]])
    assert len(out) == 1
    assert_udp(out[0], payload=BIG)


def test_ipv4_fragments_overlapping():
    l4 = _l4(udp4(BIG))
    d = Decoder()
    out = _feed(d, [_frag4(l4, 0, 1000, True), _frag4(l4, 800, 2000, True),
                    _frag4(l4, 1600, len(l4), False)])
    assert len(out) == 1
    assert_udp(out[0], payload=BIG)


def test_ipv4_fragments_duplicate_delivered_once():
    l4 = _l4(udp4(BIG))
    first, last = _frag4(l4, 0, 1600, True), _frag4(l4, 1600, len(l4), False)
    d = Decoder()
    out = _feed(d, [first, first, last, last])
    assert len(out) == 1
    assert_udp(out[0], payload=BIG)


def test_ipv4_fragment_missing_piece_delivers_nothing():
    l4 = _l4(udp4(BIG))
    d = Decoder()
    out = _feed(d, [_frag4(l4, 0, 1000, True), _frag4(l4, 2000, len(l4), False)])
    assert out == []
    assert d.fragments.reassembled == 0
    assert d.decode_errors == 0


def test_ipv4_fragments_older_than_max_age_are_dropped():
    l4 = _l4(udp4(BIG))
    d = Decoder()
    assert d.decode(0.0, 1, _frag4(l4, 0, 1600, True)) is None
    assert d.decode(d.fragments.max_age + 5, 1, _frag4(l4, 1600, len(l4), False)) is None
    assert d.fragments.expired == 1
    assert d.fragments.reassembled == 0


def test_ipv6_fragments_reassembled():
    frags = fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0xABCDEF)
                      / UDP(sport=SPORT, dport=DPORT) / Raw(BIG), 1280)
    assert len(frags) == 3
    d = Decoder()
    out = _feed(d, [eth() / f for f in reversed(frags)])
    assert len(out) == 1
    assert_udp(out[0], A6, B6, payload=BIG)


def test_fragment_flood_keeps_the_table_bounded():
    template = bytearray(_frag4(_l4(udp4(BIG)), 0, 1000, True))
    d = Decoder()
    for ident in range(MAX_PENDING + 300):
        struct.pack_into("!H", template, 14 + 4, ident)
        assert d.decode(1.0, 1, bytes(template)) is None
        assert len(d.fragments._pending) <= d.fragments.max_pending
    assert len(d.fragments._pending) == MAX_PENDING
    assert d.fragments.expired == 300
    # the table still reassembles after the flood
    out = _feed(d, [eth() / f for f in fragment(udp4(BIG, src="192.0.2.99"), fragsize=1000)])
    assert len(out) == 1
    assert_udp(out[0], src="192.0.2.99", payload=BIG)


def test_overlapping_fragment_flood_keeps_one_datagram_bounded():
    """Pieces at every 8-byte offset, each 1480 bytes long: held bytes stay bounded per datagram."""
    table = FragmentTable()
    piece = bytes(1480)
    for offset in range(0, MAX_DATAGRAM - len(piece), 8):
        assert table.add(("k",), 0.0, offset, True, piece) is None
        held = sum(len(p) for entry in table._pending.values() for p in entry.pieces.values())
        assert held <= MAX_HELD_BYTES


def test_fragment_table_small_bound():
    table = FragmentTable(max_pending=8)
    for key in range(100):
        assert table.add(("k", key), 0.0, 0, True, b"x" * 8) is None
        assert len(table._pending) <= 8


# -- tunnels -----------------------------------------------------------------------------------
def _outer(proto: int):
    return eth() / IP(src="10.9.9.1", dst="10.9.9.2", proto=proto)


def test_gre_with_key_and_sequence():
    frame = _outer(47) / GRE(key_present=1, key=0x1234, seqnum_present=1, sequence_number=9,
                             proto=0x0800) / udp4()
    d = Decoder()
    assert_udp(decode(frame, 1, d))
    assert d.counts["encapsulated"] == 1


def test_gre_with_checksum_key_and_sequence_ipv6_inner():
    frame = _outer(47) / GRE(chksum_present=1, key_present=1, key=7, seqnum_present=1,
                             proto=0x86DD) / udp6()
    assert_udp(decode(frame), A6, B6)


def test_erspan_type_1():
    gre = struct.pack("!HH", 0x0000, 0x88BE)  # no sequence number, so no ERSPAN header
    pkt = decode(_outer(47) / Raw(gre + bytes(eth() / Dot1Q(vlan=7) / udp4())))
    assert_udp(pkt)
    assert mac_text(pkt.src_mac) == MAC
    assert pkt.vlan == 7


def test_erspan_type_2():
    frame = _outer(47) / GRE(seqnum_present=1, proto=0x88BE) / ERSPAN_II(session_id=5, vlan=10) \
        / eth() / udp4()
    pkt = decode(frame)
    assert_udp(pkt)
    assert mac_text(pkt.src_mac) == MAC


def test_erspan_type_3():
    frame = _outer(47) / GRE(seqnum_present=1, proto=0x22EB) / ERSPAN_III(session_id=5, o=0) \
        / eth() / udp4()
    assert_udp(decode(frame))


def test_erspan_type_3_with_platform_subheader():
    frame = _outer(47) / GRE(seqnum_present=1, proto=0x22EB) / ERSPAN_III(session_id=5, o=1) \
        / ERSPAN_PlatformSpecific(platf_id=3, info1=1, info2=2) / eth() / udp6()
    pkt = decode(frame)
    assert_udp(pkt, A6, B6)
    assert mac_text(pkt.src_mac) == MAC


def test_gre_transparent_ethernet_bridging():
    frame = _outer(47) / GRE(proto=0x6558) / eth() / Dot1Q(vlan=33) / udp4()
    pkt = decode(frame)
    assert_udp(pkt)
    assert pkt.vlan == 33


def test_vxlan():
    frame = eth() / IP(src="10.9.9.1", dst="10.9.9.2") / UDP(sport=51000, dport=4789) \
        / VXLAN(vni=5001) / eth() / udp4()
    d = Decoder()
    pkt = decode(frame, 1, d)
    assert_udp(pkt)
    assert mac_text(pkt.src_mac) == MAC
    assert d.counts["encapsulated"] == 1


def test_ip_in_ip():
    d = Decoder()
    assert_udp(decode(_outer(4) / udp4(), 1, d))
    assert d.counts["encapsulated"] == 1


def test_ipv6_in_ipv4_and_ipv4_in_ipv6():
    assert_udp(decode(_outer(41) / udp6()), A6, B6)
    assert_udp(decode(eth() / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=4) / udp4()))


def test_gre_version_1_is_malformed_not_a_crash():
    d = Decoder()
    frame = bytes(_outer(47)) + struct.pack("!HH", 0x0001, 0x0800) + bytes(udp4())
    assert decode(frame, 1, d) is None
    assert d.decode_errors == 1


# -- ICMP --------------------------------------------------------------------------------------
def test_icmp_port_unreachable_quoting_rtp_is_not_udp():
    quoted = bytes(udp4())[:28 + 12]  # IP + UDP + RTP header, as routers quote
    frame = eth() / IP(src=B4, dst=A4) / ICMP(type=3, code=3) / Raw(quoted)
    d = Decoder()
    assert decode(frame, 1, d) is None
    assert d.counts["icmp"] == 1
    assert d.counts["icmp_errors"] == 1
    assert d.decode_errors == 0


def test_icmpv6_destination_unreachable_is_an_icmp_error():
    frame = eth() / IPv6(src=B6, dst=A6) / ICMPv6DestUnreach(code=4) / Raw(bytes(udp6())[:60])
    d = Decoder()
    assert decode(frame, 1, d) is None
    assert d.counts["icmp_errors"] == 1


def test_icmp_echo_is_counted_but_not_an_error():
    d = Decoder()
    assert decode(eth() / IP() / ICMP(type=8) / Raw(b"ping"), 1, d) is None
    assert d.counts["icmp"] == 1
    assert d.counts["icmp_errors"] == 0


# -- TCP and snaplen ---------------------------------------------------------------------------
def test_tcp_with_options():
    body = b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n"
    frame = eth() / IP(src=A4, dst=B4) / TCP(
        sport=5060, dport=40000, seq=0xFFFFFF00, flags="PA",
        options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (1, 2))]) \
        / Raw(body)
    assert bytes(frame)[34 + 12] >> 4 > 5
    pkt = decode(frame)
    assert pkt.proto == PROTO_TCP
    assert (ip_text(pkt.src), ip_text(pkt.dst), pkt.sport, pkt.dport) == (A4, B4, 5060, 40000)
    assert pkt.tcp_seq == 0xFFFFFF00
    assert pkt.tcp_flags == 0x18
    assert pkt.payload == body


@pytest.mark.parametrize("snaplen", [42, 43, 60, 96])
def test_caplen_shorter_than_ip_total_length(snaplen):
    frame = bytes(eth() / udp4())
    pkt = decode(frame[:snaplen])
    assert_udp(pkt, payload=RTP[:snaplen - 42])


def test_caplen_shorter_ipv6():
    frame = bytes(eth() / udp6())
    assert_udp(decode(frame[:80]), A6, B6, payload=RTP[:80 - 62])


# -- malformed input ---------------------------------------------------------------------------
REAL_FRAMES = {
    "eth-ipv4-udp": (1, bytes(eth() / udp4()), 42),
    "eth-ipv4opts-tcpopts": (1, bytes(eth() / IP(options=[IPOption_Router_Alert()]) / TCP(
        options=[("MSS", 1460), ("Timestamp", (1, 2))]) / Raw(b"SIP/2.0 200 OK\r\n")), 14 + 24 + 36),
    "vlan-ipv6-ext-udp": (1, bytes(eth() / Dot1Q(vlan=5) / IPv6() / IPv6ExtHdrHopByHop()
                                   / IPv6ExtHdrDestOpt() / UDP() / Raw(RTP)), 18 + 40 + 16 + 8),
    "sll-ipv4-udp": (113, bytes(CookedLinux(proto=0x800) / udp4()), 16 + 28),
    "sll2-ipv6-udp": (276, bytes(CookedLinuxV2(proto=0x86DD) / udp6()), 20 + 48),
    "null-ipv4-udp": (0, struct.pack("<I", 2) + bytes(udp4()), 4 + 28),
    "raw-ipv6-udp": (101, bytes(udp6()), 48),
}
TUNNEL_FRAMES = {
    "mpls": bytes(eth() / MPLS(label=3, s=0) / MPLS(label=4, s=1) / udp4()),
    "gre-key-seq": bytes(_outer(47) / GRE(key_present=1, seqnum_present=1, proto=0x800) / udp4()),
    "erspan2": bytes(_outer(47) / GRE(seqnum_present=1, proto=0x88BE) / ERSPAN_II() / eth() / udp4()),
    "erspan3-sub": bytes(_outer(47) / GRE(seqnum_present=1, proto=0x22EB) / ERSPAN_III(o=1)
                         / ERSPAN_PlatformSpecific() / eth() / udp4()),
    "vxlan": bytes(eth() / IP() / UDP(dport=4789) / VXLAN(vni=1) / eth() / udp4()),
    "ipip": bytes(_outer(4) / udp4()),
    "ipv4-frag": _frag4(_l4(udp4(BIG)), 0, 1000, True),
}


@pytest.mark.parametrize("name", sorted(REAL_FRAMES))
def test_every_prefix_of_a_real_frame(name):
    """Cut inside the headers: None and one decode error; cut inside the payload: what is there."""
    linktype, frame, header_len = REAL_FRAMES[name]
    full = decode(frame, linktype)
    assert full is not None and full.payload == frame[header_len:]
    for n in range(len(frame)):
        d = Decoder()
        pkt = d.decode(0.0, linktype, frame[:n])
        if n < header_len:
            assert pkt is None, n
            assert d.decode_errors == 1, n
        else:
            assert pkt is not None, n
            assert pkt.payload == frame[header_len:n], n
            assert d.decode_errors == 0


@pytest.mark.parametrize("name", sorted(TUNNEL_FRAMES))
def test_every_prefix_of_a_tunnelled_frame_never_raises(name):
    frame = TUNNEL_FRAMES[name]
    d = Decoder()
    for n in range(len(frame) + 1):
        errors = d.decode_errors
        pkt = d.decode(0.0, 1, frame[:n])
        if n < 34:  # inside the outer Ethernet + IPv4 header (or MPLS stack)
            assert pkt is None and d.decode_errors == errors + 1, n
        if pkt is not None:
            assert 0 <= pkt.off <= pkt.end <= len(pkt.data), n


@pytest.mark.parametrize("frame", [
    pytest.param(bytes(eth(type=0x0800)) + b"\x44" + bytes(udp4())[1:], id="ihl<5"),
    pytest.param(bytes(eth(type=0x0800)) + b"\x55" + bytes(udp4())[1:], id="ip-version-5"),
    pytest.param(bytes(eth() / IP(src=A4, dst=B4) / UDP(len=4) / Raw(RTP)), id="udp-length-4"),
    pytest.param(bytes(eth() / IP() / TCP(dataofs=4) / Raw(b"x" * 20)), id="tcp-data-offset-4"),
    pytest.param(bytes(eth() / IP(len=12) / UDP() / Raw(RTP)), id="ip-total<ihl"),
    pytest.param(bytes(eth() / IP(len=24) / UDP() / Raw(RTP)), id="udp-header-past-ip-end"),
    pytest.param(bytes(eth() / IPv6(plen=4) / UDP() / Raw(RTP)), id="udp-header-past-ipv6-end"),
    pytest.param(bytes(eth() / IPv6(plen=8) / IPv6ExtHdrHopByHop(len=3) / UDP()), id="ipv6-ext-past-end"),
])
def test_malformed_headers_are_counted(frame):
    d = Decoder()
    assert d.decode(0.0, 1, frame) is None
    assert d.decode_errors == 1


_SEEDS = [frame for _, frame, _ in REAL_FRAMES.values()] + list(TUNNEL_FRAMES.values())


@st.composite
def _mutated_frame(draw):
    frame = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        frame[draw(st.integers(0, len(frame) - 1))] = draw(st.integers(0, 255))
    return bytes(frame[:draw(st.integers(0, len(frame)))])


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linktype=st.sampled_from(LINKTYPES + (147,)),
       data=st.one_of(st.binary(max_size=200), _mutated_frame()))
def test_fuzz_never_raises(linktype, data):
    d = Decoder()
    pkt = d.decode(0.0, linktype, data)
    if pkt is not None:
        assert pkt.proto in (PROTO_UDP, PROTO_TCP)
        assert 0 <= pkt.off <= pkt.end <= len(pkt.data)
        assert len(pkt.src) == len(pkt.dst) in (4, 16)
        socket.inet_ntop(socket.AF_INET if len(pkt.src) == 4 else socket.AF_INET6, pkt.src)


# -- the fast path's shape read at fixed offsets (`Decoder.decode_common`) ----------------------
def _common_frames() -> list[bytes]:
    """Frames of the fast path's shape (Ethernet, IPv4 with a 20-byte header, not a fragment, UDP, >= 54
    bytes), well-formed and not: the fixed-offset read must give what the general walk gives."""
    good = bytes(eth() / udp4())
    frames = [good, good + b"\x00" * 18,                                    # padding after the datagram
              bytes(eth() / IP(src=A4, dst=B4) / UDP(sport=4789, dport=DPORT) / Raw(RTP)),
              bytes(eth() / IP(src=A4, dst=B4) / UDP(sport=SPORT, dport=4789) / VXLAN(vni=7) / eth() / udp4()),
              bytes(eth() / IP(src=A4, dst=B4) / UDP(sport=2152, dport=2152) / Raw(RTP)),
              bytes(eth() / IP(src=A4, dst=B4, flags="DF") / UDP(sport=SPORT, dport=DPORT) / Raw(RTP))]
    for total in (0, 19, 20, 27, 28, 41, 60, 65535):                        # IPv4 total length
        frames.append(good[:16] + struct.pack("!H", total) + good[18:])
    for ulen in (0, 7, 8, 9, 60, 65535):                                    # UDP length
        frames.append(good[:38] + struct.pack("!H", ulen) + good[40:])
    return frames


@pytest.mark.parametrize("index", range(len(_common_frames())))
def test_the_common_shape_read_at_fixed_offsets_is_the_general_walk(index):
    from collectors.fastpath import fast_shape
    frame = _common_frames()[index]
    assert fast_shape(frame)
    general, fixed = Decoder(), Decoder()
    assert fixed.decode_common(1.5, frame) == general.decode(1.5, 1, frame)
    assert (fixed.decode_errors, fixed.counts) == (general.decode_errors, general.counts)
