"""RTP packet construction (RFC 3550) and simple network impairments.

Headers are packed by hand with :mod:`struct` so every bit is explicit; the
tests parse the result with independent tools (tshark, libsrtp).
"""

from __future__ import annotations

import dataclasses
import random
import struct
from dataclasses import dataclass
from typing import Iterable, Sequence, TypeVar

from .payloads import Payload

#: RFC 8285 one-byte header extension "defined by profile" value.
ONE_BYTE_PROFILE = 0xBEDE
#: RFC 8285 two-byte header extension profile (low 4 bits: appbits).
TWO_BYTE_PROFILE = 0x1000


@dataclass(frozen=True)
class RtpPacket:
    """A built RTP packet plus the header facts tests want to compare."""

    time: float  # send time, seconds from the stream's time origin
    data: bytes
    ssrc: int
    seq: int
    ts: int
    pt: int
    marker: bool
    payload_len: int
    kind: str = "speech"


def rtp_header(
    pt: int, seq: int, ts: int, ssrc: int, *, marker: bool = False,
    csrcs: Sequence[int] = (), extension: bytes = b"", padding: bool = False,
) -> bytes:
    """Fixed header + CSRC list + (already encoded) header extension block."""
    first = 0x80 | (0x20 if padding else 0) | (0x10 if extension else 0) | len(csrcs)
    second = (0x80 if marker else 0) | (pt & 0x7F)
    header = struct.pack("!BBHII", first, second, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    return header + b"".join(struct.pack("!I", c) for c in csrcs) + extension


def one_byte_extension(elements: Sequence[tuple[int, bytes]]) -> bytes:
    """RFC 8285 one-byte-header extension block (ids 1-14, 1-16 data bytes)."""
    body = b""
    for ext_id, data in elements:
        if not (1 <= ext_id <= 14 and 1 <= len(data) <= 16):
            raise ValueError("one-byte extension needs id 1-14 and 1-16 bytes")
        body += bytes([(ext_id << 4) | (len(data) - 1)]) + data
    return _extension_block(ONE_BYTE_PROFILE, body)


def two_byte_extension(elements: Sequence[tuple[int, bytes]], appbits: int = 0) -> bytes:
    """RFC 8285 two-byte-header extension block (ids 1-255, 0-255 bytes)."""
    body = b"".join(bytes([ext_id, len(data)]) + data for ext_id, data in elements)
    return _extension_block(TWO_BYTE_PROFILE | (appbits & 0x0F), body)


def _extension_block(profile: int, body: bytes) -> bytes:
    body += b"\0" * ((-len(body)) % 4)
    return struct.pack("!HH", profile, len(body) // 4) + body


def audio_level_element(level: int, voice: bool, ext_id: int = 1) -> tuple[int, bytes]:
    """RFC 6464 client-to-mixer audio level element (V bit + level in -dBov)."""
    return ext_id, bytes([(0x80 if voice else 0) | (level & 0x7F)])


class RtpStream:
    """Builds the packets of one RTP source.

    ``seq0``/``ts0`` are the initial sequence number and timestamp; payload
    timestamps (:attr:`Payload.ts`) are offsets from ``ts0``. Options:
    ``csrcs`` (contributing sources), ``audio_level_id`` (add an RFC 6464
    one-byte extension with this id), ``padding`` (bytes of RTP padding per
    packet, 0 = none).
    """

    def __init__(self, ssrc: int, pt: int, clock_rate: int, seq0: int = 0, ts0: int = 0, *,
                 csrcs: Sequence[int] = (), audio_level_id: int | None = None, padding: int = 0):
        if not 0 <= padding <= 255:
            raise ValueError("padding must be 0-255 bytes")
        self.ssrc, self.pt, self.clock_rate = ssrc, pt, clock_rate
        self.seq, self.ts0 = seq0 & 0xFFFF, ts0
        self.csrcs, self.audio_level_id, self.padding = tuple(csrcs), audio_level_id, padding

    def packet(self, payload: Payload, time_origin: float = 0.0) -> RtpPacket:
        """Build the next packet (consumes one sequence number)."""
        pt = self.pt if payload.pt is None else payload.pt
        ts = (self.ts0 + payload.ts) & 0xFFFFFFFF
        extension = b""
        if self.audio_level_id is not None:
            voice = payload.kind in ("speech", "event")
            extension = one_byte_extension([audio_level_element(payload.level, voice,
                                                                 self.audio_level_id)])
        header = rtp_header(pt, self.seq, ts, self.ssrc, marker=payload.marker,
                            csrcs=self.csrcs, extension=extension, padding=self.padding > 0)
        tail = b"\0" * (self.padding - 1) + bytes([self.padding]) if self.padding else b""
        packet = RtpPacket(time_origin + payload.time, header + payload.data + tail, self.ssrc,
                           self.seq, ts, pt, payload.marker, len(payload.data), payload.kind)
        self.seq = (self.seq + 1) & 0xFFFF
        return packet

    def packetize(self, payloads: Iterable[Payload], time_origin: float = 0.0) -> list[RtpPacket]:
        """Build one packet per payload, in order."""
        return [self.packet(p, time_origin) for p in payloads]

    def change_ssrc(self, ssrc: int, seq0: int, ts0: int) -> None:
        """Continue as a new source (e.g. after a re-INVITE or device switch)."""
        self.ssrc, self.seq, self.ts0 = ssrc, seq0 & 0xFFFF, ts0


def packetize_with_ssrc_change(stream: RtpStream, payloads: Sequence[Payload], at: float,
                               new_ssrc: int, seed: int = 0, time_origin: float = 0.0
                               ) -> list[RtpPacket]:
    """Packetize ``payloads``; from send time ``at`` on, use ``new_ssrc``.

    The new source gets a fresh random sequence number and timestamp base,
    and its first packet carries the marker bit.
    """
    rng = random.Random(f"ssrc-change:{seed}:{new_ssrc}")
    before = [p for p in payloads if p.time < at]
    after = [p for p in payloads if p.time >= at]
    packets = stream.packetize(before, time_origin)
    stream.change_ssrc(new_ssrc, rng.getrandbits(16), rng.getrandbits(32))
    if after:
        after[0] = dataclasses.replace(after[0], marker=True)
    return packets + stream.packetize(after, time_origin)


T = TypeVar("T")


def impair(packets: Sequence[T], loss: float = 0.0, reorder: float = 0.0, seed: int | str = 0,
           jitter: float = 0.0) -> list[T]:
    """Seeded network impairment of timed packets (objects with ``.time``).

    Each packet is dropped with probability ``loss``; with probability
    ``reorder`` a packet is delayed until just after the next one; each send
    time gets a uniform ``+-jitter`` seconds (keep it under half the packet
    interval so jitter alone does not reorder).
    The result is sorted by time.
    """
    rng = random.Random(f"impair:{seed}")
    kept = [p for p in packets if rng.random() >= loss]
    times = [p.time for p in kept]
    for i in range(len(times)):
        times[i] += rng.uniform(-jitter, jitter) if jitter else 0.0
    for i in range(len(times) - 1):
        if rng.random() < reorder:
            times[i] = max(times[i], times[i + 1]) + 1e-4  # arrives after the next one
    out = [dataclasses.replace(p, time=t) for p, t in zip(kept, times)]
    return sorted(out, key=lambda p: p.time)
