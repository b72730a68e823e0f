"""SIP messages out of one direction of a TCP connection: several messages per segment, one
message over several segments; after a hole or garbage, resynchronise on the next start line."""
from __future__ import annotations

import re

from collectors.decode.tcpreasm import TcpReassembler
from collectors.errors import Incomplete, Malformed
from collectors.sip.message import SipMessage, parse_message

MAX_BUFFER = 256 * 1024
START_LINE = re.compile(rb"(?:^|\n)((?:INVITE|ACK|BYE|CANCEL|REGISTER|OPTIONS|PRACK|SUBSCRIBE|NOTIFY|"
                        rb"PUBLISH|INFO|REFER|MESSAGE|UPDATE) [^\r\n]{1,2048} SIP/2\.0\r?\n|SIP/2\.0 \d{3} )")


class TcpSipStream:
    __slots__ = ("tcp", "buffer", "errors", "skipped_bytes")

    def __init__(self):
        self.tcp = TcpReassembler()
        self.buffer = bytearray()
        self.errors = 0
        self.skipped_bytes = 0

    def feed(self, seq: int, payload: bytes, syn: bool = False) -> list[SipMessage]:
        """Add one segment; return the SIP messages it completes."""
        data, gap = self.tcp.feed(seq, payload, syn)
        if gap:                              # a hole skipped: what was buffered can never complete
            self.errors += 1
            self.buffer.clear()
        self.buffer += data
        if gap:
            self._resync()
        return self._messages() if data else []

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
