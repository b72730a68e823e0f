"""Media over TCP: RFC 4571 framing (ICE-TCP: a 2-byte length before each RTP/RTCP/STUN/DTLS
packet) and TURN over TCP (RFC 8656: STUN messages and 4-byte ChannelData headers, padded to 4)."""
from __future__ import annotations

from collectors.decode.tcpreasm import TcpReassembler

STUN_COOKIE = b"\x21\x12\xa4\x42"
RFC4571, TURN = "rfc4571", "turn"
MAX_BUFFER = 256 * 1024


def detect_framing(data: bytes, off: int, end: int) -> str | None:
    """Which media framing the first bytes of a TCP stream use, if any."""
    if end - off < 8:
        return None
    b0 = data[off]
    if (b0 < 2 and data[off + 4:off + 8] == STUN_COOKIE) or 0x40 <= b0 <= 0x4F:
        return TURN
    length = int.from_bytes(data[off:off + 2], "big")
    inner = data[off + 2]
    if 12 <= length and (128 <= inner < 192 or (inner < 2 and data[off + 6:off + 10] == STUN_COOKIE)):
        return RFC4571
    return None


class TcpMediaFramer:
    __slots__ = ("framing", "tcp", "buffer", "errors")

    def __init__(self, framing: str):
        self.framing = framing
        self.tcp = TcpReassembler()
        self.buffer = bytearray()
        self.errors = 0

    def feed(self, seq: int, payload: bytes, syn: bool = False) -> list[bytes]:
        """The whole framed packets (RTP/RTCP/STUN/DTLS bytes) this segment completes."""
        data, gap = self.tcp.feed(seq, payload, syn)
        if gap:
            self.buffer.clear()
            self.errors += 1
        self.buffer += data
        if len(self.buffer) > MAX_BUFFER:
            self.buffer.clear()
            self.errors += 1
        return self._frames()

    def _frames(self) -> list[bytes]:
        out, buf, pos = [], self.buffer, 0
        while True:
            bounds = self._next_frame(buf, pos)
            if bounds is None:
                break
            start, stop, size = bounds
            out.append(bytes(buf[start:stop]))
            pos += size
        del buf[:pos]
        return out

    def _next_frame(self, buf: bytearray, pos: int) -> tuple[int, int, int] | None:
        """(start, stop) of the packet inside the frame at `pos` and the frame's size on the wire."""
        if len(buf) - pos < 4:
            return None
        if self.framing == RFC4571:
            length = _u16(buf, pos)
            start, stop, size = pos + 2, pos + 2 + length, 2 + length
        elif buf[pos] >= 0x40:                        # ChannelData, padded to 4 over TCP
            length = _u16(buf, pos + 2)
            start, stop, size = pos + 4, pos + 4 + length, 4 + length + (-length % 4)
        else:                                         # STUN message (length excludes its header)
            size = 20 + _u16(buf, pos + 2)
            start, stop = pos, pos + size
        return (start, stop, size) if pos + size <= len(buf) else None


def _u16(buf, pos: int) -> int:
    return (buf[pos] << 8) | buf[pos + 1]
