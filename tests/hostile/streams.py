"""Hostile traffic for the collector, as real Ethernet frames: each flood is a generator of
`(unix_time, frame)` in time order, `units` times one hostile unit (a message, a connection, a flow).

Frames are Ethernet/IPv4 with correct IP, UDP and TCP checksums, built with `struct` rather than scapy
because a flood is hundreds of thousands of frames; the legitimate call beside them comes from
`tests.synth` (scapy). Generators are lazy so a flood's own bytes are not held while it is measured.
"""
from __future__ import annotations

import heapq
import struct
from array import array
from dataclasses import dataclass
from typing import Callable, Iterator

from tests.synth import CallSpec, build_call

Timed = tuple[float, bytes]

ATTACKER = bytes([198, 51, 100, 66])
ATTACKER_MAC = bytes.fromhex("02000000066a")
TARGET = bytes([10, 2, 0, 20])            # the legitimate call's callee (tests.synth default)
TARGET_MAC = bytes.fromhex("020000000214")
SIP_PORT, SIP_TLS_PORT = 5060, 5061
MSS = 1460
START = 1_700_000_000.0                   # tests.synth's default start_time
SPREAD = 2.5                              # seconds over which a flood is spread: inside the call


# -- framing ---------------------------------------------------------------------------------------
def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(array("H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(payload: bytes, proto: int, src: bytes, dst: bytes, ident: int = 0) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto, 0,
                         src, dst)
    return header[:10] + struct.pack("=H", _checksum(header)) + header[12:] + payload


def _transport_checksum(segment: bytes, proto: int, src: bytes, dst: bytes) -> bytes:
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(segment))
    at = 6 if proto == 17 else 16
    return segment[:at] + struct.pack("=H", _checksum(pseudo + segment) or 0xFFFF) + segment[at + 2:]


def udp_frame(payload: bytes, sport: int, dport: int, src: bytes = ATTACKER, dst: bytes = TARGET) -> bytes:
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = _ipv4(_transport_checksum(segment, 17, src, dst), 17, src, dst)
    return TARGET_MAC + ATTACKER_MAC + b"\x08\x00" + ip


def tcp_frame(payload: bytes, sport: int, dport: int, seq: int, flags: int = 0x18, src: bytes = ATTACKER,
              dst: bytes = TARGET) -> bytes:
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 1, 5 << 4, flags, 65535, 0, 0) + payload
    ip = _ipv4(_transport_checksum(segment, 6, src, dst), 6, src, dst)
    return TARGET_MAC + ATTACKER_MAC + b"\x08\x00" + ip


def ip_fragments(payload: bytes, proto: int, ident: int, src: bytes = ATTACKER, dst: bytes = TARGET,
                 size: int = 1480) -> list[bytes]:
    """An IP datagram larger than the MTU, as the wire carries it: fragments of `size` bytes."""
    out = []
    for off in range(0, len(payload), size):
        piece, more = payload[off:off + size], off + size < len(payload)
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(piece), ident, (more << 13) | (off // 8), 64,
                             proto, 0, src, dst)
        header = header[:10] + struct.pack("=H", _checksum(header)) + header[12:]
        out.append(TARGET_MAC + ATTACKER_MAC + b"\x08\x00" + header + piece)
    return out


def big_udp_frames(payload: bytes, sport: int, dport: int, ident: int) -> list[bytes]:
    """A UDP datagram of up to 64 KiB, fragmented."""
    segment = _transport_checksum(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload, 17,
                                  ATTACKER, TARGET)
    return ip_fragments(segment, 17, ident)


class TcpConnection:
    """One direction of a TCP connection from the attacker: SYN, then segments of at most MSS."""

    def __init__(self, sport: int, dport: int, isn: int = 0x10000000):
        self.sport, self.dport, self.seq = sport, dport, isn

    def syn(self) -> bytes:
        frame = tcp_frame(b"", self.sport, self.dport, self.seq, flags=0x02)
        self.seq += 1
        return frame

    def send(self, data: bytes) -> Iterator[bytes]:
        for off in range(0, len(data), MSS):
            chunk = data[off:off + MSS]
            yield tcp_frame(chunk, self.sport, self.dport, self.seq)
            self.seq += len(chunk)

    def segment_at(self, seq: int, data: bytes) -> bytes:
        return tcp_frame(data, self.sport, self.dport, seq)


def _timed(frames: Iterator[bytes], count: int) -> Iterator[Timed]:
    """Spread `count` frames evenly over SPREAD seconds from START."""
    step = SPREAD / max(count, 1)
    for i, frame in enumerate(frames):
        yield START + 0.001 + i * step, frame


# -- SIP -------------------------------------------------------------------------------------------
def sip_head(method: str = "INVITE", call_id: str = "hostile") -> bytes:
    return (f"{method} sip:bob@10.2.0.20 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.66:5070;branch=z9hG4bK-h\r\n"
            f"From: <sip:mallory@198.51.100.66>;tag=1\r\nTo: <sip:bob@10.2.0.20>\r\nCall-ID: {call_id}\r\n"
            f"CSeq: 1 {method}\r\n").encode()


def huge_header_message(size: int) -> bytes:
    """One SIP request whose single header line is `size` bytes long."""
    return sip_head() + b"X-Huge: " + b"A" * size + b"\r\nContent-Length: 0\r\n\r\n"


def endless_headers(size: int, start: int = 0) -> bytes:
    """`size` bytes of header lines with no blank line anywhere."""
    out, i = bytearray(), start
    while len(out) < size:
        out += b"X-Endless-%d: more\r\n" % i
        i += 1
    return bytes(out)


def many_vias_message(count: int) -> bytes:
    vias = b"".join(b"v: SIP/2.0/UDP h%d\r\n" % i for i in range(count))     # compact form (RFC 3261 7.3.3)
    return sip_head() + vias + b"Content-Length: 0\r\n\r\n"


def with_body(head: bytes, content_type: str, body: bytes) -> bytes:
    return head + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def sdp_many_mlines(count: int) -> bytes:
    lines = [b"v=0", b"o=- 1 1 IN IP4 198.51.100.66", b"s=-", b"c=IN IP4 198.51.100.66", b"t=0 0"]
    lines += [b"m=audio %d RTP/AVP 0" % (10000 + 2 * (i % 20000)) for i in range(count)]
    return b"\r\n".join(lines) + b"\r\n"


SMALL_SDP = b"v=0\r\no=- 1 1 IN IP4 198.51.100.66\r\ns=-\r\nc=IN IP4 198.51.100.66\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"


def nested_multipart(depth: int) -> tuple[str, bytes]:
    """(Content-Type, body): `depth` levels of multipart/mixed, each holding the next, SDP innermost."""
    content_type, body = "application/sdp", SMALL_SDP
    for level in range(depth, 0, -1):
        boundary = f"n{level}"
        body = (f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
                + f"\r\n--{boundary}--\r\n".encode())
        content_type = f"multipart/mixed;boundary={boundary}"
    return content_type, body


def wide_multipart(parts: int) -> tuple[str, bytes]:
    """(Content-Type, body): `parts` text parts, the SDP last."""
    body = b"".join(b"--w\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(parts))
    body += b"--w\r\nContent-Type: application/sdp\r\n\r\n" + SMALL_SDP + b"\r\n--w--\r\n"
    return "multipart/mixed;boundary=w", body


# -- floods ----------------------------------------------------------------------------------------
def sip_tcp_flood(messages: Callable[[int], bytes], units: int, sport: int = 40001) -> Iterator[Timed]:
    """`units` messages from `messages(i)`, one after the other on one TCP connection to 5060."""
    conn = TcpConnection(sport, SIP_PORT)

    def frames():
        yield conn.syn()
        for i in range(units):
            yield from conn.send(messages(i))
    count = 1 + sum((len(messages(i)) + MSS - 1) // MSS for i in range(min(units, 1))) * units
    return _timed(frames(), count)


def sip_udp_flood(messages: Callable[[int], bytes], units: int, sport: int) -> Iterator[Timed]:
    """`units` datagrams (fragmented when over the MTU) from one port to 5060."""
    def frames():
        for i in range(units):
            data = messages(i)
            if len(data) + 28 <= 1500:
                yield udp_frame(data, sport, SIP_PORT)
            else:
                yield from big_udp_frames(data, sport, SIP_PORT, ident=(sport << 8) + i & 0xFFFF)
    per_unit = max(1, (len(messages(0)) + 8 + 1479) // 1480)
    return _timed(frames(), units * per_unit)


def huge_header_tcp(units: int) -> Iterator[Timed]:
    """`units` INVITEs, each with one 1 MiB header line, on one growing TCP stream."""
    message = huge_header_message(1 << 20)
    return sip_tcp_flood(lambda i: message, units, sport=40011)


def huge_header_udp(units: int) -> Iterator[Timed]:
    """`units` INVITEs, each with one header line as long as a UDP datagram allows (64 KiB, fragmented)."""
    message = huge_header_message(65507 - len(huge_header_message(0)))
    return sip_udp_flood(lambda i: message, units, sport=5071)


def endless_headers_udp(units: int) -> Iterator[Timed]:
    """`units` datagrams of 64 KiB: a start line, then header lines and never the blank line."""
    head = sip_head()
    return sip_udp_flood(lambda i: head + endless_headers(65000 - len(head), i * 4000), units, sport=5072)


def endless_headers_tcp(units: int) -> Iterator[Timed]:
    """One INVITE whose headers never end: `units` x 64 KiB of header lines on one TCP stream."""
    chunk = 64 * 1024
    return sip_tcp_flood(lambda i: (sip_head() if i == 0 else b"") + endless_headers(chunk, i * 4000), units,
                         sport=40012)


def many_vias_tcp(units: int) -> Iterator[Timed]:
    """`units` SIP requests with 100,000 Via headers each, on one TCP stream."""
    message = many_vias_message(100_000)
    return sip_tcp_flood(lambda i: message, units, sport=40013)


def deep_multipart_tcp(units: int, depth: int = 1000) -> Iterator[Timed]:
    """`units` INVITEs whose body is multipart nested `depth` levels deep (over TCP: ~50 KiB each)."""
    content_type, body = nested_multipart(depth)
    return sip_tcp_flood(lambda i: with_body(sip_head(call_id=f"deep-{i}"), content_type, body), units, sport=40014)


def wide_multipart_tcp(units: int, parts: int = 5000) -> Iterator[Timed]:
    content_type, body = wide_multipart(parts)
    return sip_tcp_flood(lambda i: with_body(sip_head(call_id=f"wide-{i}"), content_type, body), units, sport=40015)


def many_mlines_tcp(units: int, mlines: int = 10_000) -> Iterator[Timed]:
    """`units` INVITEs whose SDP has `mlines` m-lines (~250 KiB, under the SIP body limit)."""
    body = sdp_many_mlines(mlines)
    return sip_tcp_flood(lambda i: with_body(sip_head(call_id=f"mlines-{i}"), "application/sdp", body), units,
                         sport=40016)


def tcp_holes(units: int) -> Iterator[Timed]:
    """One SIP TCP connection, then per unit: 8 segments far beyond the window, a segment that leaves a
    hole never filled, and 4 overlapping retransmissions of what came before."""
    conn = TcpConnection(40002, SIP_PORT)
    options = sip_head("OPTIONS") + b"Content-Length: 0\r\n\r\n"

    def frames():
        yield conn.syn()
        yield from conn.send(options)
        for i in range(units):
            base = conn.seq
            for k in range(8):
                yield conn.segment_at(base + 0x10000000 + (i * 8 + k) * MSS, b"F" * MSS)
            yield conn.segment_at(base + 100, b"G" * MSS)         # 100 bytes missing before it: forever
            for k in range(4):
                yield conn.segment_at(base - 700 + 200 * k, b"R" * MSS)   # overlaps the bytes already seen
    return _timed(frames(), 2 + units * 13)


def udp_flow_flood(units: int) -> Iterator[Timed]:
    """`units` one-packet UDP flows on distinct 5-tuples, each an RTP-looking packet (PCMU, 160 bytes)."""
    def frames():
        for i in range(units):
            src = bytes([172, 16 + (i >> 24 & 15), i >> 16 & 255, i >> 8 & 255])
            rtp = struct.pack("!BBHII", 0x80, 0, i & 0xFFFF, i * 160 & 0xFFFFFFFF, 0x5EED0000 + i) + bytes(160)
            yield udp_frame(rtp, 1024 + i % 60000, 30000 + (i & 0x3FFF) * 2, src=src)
    return _timed(frames(), units)


def rtcp_flow_flood(units: int) -> Iterator[Timed]:
    """`units` one-packet UDP flows, each an RTCP sender report: every one is decided as media at once."""
    def frames():
        for i in range(units):
            src = bytes([172, 32 + (i >> 24 & 15), i >> 16 & 255, i >> 8 & 255])
            report = struct.pack("!BBHI", 0x80, 200, 6, 0x5EED0000 + i) + bytes(20)
            yield udp_frame(report, 1025 + i % 60000, 30001, src=src)
    return _timed(frames(), units)


RTP_ALL_BITS = 0x80 | 0x20 | 0x10 | 0x0F          # V=2, P, X, CC=15


def rtp_every_bit(seq: int, ext_words: int, payload: bytes = b"\x55" * 160) -> bytes:
    """V=2, P, X, CC=15, M, PT=127; 15 CSRCs, an extension header claiming `ext_words` 32-bit words."""
    header = struct.pack("!BBHII", RTP_ALL_BITS, 0x80 | 127, seq & 0xFFFF, seq * 160 & 0xFFFFFFFF, 0xB17B17)
    return header + bytes(range(60)) + struct.pack("!HH", 0xBEDE, ext_words) + payload + b"\x04"


def rtp_every_bit_flood(units: int, legit_flow: tuple[bytes, int, bytes, int] | None = None) -> Iterator[Timed]:
    """Per unit, on a new 5-tuple: 30 RTP packets with every header bit set whose extension claims 0xFFFF
    words (256 KiB, beyond the packet), then the same packet truncated at every length from 1 to 76 bytes.
    With `legit_flow` (src, sport, dst, dport), the truncated ones are also spoofed onto that stream."""
    def frames():
        for i in range(units):
            sport, dport = 2000 + i % 30000, 40000 + (i & 0xFFF) * 2
            for k in range(30):
                yield udp_frame(rtp_every_bit(k, 0xFFFF), sport, dport)
            full = rtp_every_bit(i, 0xFFFF)
            for cut in range(1, 77):
                yield udp_frame(full[:cut], sport, dport)
                if legit_flow is not None and cut % 4 == 0:
                    src, lsport, dst, ldport = legit_flow
                    yield udp_frame(full[:cut], lsport, ldport, src=src, dst=dst)
    per_unit = 30 + 76 + (19 if legit_flow is not None else 0)
    return _timed(frames(), units * per_unit)


def tls_claims(units: int) -> Iterator[Timed]:
    """Per unit, two new TLS connections to 5061: one whose ClientHello handshake header claims 0xFFFFFF
    bytes (16 MiB) inside a full 2^14-byte record; one whose second record's length field claims 0xFFFF
    bytes, behind a first record that leaves a ClientHello incomplete (so the reader is still framing)."""
    def frames():
        for i in range(units):
            conn = TcpConnection(41000 + i % 20000, SIP_TLS_PORT, isn=0x20000000 + i)
            yield conn.syn()
            yield from conn.send(b"\x16\x03\x01\x40\x00" + b"\x01\xff\xff\xff" + b"\x03\x03" + bytes(16384 - 6))
            conn = TcpConnection(21000 + i % 20000, SIP_TLS_PORT, isn=0x30000000 + i)
            yield conn.syn()
            yield from conn.send(b"\x16\x03\x01\x40\x00" + b"\x01\x00\x4e\x20" + b"\x03\x03" + bytes(16384 - 6)
                                 + b"\x16\x03\x03\xff\xff" + bytes(MSS))
    per_unit = 2 * (1 + 12)
    return _timed(frames(), units * per_unit)


# -- the legitimate call ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LegitCall:
    frames: tuple[Timed, ...]
    caller_rtp: tuple[bytes, int, bytes, int]     # (src, sport, dst, dport) of the caller's RTP


def legit_call() -> LegitCall:
    """A cleartext SIP/UDP call with PCMU RTP (tests.synth), over the same seconds as the floods."""
    spec = CallSpec(codec="PCMU", sip_transport="udp", duration=2.5, seed=9, start_time=START)
    call = build_call(spec)
    caller = (bytes([10, 1, 0, 10]), spec.caller_rtp_port, bytes([10, 2, 0, 20]), spec.callee_rtp_port)
    return LegitCall(tuple(call.frames), caller)


def interleave(legit: LegitCall, flood: Iterator[Timed]) -> Iterator[Timed]:
    """The call's frames and the flood's, in time order."""
    return heapq.merge(legit.frames, flood, key=lambda item: item[0])


FLOODS: dict[str, Callable[..., Iterator[Timed]]] = {
    "huge_header_udp": huge_header_udp,
    "huge_header_tcp": huge_header_tcp,
    "endless_headers_udp": endless_headers_udp,
    "endless_headers_tcp": endless_headers_tcp,
    "many_vias_tcp": many_vias_tcp,
    "deep_multipart_tcp": deep_multipart_tcp,
    "wide_multipart_tcp": wide_multipart_tcp,
    "many_mlines_tcp": many_mlines_tcp,
    "tcp_holes": tcp_holes,
    "udp_flow_flood": udp_flow_flood,
    "rtcp_flow_flood": rtcp_flow_flood,
    "rtp_every_bit": rtp_every_bit_flood,
    "tls_claims": tls_claims,
}
