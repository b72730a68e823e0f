"""Mirrored-traffic encapsulations: GRE (ERSPAN I/II/III, transparent Ethernet), VXLAN, GTP-U, IP-in-IP
and IPv6-in-IPv4 around fuzzed bytes, inside a well-formed outer Ethernet/IPv4."""
from collectors.decode.decoder import Decoder
from tests.fuzz.common import ethernet, ipv4, udp
from tests.fuzz.targets.link import check_packet


def fuzz(data: bytes) -> None:
    if not data:
        return
    kind, inner = data[0] % 5, data[1:]
    if kind == 0:
        frame = ethernet(ipv4(inner, 47))
    elif kind == 1:
        frame = ethernet(ipv4(udp(inner, 40000, 4789), 17))
    elif kind == 2:
        frame = ethernet(ipv4(udp(inner, 2152, 2152), 17))
    elif kind == 3:
        frame = ethernet(ipv4(inner, 4))
    else:
        frame = ethernet(ipv4(inner, 41))
    check_packet(Decoder().decode(0.0, 1, frame))
