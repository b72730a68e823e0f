"""In-order reassembly of a TCP direction: retransmissions, reordering, holes, SYNs, wrap-around."""
from collectors.decode.tcpreasm import MAX_HELD_SEGMENTS, TcpReassembler
from tests.fuzz.common import Segments, chunks


def fuzz(data: bytes) -> None:
    tcp, segments = TcpReassembler(), Segments()
    fed = out = 0
    for flag, body in chunks(data, 128):
        seq, payload, syn = segments.split(flag, body)
        if flag & 4:
            seq = (seq - (flag >> 3) * 97) & 0xFFFFFFFF   # step back: overlaps and retransmissions
        fed += len(payload)
        new, _gap = tcp.feed(seq, payload, syn)
        out += len(new)
        assert out <= fed, (out, fed)
        assert len(tcp.held) <= MAX_HELD_SEGMENTS + 1
