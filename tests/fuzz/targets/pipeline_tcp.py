"""The pipeline fed well-formed TCP segments whose payloads are fuzzed: SIP over TCP, WebSocket,
TLS (any port), ICE-TCP and TURN-TCP framing, on two connections (4 directions) with in-order
sequence numbers unless the chunk gives its own."""
from tests.fuzz.common import IP_A, IP_B, Segments, chunks, tcp_frame
from tests.fuzz.targets.pipeline_frames import drive

DIRECTIONS = ((IP_A, 50000, IP_B, 5060), (IP_B, 5060, IP_A, 50000), (IP_A, 50001, IP_B, 443),
              (IP_B, 443, IP_A, 50001))


def fuzz(data: bytes) -> None:
    ts, items, segments = 1.7e9, [], Segments()
    for flag, body in chunks(data):
        ts += ((flag >> 4) ** 2) * 0.05
        which = (flag >> 2) & 3
        seq, payload, syn = segments.split(flag, body, which)
        src, sport, dst, dport = DIRECTIONS[which]
        items.append((ts, 1, tcp_frame(payload, sport, dport, seq, 0x02 if syn else 0x18, src, dst)))
    drive(items)
