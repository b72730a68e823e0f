"""Link layers (Ethernet, 802.1Q/QinQ, MPLS, Linux cooked v1/v2, raw IP, null/loopback) down to UDP/TCP."""
from collectors.decode.decoder import Decoder
from collectors.fingerprint import parse_cdp_frame, parse_lldp_frame

LINKTYPES = (1, 1, 1, 1, 113, 276, 101, 228, 229, 0, 108, 12, 14, 147)


def check_packet(pkt) -> None:
    if pkt is None:
        return
    assert 0 <= pkt.off <= pkt.end <= len(pkt.data), (pkt.off, pkt.end, len(pkt.data))
    assert pkt.proto in (6, 17) and len(pkt.src) in (4, 16) and len(pkt.src) == len(pkt.dst)
    assert 0 <= pkt.sport <= 65535 and 0 <= pkt.dport <= 65535
    assert len(pkt.payload) == pkt.payload_len


def layer2(ethertype: int, frame: bytes) -> None:
    # the decoder would count an exception here as a decode error: call the parsers as the pipeline
    # does, but outside the decoder's net, so a raising parser is seen
    _LAYER2.append(frame)


_LAYER2: list = []


def fuzz(data: bytes) -> None:
    if not data:
        return
    decoder = Decoder(layer2=layer2)
    _LAYER2.clear()
    check_packet(decoder.decode(0.0, LINKTYPES[data[0] % len(LINKTYPES)], data[1:]))
    for frame in _LAYER2:
        parse_lldp_frame(frame)
        parse_cdp_frame(frame)
