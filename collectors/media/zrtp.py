"""ZRTP (RFC 6189) on the media 5-tuple: message types, and what they say about the media."""
from __future__ import annotations

from collectors.classify.verdict import Verdict

PREAMBLE = b"\x50\x5a"
TYPES = {b"Hello   ": "Hello", b"HelloACK": "HelloACK", b"Commit  ": "Commit", b"DHPart1 ": "DHPart1",
         b"DHPart2 ": "DHPart2", b"Confirm1": "Confirm1", b"Confirm2": "Confirm2", b"Conf2ACK": "Conf2ACK",
         b"Error   ": "Error", b"ErrorACK": "ErrorACK", b"GoClear ": "GoClear", b"ClearACK": "ClearACK",
         b"SASrelay": "SASrelay", b"RelayACK": "RelayACK", b"Ping    ": "Ping", b"PingACK ": "PingACK"}
AGREED = ("Confirm1", "Confirm2", "Conf2ACK")


def zrtp_message_type(data: bytes, off: int, end: int) -> str | None:
    """The message type of a ZRTP packet (12-byte header, then preamble, length, 8-char type)."""
    if end - off < 24 or data[off + 12:off + 14] != PREAMBLE:
        return None
    return TYPES.get(bytes(data[off + 16:off + 24]))


def zrtp_verdict(messages: tuple[str, ...]) -> Verdict:
    """Confirm messages mean keys were agreed and SRTP follows; GoClear means media went clear."""
    seen = ", ".join(dict.fromkeys(messages)) or "packets"
    if "GoClear" in messages or "ClearACK" in messages:
        return Verdict(None, "zrtp", 0.5, (f"zrtp: {seen}: the endpoints agreed to go clear",), "zrtp")
    if any(m in messages for m in AGREED):
        return Verdict(True, "zrtp", 0.95, (f"zrtp: {seen} on the media 5-tuple: keys agreed (RFC 6189)",), "zrtp")
    return Verdict(True, "zrtp", 0.8, (f"zrtp: {seen} on the media 5-tuple (RFC 6189)",), "zrtp")
