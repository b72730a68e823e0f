"""RTCP packets (RFC 3550 section 6) and a periodic report schedule.

Builders return the bytes of one RTCP packet; :func:`compound` concatenates
them (a compound packet must start with SR or RR and carry an SDES CNAME).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from typing import Sequence

from .rtp import RtpPacket

SR, RR, SDES, BYE, APP = 200, 201, 202, 203, 204
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
SDES_ITEMS = {"cname": 1, "name": 2, "email": 3, "phone": 4, "loc": 5, "tool": 6, "note": 7}


@dataclass(frozen=True)
class ReportBlock:
    """One reception report block (RFC 3550 section 6.4.1)."""

    ssrc: int
    fraction_lost: int = 0
    cumulative_lost: int = 0
    highest_seq: int = 0  # extended: cycles << 16 | seq
    jitter: int = 0
    lsr: int = 0
    dlsr: int = 0

    def pack(self) -> bytes:
        lost = (self.fraction_lost & 0xFF) << 24 | (self.cumulative_lost & 0xFFFFFF)
        return struct.pack("!IIIIII", self.ssrc, lost, self.highest_seq & 0xFFFFFFFF,
                           self.jitter, self.lsr, self.dlsr)


def ntp_timestamp(unix_time: float) -> int:
    """64-bit NTP timestamp for a Unix time."""
    return int(round((unix_time + NTP_UNIX_OFFSET) * (1 << 32)))


def _header(count: int, pt: int, body: bytes) -> bytes:
    """Common header; ``body`` must already be a multiple of 4 bytes."""
    return struct.pack("!BBH", 0x80 | (count & 0x1F), pt, len(body) // 4) + body


def sender_report(ssrc: int, unix_time: float, rtp_ts: int, packet_count: int,
                  octet_count: int, blocks: Sequence[ReportBlock] = ()) -> bytes:
    """SR: sender info (NTP/RTP timestamps, counts) + report blocks."""
    ntp = ntp_timestamp(unix_time)
    body = struct.pack("!IIIIII", ssrc, ntp >> 32, ntp & 0xFFFFFFFF, rtp_ts & 0xFFFFFFFF,
                       packet_count & 0xFFFFFFFF, octet_count & 0xFFFFFFFF)
    return _header(len(blocks), SR, body + b"".join(b.pack() for b in blocks))


def receiver_report(ssrc: int, blocks: Sequence[ReportBlock] = ()) -> bytes:
    """RR: reporter SSRC + report blocks."""
    return _header(len(blocks), RR, struct.pack("!I", ssrc) + b"".join(b.pack() for b in blocks))


def sdes(ssrc: int, cname: str, **items: str) -> bytes:
    """SDES with one chunk: CNAME plus optional items (name=, tool=, ...)."""
    chunk = struct.pack("!I", ssrc)
    for key, value in [("cname", cname), *items.items()]:
        text = value.encode()[:255]
        chunk += bytes([SDES_ITEMS[key], len(text)]) + text
    chunk += b"\0" * (4 - len(chunk) % 4)  # END item + pad to 32 bits
    return _header(1, SDES, chunk)


def bye(ssrcs: Sequence[int], reason: str | None = None) -> bytes:
    """BYE for ``ssrcs`` with an optional reason string."""
    body = b"".join(struct.pack("!I", s) for s in ssrcs)
    if reason:
        text = reason.encode()[:255]
        body += bytes([len(text)]) + text
        body += b"\0" * ((-len(body)) % 4)
    return _header(len(ssrcs), BYE, body)


def app(ssrc: int, name: str, data: bytes = b"", subtype: int = 0) -> bytes:
    """APP packet; ``name`` is 4 ASCII characters, ``data`` padded to 32 bits."""
    if len(name) != 4:
        raise ValueError("APP name must be 4 characters")
    body = struct.pack("!I", ssrc) + name.encode("ascii") + data + b"\0" * ((-len(data)) % 4)
    return _header(subtype, APP, body)


def compound(*packets: bytes) -> bytes:
    """Concatenate RTCP packets into one compound packet."""
    return b"".join(packets)


def report_block(peer: Sequence[RtpPacket], until: float, clock_rate: int) -> ReportBlock | None:
    """Reception statistics about ``peer`` packets received before ``until``."""
    got = [p for p in peer if p.time < until]
    if not got:
        return None
    got = [p for p in got if p.ssrc == got[-1].ssrc]  # the current source only
    seqs = _extended_seqs([p.seq for p in got])
    expected = max(seqs) - min(seqs) + 1
    lost = max(0, expected - len(got))
    fraction = min(255, lost * 256 // expected)
    return ReportBlock(got[-1].ssrc, fraction, lost, max(seqs),
                       _jitter(got, clock_rate))


def _extended_seqs(seqs: Sequence[int]) -> list[int]:
    """Unwrap 16-bit sequence numbers (in arrival order) to a monotonic scale."""
    out, cycles, last = [], 0, None
    for seq in seqs:
        if last is not None and seq < last and last - seq > 0x8000:
            cycles += 1 << 16
        out.append(cycles + seq)
        last = seq
    return out


def _jitter(packets: Sequence[RtpPacket], clock_rate: int) -> int:
    """RFC 3550 A.8 interarrival jitter, in timestamp units."""
    jitter, previous = 0.0, None
    for p in packets:
        transit = p.time * clock_rate - p.ts
        if previous is not None:
            jitter += (abs(transit - previous) - jitter) / 16
        previous = transit
    return int(jitter)


def rtcp_reports(
    own: Sequence[RtpPacket], peer: Sequence[RtpPacket], *, ssrc: int, clock_rate: int,
    cname: str, start: float, end: float, time_base: float = 0.0, interval: float = 5.0,
    seed: int = 0, app_data: bytes | None = None,
) -> list[tuple[float, bytes]]:
    """Compound reports an endpoint sends between ``start`` and ``end``.

    ``own``: packets it sent; ``peer``: packets it received (both with times
    relative to ``time_base``, a Unix time used for the NTP field). Reports
    go out at randomised intervals (0.5-1.5 x ``interval``, the first after
    half of that) and a final SR/RR + SDES + BYE at ``end``.
    """
    rng = random.Random(f"rtcp:{seed}:{ssrc}")
    out, t = [], start + rng.uniform(0.5, 1.5) * interval / 2
    while t < end:
        out.append((t, _report(own, peer, t, ssrc, clock_rate, cname, time_base, app_data)))
        t += rng.uniform(0.5, 1.5) * interval
    final = _report(own, peer, end, ssrc, clock_rate, cname, time_base, None)
    out.append((end, final + bye([_current_ssrc(own, end, ssrc)])))
    return out


def _current_ssrc(own: Sequence[RtpPacket], t: float, default: int) -> int:
    sent = [p for p in own if p.time < t]
    return sent[-1].ssrc if sent else default


def _report(own, peer, t, ssrc, clock_rate, cname, time_base, app_data) -> bytes:
    """SR (if we sent media) or RR, then SDES CNAME, then optional APP."""
    me = _current_ssrc(own, t, ssrc)
    block = report_block(peer, t, clock_rate)
    blocks = [block] if block else []
    sent = [p for p in own if p.time < t and p.ssrc == me]
    if sent:
        rtp_ts = sent[-1].ts + int((t - sent[-1].time) * clock_rate)
        first = sender_report(me, time_base + t, rtp_ts, len(sent),
                              sum(p.payload_len for p in sent), blocks)
    else:
        first = receiver_report(me, blocks)
    parts = [first, sdes(me, cname, tool="synth")]
    if app_data is not None:
        parts.append(app(me, "SYNT", app_data))
    return compound(*parts)
