"""Short calls coming and going all day, as frames for the pipeline (bench.memory, tests).

Each call is real traffic: SIP over UDP (INVITE with an SDP offer, 200 OK with the answer, ACK), G.711
RTP both ways for `media_seconds` (every other call SRTP, AES_CM_128_HMAC_SHA1_80 through pylibsrtp,
keys announced in a=crypto), an RTCP SR each way after 1 s and every 5 s (SRTCP for SRTP calls), then
BYE and its 200 OK. Calls start in waves; phones and their RTP ports are reused through the day, as on a site.
Frames come out as (ts, linktype, data, wirelen) in time order, a wave at a time, for
`Pipeline.feed_many`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pylibsrtp

from bench.audio import g711_frames
from bench.pcap import LINKTYPE_ETHERNET, UdpTemplate, mac_for
from bench.voip import Party, invite_dialog, rtcp_sr, rtp_header

TICK = 0.02                    # 20 ms packetisation
PHONES = 200                   # local phones 10.3.0.x calling remote phones 10.4.0.x
PORT_BASE = 20000
RTCP_FIRST, RTCP_EVERY = 50, 250   # in ticks: 1 s, 5 s


@dataclass(frozen=True)
class DayPlan:
    calls_per_wave: int = 10
    wave_every: float = 60.0         # seconds between waves (simulated)
    waves: int = 1440                # 1,440 x 60 s = a day
    media_seconds: float = 2.0       # RTP each way (the classifier settles within 1 s)
    start: float = 1_717_200_000.0
    seed: int = 20240601


class CallMaker:
    """Builds the frames of calls; the speech clip and frame templates are made once."""

    def __init__(self, seed: int = 20240601):
        self.rng = random.Random(seed)
        self.speech = {0: g711_frames("ulaw", 2.0), 8: g711_frames("alaw", 2.0)}
        self.serial = 0

    def call(self, start: float, media_seconds: float) -> list[tuple]:
        """One whole call's frames (sorted by time)."""
        self.serial += 1
        n, rng = self.serial, self.rng
        srtp, pt = n % 2 == 0, rng.choice((0, 8))
        phone = n % PHONES
        port = PORT_BASE + 2 * ((n // PHONES) % 50)
        caller = self._party(f"10.3.{phone // 250}.{phone % 250 + 1}", port, srtp, "Yealink SIP-T46S 66.86.0.15")
        callee = self._party(f"10.4.{phone // 250}.{phone % 250 + 1}", port + 10000, srtp, "Cisco-CP8845/14.2.1")
        call_id = f"{rng.getrandbits(48):012x}@bench"
        tags = tuple(f"{rng.getrandbits(32):08x}" for _ in range(4))
        frames = []
        sip = {p.ip: self._sip_template(p, q) for p, q in ((caller, callee), (callee, caller))}
        at = start
        for direction, payload in invite_dialog(caller, callee, pt, call_id, tags):
            sender = caller if direction == "fwd" else callee
            frames.append(self._frame(at, sip[sender.ip], payload))
            at += 0.01
        media_start = at
        for me, peer in ((caller, callee), (callee, caller)):
            frames += self._media(me, peer, pt, media_start, media_seconds)
        end = media_start + media_seconds + 0.05
        for i, (sender, receiver, text) in enumerate(_bye(caller, callee, call_id, tags)):
            frames.append(self._frame(end + 0.01 * i, sip[sender.ip], text))
        frames.sort(key=lambda f: f[0])
        return frames

    def _party(self, ip: str, port: int, srtp: bool, agent: str) -> Party:
        key = bytes(self.rng.getrandbits(8) for _ in range(30)) if srtp else None
        return Party(ip.split(".")[-1], ip, port, agent, key)

    @staticmethod
    def _sip_template(me: Party, peer: Party) -> UdpTemplate:
        return UdpTemplate(me.ip, 5060, peer.ip, 5060, mac_for(me.ip), mac_for(peer.ip))

    @staticmethod
    def _frame(ts: float, template: UdpTemplate, payload: bytes) -> tuple:
        data = template.frame(payload)
        return ts, LINKTYPE_ETHERNET, data, len(data)

    def _media(self, me: Party, peer: Party, pt: int, start: float, seconds: float) -> list[tuple]:
        rtp = UdpTemplate(me.ip, me.rtp_port, peer.ip, peer.rtp_port, mac_for(me.ip), mac_for(peer.ip))
        rtcp = UdpTemplate(me.ip, me.rtp_port + 1, peer.ip, peer.rtp_port + 1, mac_for(me.ip), mac_for(peer.ip))
        session = None
        if me.key_salt is not None:
            session = pylibsrtp.Session(pylibsrtp.Policy(
                key=me.key_salt, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
        ssrc, seq, ts = self.rng.getrandbits(32), self.rng.getrandbits(16), self.rng.getrandbits(32)
        speech = self.speech[pt]
        offset = self.rng.randrange(len(speech))
        frames = []
        count = int(seconds / TICK)
        for i in range(count):
            payload = speech[(offset + i) % len(speech)]
            packet = rtp_header(pt, seq + i, ts + 160 * i, ssrc, marker=i == 0) + payload
            if session is not None:
                packet = session.protect(packet)
            frames.append(self._frame(start + i * TICK + 0.0003, rtp, packet))
        for at in range(RTCP_FIRST, count, RTCP_EVERY):     # one SR after 1 s, then every 5 s
            report = rtcp_sr(ssrc, int((start + at * TICK) * 1e6), ts + 160 * at, at, 160 * at, f"{me.user}@bench")
            if session is not None:
                report = session.protect_rtcp(report)
            frames.append(self._frame(start + at * TICK + 0.001, rtcp, report))
        return frames


def _bye(caller: Party, callee: Party, call_id: str, tags: tuple) -> list[tuple[Party, Party, bytes]]:
    from_tag, to_tag, branch, _ack = tags
    from_h, to_uri = f"<sip:{caller.user}@{caller.ip}>;tag={from_tag}", f"sip:{callee.user}@{callee.ip}"
    via = f"SIP/2.0/UDP {caller.ip}:5060;branch={branch}bye;rport"
    common = [("From", from_h), ("To", f"<{to_uri}>;tag={to_tag}"), ("Call-ID", call_id), ("CSeq", "2 BYE")]
    bye = _text(f"BYE {to_uri} SIP/2.0", [("Via", via), ("Max-Forwards", "70")] + common)
    ok = _text("SIP/2.0 200 OK", [("Via", via)] + common)
    return [(caller, callee, bye), (callee, caller, ok)]


def _text(start: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start] + [f"{name}: {value}" for name, value in headers] + ["Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def waves(plan: DayPlan, maker: CallMaker | None = None):
    """(wave start time, that wave's frames in time order), wave after wave through the day."""
    maker = maker or CallMaker(plan.seed)
    for w in range(plan.waves):
        at = plan.start + w * plan.wave_every
        frames = []
        for c in range(plan.calls_per_wave):
            frames += maker.call(at + 0.05 * c, plan.media_seconds)
        frames.sort(key=lambda f: f[0])
        yield at, frames
