"""Both media directions of a call: RTP (+DTMF), RTCP, SRTP, impairments, frames."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .codecs import CODECS, CodecInfo, encode_packets
from .frames import Framer, Host, Timed
from .payloads import Payload, dtmf_packets
from .rtcp import rtcp_reports
from .rtp import RtpPacket, RtpStream, impair, packetize_with_ssrc_change
from .srtp import protect_rtcp, protect_rtp

if TYPE_CHECKING:  # pragma: no cover
    from .capture import CallSpec

DTMF_START = 0.8  # seconds into the media
DTMF_SPACING = 0.3  # seconds between digit starts
DTMF_DURATION_MS = 100


@dataclass
class MediaStream:
    """One direction of media, as far as it is present in the capture.

    ``packets`` are the plaintext RTP packets in wire order (after loss and
    reordering); ``rtcp`` the plaintext compound RTCP packets; times are
    seconds after the INVITE. ``srtp_key`` is set when the wire carries SRTP.
    """

    sender: str
    src: Host
    dst: Host
    src_port: int
    dst_port: int
    rtcp_src_port: int
    rtcp_dst_port: int
    payload_type: int
    packets: list[RtpPacket]
    rtcp: list[tuple[float, bytes]]
    srtp_key: bytes | None = None
    frames: list[Timed] = field(default_factory=list, repr=False)

    @property
    def ssrcs(self) -> tuple[int, ...]:
        """SSRCs in order of first appearance."""
        return tuple(dict.fromkeys(p.ssrc for p in self.packets))

    def drop_before(self, t: float) -> None:
        """Forget what was sent before ``t`` (for ``start_mid_call``)."""
        self.packets = [p for p in self.packets if p.time >= t]
        self.rtcp = [r for r in self.rtcp if r[0] >= t]
        self.frames = [f for f in self.frames if f[0] >= t]


def _with_dtmf(payloads: list[Payload], digits: str, info: CodecInfo,
               ptime_ms: int) -> list[Payload]:
    """Replace audio by RFC 4733 events for ``digits`` (one every 0.3 s from 0.8 s)."""
    step, out, blocked = info.samples(ptime_ms), list(payloads), []
    events: list[Payload] = []
    for i, digit in enumerate(digits):
        slot = int(round((DTMF_START + i * DTMF_SPACING) * 1000 / ptime_ms))
        ts = slot * step
        packets = dtmf_packets(digit, ts, ts / info.clock_rate, DTMF_DURATION_MS,
                               pt=CODECS["telephone-event"].payload_type, ptime_ms=ptime_ms,
                               clock_rate=info.clock_rate)
        blocked.append((ts / info.clock_rate, packets[-1].time))
        events += packets
    out = [p for p in out if not any(lo <= p.time <= hi for lo, hi in blocked)]
    return sorted(out + events, key=lambda p: p.time)


def _sent_rtp(spec: "CallSpec", sender: str, index: int, start: float) -> list[RtpPacket]:
    """The RTP packets one side sends, in send order, before any impairment."""
    info = spec.codec_info
    payloads = encode_packets(spec.codec, spec.duration, spec.ptime_ms,
                              seed=spec.seed * 2 + index, vad=spec.vad)
    if sender == "caller" and spec.dtmf:
        payloads = _with_dtmf(payloads, spec.dtmf, info, spec.ptime_ms)
    rng = random.Random(f"media:{spec.seed}:{sender}")
    stream = RtpStream(rng.getrandbits(32), info.payload_type, info.clock_rate,
                       rng.getrandbits(16), rng.getrandbits(32), csrcs=spec.csrcs,
                       audio_level_id=1 if spec.audio_level_ext else None,
                       padding=spec.rtp_padding)
    if spec.ssrc_change_at is None:
        return stream.packetize(payloads, start)
    return packetize_with_ssrc_change(stream, payloads, spec.ssrc_change_at, rng.getrandbits(32),
                                      spec.seed, start)


def build_media(spec: "CallSpec", framer: Framer, caller: Host, callee: Host,
                keys: dict[str, bytes], start: float) -> list[MediaStream]:
    """Caller->callee and callee->caller streams, each with its frames."""
    sent = {side: _sent_rtp(spec, side, i, start) for i, side in enumerate(("caller", "callee"))}
    wire = {side: impair(packets, spec.loss, spec.reorder, f"{spec.seed}:{side}",
                         spec.jitter_ms / 1000) for side, packets in sent.items()}
    layout = {"caller": (caller, callee, spec.caller_rtp_port, spec.callee_rtp_port),
              "callee": (callee, caller, spec.callee_rtp_port, spec.caller_rtp_port)}
    streams = []
    for side, (src, dst, sport, dport) in layout.items():
        peer = "callee" if side == "caller" else "caller"
        offset = 0 if spec.rtcp_mux else 1
        stream = MediaStream(side, src, dst, sport, dport, sport + offset, dport + offset,
                             spec.codec_info.payload_type, wire[side],
                             _rtcp(spec, side, sent[side], wire[peer], start),
                             keys.get(side) if spec.encrypted else None)
        stream.frames = _frames(framer, stream, sent[side], spec)
        streams.append(stream)
    return streams


def _rtcp(spec: "CallSpec", side: str, own: list[RtpPacket], peer: list[RtpPacket],
          start: float) -> list[tuple[float, bytes]]:
    if not spec.rtcp:
        return []
    ssrc = own[0].ssrc if own else random.Random(f"rtcp-ssrc:{spec.seed}:{side}").getrandbits(32)
    return rtcp_reports(own, peer, ssrc=ssrc, clock_rate=spec.codec_info.clock_rate,
                        cname=f"{side}@synth.invalid", start=start, end=start + spec.duration,
                        time_base=spec.start_time, interval=spec.rtcp_interval,
                        seed=spec.seed)


def _frames(framer: Framer, stream: MediaStream, sent: list[RtpPacket],
            spec: "CallSpec") -> list[Timed]:
    """UDP frames for the stream's RTP and RTCP, SRTP-protected when encrypted."""
    rtp = {(p.ssrc, p.seq, p.ts): p.data for p in sent}
    rtcp = [data for _, data in stream.rtcp]
    if stream.srtp_key is not None:
        protected = protect_rtp([p.data for p in sent], spec.srtp_suite, stream.srtp_key, spec.srtp_mki)
        rtp = {(p.ssrc, p.seq, p.ts): data for p, data in zip(sent, protected)}
        rtcp = protect_rtcp(rtcp, spec.srtp_suite, stream.srtp_key, spec.srtp_mki)
    out = [(p.time, framer.udp(stream.src, stream.dst, stream.src_port, stream.dst_port,
                               rtp[(p.ssrc, p.seq, p.ts)])) for p in stream.packets]
    out += [(t, framer.udp(stream.src, stream.dst, stream.rtcp_src_port,
                           stream.rtcp_dst_port, data))
            for (t, _), data in zip(stream.rtcp, rtcp)]
    return out
