"""SIP over WebSocket (RFC 7118): the HTTP Upgrade with `Sec-WebSocket-Protocol: sip`, then one SIP
message per WebSocket text/binary message (client frames are masked, RFC 6455)."""
from __future__ import annotations

from collectors.decode.tcpreasm import TcpReassembler
from collectors.errors import Incomplete, Malformed
from collectors.sip.message import SipMessage, parse_message

MAX_BUFFER = 256 * 1024
MAX_MESSAGE = 128 * 1024
TEXT, BINARY, CONTINUATION, CLOSE = 1, 2, 0, 8


def is_sip_upgrade(data: bytes, off: int, end: int) -> bool:
    """An HTTP request or 101 response that upgrades to WebSocket with the `sip` subprotocol."""
    head = data[off:min(end, off + 4096)]
    if not (head.startswith(b"GET ") or head.startswith(b"HTTP/1.1 101")):
        return False
    lower = head.lower()
    return b"upgrade: websocket" in lower and b"sec-websocket-protocol: sip" in lower


class WsSipStream:
    """One direction of a WebSocket connection carrying SIP."""

    __slots__ = ("tcp", "buffer", "handshake_done", "fragments", "errors")

    def __init__(self):
        self.tcp = TcpReassembler()
        self.buffer = bytearray()
        self.handshake_done = False
        self.fragments = bytearray()
        self.errors = 0

    def feed(self, seq: int, payload: bytes, syn: bool = False) -> list[SipMessage]:
        data, gap = self.tcp.feed(seq, payload, syn)
        if gap:                              # a hole: frame boundaries are lost for good
            self.errors += 1
            self.buffer.clear()
            return []
        self.buffer += data
        if len(self.buffer) > MAX_BUFFER:
            self.errors += 1
            self.buffer.clear()
        if not self.handshake_done and not self._skip_http_head():
            return []
        return self._messages()

    def _skip_http_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        del self.buffer[:end + 4]
        self.handshake_done = True
        return True

    def _messages(self) -> list[SipMessage]:
        out = []
        while True:
            frame = _frame(self.buffer)
            if frame is None:
                return out
            fin, opcode, payload, size = frame
            del self.buffer[:size]
            if opcode in (TEXT, BINARY, CONTINUATION):
                self.fragments += payload
                if len(self.fragments) > MAX_MESSAGE:
                    self.fragments.clear()
                    self.errors += 1
                elif fin:
                    message = self._sip(bytes(self.fragments))
                    self.fragments.clear()
                    if message is not None:
                        out.append(message)

    def _sip(self, text: bytes) -> SipMessage | None:
        try:
            message, _ = parse_message(text, 0, datagram=True)
            return message
        except (Incomplete, Malformed):
            self.errors += 1
            return None


def _frame(buf: bytearray) -> tuple[bool, int, bytes, int] | None:
    """(fin, opcode, unmasked payload, frame size) of the first whole frame in `buf`."""
    if len(buf) < 2:
        return None
    fin, opcode = bool(buf[0] & 0x80), buf[0] & 0x0F
    masked, length, pos = buf[1] & 0x80, buf[1] & 0x7F, 2
    if length == 126:
        if len(buf) < 4:
            return None
        length, pos = int.from_bytes(buf[2:4], "big"), 4
    elif length == 127:
        if len(buf) < 10:
            return None
        length, pos = int.from_bytes(buf[2:10], "big"), 10
    mask = b""
    if masked:
        mask, pos = bytes(buf[pos:pos + 4]), pos + 4
    if len(buf) < pos + length:
        return None
    payload = bytes(buf[pos:pos + length])
    if masked:
        payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return fin, opcode, payload, pos + length
