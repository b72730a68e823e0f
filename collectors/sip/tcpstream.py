"""Reassembly of one direction of a TCP connection into SIP messages.

Segments arrive in order, retransmitted (overlap trimmed), out of order (held, bounded) or with
holes (after the hold limit we skip the hole and resynchronise on the next SIP start line). One
segment may carry several messages; one message may span several segments.
"""
from __future__ import annotations

import re

from collectors.errors import Incomplete, Malformed
from collectors.sip.message import SipMessage, parse_message

MAX_HELD_SEGMENTS = 64
MAX_BUFFER = 256 * 1024
SEQ_MOD = 1 << 32
START_LINE = re.compile(rb"(?:^|\n)((?:INVITE|ACK|BYE|CANCEL|REGISTER|OPTIONS|PRACK|SUBSCRIBE|NOTIFY|"
                        rb"PUBLISH|INFO|REFER|MESSAGE|UPDATE) [^\r\n]{1,2048} SIP/2\.0\r?\n|SIP/2\.0 \d{3} )")


class TcpSipStream:
    __slots__ = ("next_seq", "buffer", "held", "skipped_bytes", "errors")

    def __init__(self):
        self.next_seq: int | None = None
        self.buffer = bytearray()
        self.held: dict[int, bytes] = {}
        self.skipped_bytes = 0
        self.errors = 0

    def feed(self, seq: int, payload: bytes, syn: bool = False) -> list[SipMessage]:
        """Add one segment; return the SIP messages it completes."""
        if syn:
            self.next_seq = (seq + 1) % SEQ_MOD
        if not payload:
            return []
        if self.next_seq is None:
            self.next_seq = seq
        self._place(seq, payload)
        return self._messages()

    def _place(self, seq: int, payload: bytes) -> None:
        ahead = (seq - self.next_seq) % SEQ_MOD
        if ahead >= SEQ_MOD // 2:  # starts before what we have: retransmission or overlap
            overlap = SEQ_MOD - ahead
            if overlap >= len(payload):
                return
            payload, ahead = payload[overlap:], 0
        if ahead:
            if len(self.held) < MAX_HELD_SEGMENTS:
                self.held.setdefault(seq, payload)
                return
            self._skip_hole()
        self._append(payload)
        self._drain_held()

    def _append(self, payload: bytes) -> None:
        self.buffer += payload
        self.next_seq = (self.next_seq + len(payload)) % SEQ_MOD

    def _drain_held(self) -> None:
        while self.held:
            progressed = False
            for seq in list(self.held):
                ahead = (seq - self.next_seq) % SEQ_MOD
                if ahead == 0 or ahead >= SEQ_MOD // 2:
                    payload = self.held.pop(seq)
                    overlap = 0 if ahead == 0 else SEQ_MOD - ahead
                    if overlap < len(payload):
                        self._append(payload[overlap:])
                    progressed = True
            if not progressed:
                return

    def _skip_hole(self) -> None:
        """Give up on a missing segment: jump to the lowest held one and resynchronise."""
        lowest = min(self.held, key=lambda s: (s - self.next_seq) % SEQ_MOD)
        self.skipped_bytes += (lowest - self.next_seq) % SEQ_MOD
        self.buffer.clear()
        self.next_seq = lowest
        self._drain_held()
        self._resync()

    def _messages(self) -> list[SipMessage]:
        out: list[SipMessage] = []
        while self.buffer:
            start = _skip_keepalive(self.buffer)
            if start:
                del self.buffer[:start]
                continue
            try:
                message, used = parse_message(bytes(self.buffer), 0)
            except Incomplete:
                if len(self.buffer) > MAX_BUFFER:
                    self.errors += 1
                    self.buffer.clear()
                break
            except Malformed:
                self.errors += 1
                if not self._resync(from_offset=1):
                    break
                continue
            out.append(message)
            del self.buffer[:used]
        return out

    def _resync(self, from_offset: int = 0) -> bool:
        match = START_LINE.search(self.buffer, from_offset)
        if match is None:
            self.skipped_bytes += len(self.buffer)
            self.buffer.clear()
            return False
        start = match.start(1)
        self.skipped_bytes += start
        del self.buffer[:start]
        return True


def _skip_keepalive(buffer: bytearray) -> int:
    n = 0
    while n < len(buffer) and buffer[n] in (0x0D, 0x0A):
        n += 1
    return n
