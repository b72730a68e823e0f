"""In-order reassembly of one direction of a TCP connection.

Segments arrive in order, retransmitted (overlap trimmed), out of order (held, bounded) or with
holes: once too many segments wait behind a hole, the hole is skipped and `gaps` counts it, so the
framing layer above can resynchronise. Returns the newly contiguous bytes of each segment.
"""
from __future__ import annotations

MAX_HELD_SEGMENTS = 64
SEQ_MOD = 1 << 32
HALF = SEQ_MOD // 2


class TcpReassembler:
    __slots__ = ("next_seq", "held", "gaps", "skipped_bytes")

    def __init__(self):
        self.next_seq: int | None = None
        self.held: dict[int, bytes] = {}
        self.gaps = 0
        self.skipped_bytes = 0

    def feed(self, seq: int, payload: bytes, syn: bool = False) -> tuple[bytes, bool]:
        """(contiguous new bytes, whether a hole was skipped before them)."""
        if syn:                                 # the SYN takes one sequence number; data follows it
            seq = self.next_seq = (seq + 1) % SEQ_MOD
        if not payload:
            return b"", False
        if self.next_seq is None:
            self.next_seq = seq
        ahead = (seq - self.next_seq) % SEQ_MOD
        if ahead >= HALF:                       # starts before the expected byte: retransmission
            overlap = SEQ_MOD - ahead
            if overlap >= len(payload):
                return b"", False
            payload, ahead = payload[overlap:], 0
        gap = False
        if ahead:
            self.held.setdefault(seq, payload)
            if len(self.held) <= MAX_HELD_SEGMENTS:
                return b"", False
            self._skip_to_lowest_held()         # this segment is held too: drained below, not lost
            gap = True
            out = bytearray()
        else:
            out = bytearray(payload)
            self.next_seq = (self.next_seq + len(payload)) % SEQ_MOD
        out += self._drain_held()
        return bytes(out), gap

    def _drain_held(self) -> bytes:
        out = bytearray()
        progressed = True
        while self.held and progressed:
            progressed = False
            for seq in list(self.held):
                ahead = (seq - self.next_seq) % SEQ_MOD
                if ahead == 0 or ahead >= HALF:
                    payload = self.held.pop(seq)
                    overlap = 0 if ahead == 0 else SEQ_MOD - ahead
                    if overlap < len(payload):
                        out += payload[overlap:]
                        self.next_seq = (self.next_seq + len(payload) - overlap) % SEQ_MOD
                    progressed = True
        return bytes(out)

    def _skip_to_lowest_held(self) -> None:
        lowest = min(self.held, key=lambda s: (s - self.next_seq) % SEQ_MOD)
        self.skipped_bytes += (lowest - self.next_seq) % SEQ_MOD
        self.gaps += 1
        self.next_seq = lowest
