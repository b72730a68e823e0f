"""SIP message parsing from bytes (RFC 3261): start line, headers (compact forms, folding), body.

`parse_message(buf, start)` returns `(message, consumed)`; it raises `Incomplete` when the message
continues beyond `buf` (stream transports) and `Malformed` when it can never be SIP. Hostile input
is bounded: header block size, header count and body size have limits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from collectors.errors import Incomplete, Malformed
from collectors.sip.nameaddr import NameAddr, name_addrs

METHODS = (b"INVITE", b"ACK", b"BYE", b"CANCEL", b"REGISTER", b"OPTIONS", b"PRACK", b"SUBSCRIBE",
           b"NOTIFY", b"PUBLISH", b"INFO", b"REFER", b"MESSAGE", b"UPDATE")
START_PREFIXES = frozenset(m[:3] for m in METHODS) | {b"SIP"}
COMPACT = {"i": "call-id", "f": "from", "t": "to", "m": "contact", "l": "content-length",
           "c": "content-type", "v": "via", "k": "supported", "s": "subject", "e": "content-encoding",
           "o": "event", "r": "refer-to", "b": "referred-by", "u": "allow-events", "x": "session-expires"}
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 200
MAX_BODY = 256 * 1024


@dataclass(frozen=True, slots=True)
class SipMessage:
    """A parsed SIP request or response: first line, headers and body."""
    method: str | None            # request method, None for a response
    status: int | None            # response status code, None for a request
    uri: str | None
    headers: dict = field(repr=False)   # lower-case canonical name -> list of values
    body: bytes = field(repr=False, default=b"")

    @property
    def is_request(self) -> bool:
        return self.method is not None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None

    def addresses(self, name: str) -> list[NameAddr]:
        """The addresses of every `name` header (from, to, contact, p-asserted-identity), in order."""
        return [found for value in self.headers.get(name, ()) for found in name_addrs(value)]

    @property
    def call_id(self) -> str | None:
        return self.header("call-id")

    @property
    def cseq_method(self) -> str | None:
        cseq = self.header("cseq")
        parts = cseq.split() if cseq else []
        return parts[1].upper() if len(parts) == 2 else None


def looks_like_sip(data: bytes, off: int) -> bool:
    """Cheap first check on a payload: does it start like a SIP request or response line?"""
    if data[off:off + 3] not in START_PREFIXES:
        return False
    line_end = data.find(b"\r\n", off, off + 512)
    if line_end < 0:
        line_end = data.find(b"\n", off, off + 512)
    if line_end < 0:
        return False
    line = data[off:line_end]
    if line.startswith(b"SIP/2.0 "):
        return True
    parts = line.split(b" ")
    return len(parts) == 3 and parts[0] in METHODS and parts[2] == b"SIP/2.0"


def parse_message(buf: bytes, start: int = 0, datagram: bool = False) -> tuple[SipMessage, int]:
    head_end, sep = _find_head_end(buf, start)
    if head_end < 0:
        if len(buf) - start > MAX_HEADER_BYTES:
            raise Malformed("SIP header block too large")
        if datagram:
            head_end, sep = len(buf), 0   # a datagram may end without the blank line
        else:
            raise Incomplete("SIP headers incomplete")
    if head_end - start > MAX_HEADER_BYTES:
        raise Malformed("SIP header block too large")
    text = buf[start:head_end].decode("utf-8", "replace")
    lines = _unfold(text.replace("\r\n", "\n").split("\n"))
    method, status, uri = _start_line(lines[0])
    headers = _headers(lines[1:])
    body_start = head_end + sep
    body_len = _content_length(headers, len(buf) - body_start, datagram)
    if body_start + body_len > len(buf):
        raise Incomplete("SIP body incomplete")
    body = buf[body_start:body_start + body_len]
    return SipMessage(method, status, uri, headers, body), body_start + body_len - start


def _find_head_end(buf: bytes, start: int) -> tuple[int, int]:
    crlf = buf.find(b"\r\n\r\n", start)
    lf = buf.find(b"\n\n", start)
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return -1, 0


def _unfold(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1] += " " + line.strip()
        elif line:
            out.append(line)
    if not out:
        raise Malformed("empty SIP message")
    return out


def _start_line(line: str) -> tuple[str | None, int | None, str | None]:
    parts = line.split(" ", 2)
    if line.startswith("SIP/2.0 ") and len(parts) >= 2 and parts[1].isdigit() and len(parts[1]) == 3:
        return None, int(parts[1]), None
    if len(parts) == 3 and parts[2].strip() == "SIP/2.0" and parts[0].encode() in METHODS:
        return parts[0], None, parts[1]
    raise Malformed(f"not a SIP start line: {line[:40]!r}")


def _headers(lines: list[str]) -> dict:
    if len(lines) > MAX_HEADERS:
        raise Malformed("too many SIP headers")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = COMPACT.get(key, key)
        headers.setdefault(key, []).append(value.strip())
    return headers


def _content_length(headers: dict, available: int, datagram: bool) -> int:
    raw = headers.get("content-length")
    if not raw:
        if datagram:
            return available
        return 0
    try:
        length = int(raw[0].split()[0]) if raw[0].strip() else 0
    except (ValueError, IndexError):
        raise Malformed("bad Content-Length") from None
    if length < 0 or length > MAX_BODY:
        raise Malformed("Content-Length out of range")
    if datagram:
        return min(length, available)
    return length
