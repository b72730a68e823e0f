"""The site's mirror-port traffic, in order, in 20 ms slots of site time, and the truth it implies.

Phones boot (DHCP, LLDP-MED), register (SIP over UDP, or a real TLS handshake to the PBX for SIP-TLS
phones), then make calls to phones of their own posture through the PBX (a proxy: one Call-ID, two
hops): INVITE/100/180/200/ACK with the posture's SDP, media straight between the phones (RTP or SRTP,
RTCP/SRTCP every 5 s, ZRTP before the media of ZRTP phones), hold and resume by re-INVITE for some
calls, BYE. Arrivals are Poisson at the busy-hour rate, durations exponential.

Frames go into one bytearray with an offset table, so a sender can replay millions of frames without a
Python object per frame. `Truth` records, per (phone, alert type), the frame index at which the phone
first did what that alert is about (CONTRACT's alert table): those are the incidents that must be found.
"""
from __future__ import annotations

import math
import random
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

from bench.pcap import UdpTemplate

from . import discovery, signaling
from .fleet import COMPLIANT, PBX_IP, PBX_MAC, Phone
from .tcp import TcpConnection
from .media import RTCP_EVERY, Stream, new_key, zrtp_packet

SLOT = 0.02
VERDICT_BUDGET = 50             # packets: a media stream's verdict is due by then (collectors/classify/payload.py)
TLS_POOL = 16
CODECS = ("PCMU", "PCMA", "G722", "G729", "opus")
ZRTP_FLOW = ((True, b"Hello   "), (False, b"Hello   "), (False, b"HelloACK"), (True, b"HelloACK"),
             (True, b"Commit  "), (False, b"DHPart1 "), (True, b"DHPart2 "), (False, b"Confirm1"),
             (True, b"Confirm2"), (False, b"Conf2ACK"))


@dataclass
class TrafficConfig:
    calls_per_phone_hour: float = 6.0     # busy hour: calls each phone takes part in
    mean_call_seconds: float = 90.0
    min_call_seconds: float = 8.0
    hold_share: float = 0.2               # calls with a hold/resume
    announce_seconds: float = 4.0         # boot + register spread over this much site time
    seed: int = 1


@dataclass
class Truth:
    """What the traffic implies: (phone ip, alert type) -> index of the first frame that shows it, and
    of the frame by which the monitor must have decided it (`due`): that same frame for SIP (one message
    tells), the VERDICT_BUDGET-th packet of the stream for media (the classifier promises a verdict by
    then; a stream cut short by the end of the traffic may not be judged, so is not required)."""
    first_frame: dict[tuple[str, str], int] = field(default_factory=dict)
    due: dict[tuple[str, str], int] = field(default_factory=dict)
    phones: dict[str, Phone] = field(default_factory=dict)
    calls: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)   # per media stream: first, last frame

    def mark(self, ip: str, kind: str, index: int, decided: bool = True) -> None:
        self.first_frame.setdefault((ip, kind), index)
        if decided:
            self.settle(ip, kind, index)

    def settle(self, ip: str, kind: str, index: int) -> None:
        self.due.setdefault((ip, kind), index)

    @property
    def expected(self) -> set[tuple[str, str]]:
        """Every incident the traffic shows (a cause outside this set is a wrong cause)."""
        return set(self.first_frame)

    def required(self, frames_sent: int) -> set[tuple[str, str]]:
        """The incidents the first `frames_sent` frames give the monitor enough to decide."""
        return {key for key, index in self.due.items() if index < frames_sent}

    def compliant(self, ip: str) -> bool:
        phone = self.phones.get(ip)
        return phone is not None and phone.posture in COMPLIANT


class Frames:
    """Frames in one buffer: frame i is buf[offsets[i]:offsets[i + 1]]."""

    def __init__(self):
        self.buf = bytearray()
        self.offsets = array("Q", [0])

    def add(self, frame: bytes) -> int:
        self.buf += frame
        self.offsets.append(len(self.buf))
        return len(self.offsets) - 2

    def __len__(self) -> int:
        return len(self.offsets) - 1


@dataclass
class Call:
    dialog: signaling.Dialog
    streams: list[Stream]
    srtp_offered: bool
    first_frame: int = 0


class Site:
    def __init__(self, phones: list[Phone], traffic: TrafficConfig):
        self.phones, self.traffic = phones, traffic
        self.rng = random.Random(f"traffic:{traffic.seed}")
        self.keys = random.Random(f"srtp-keys:{traffic.seed}")   # apart from rng: the calls stay as they were
        self.frames, self.truth = Frames(), Truth(phones={p.ip: p for p in phones})
        self.slot = 0
        self.events: dict[int, list] = defaultdict(list)
        self.busy: set[int] = set()
        self.calls: dict[str, Call] = {}
        self.streams: list[Stream] = []
        self.by_posture: dict[str, list[Phone]] = defaultdict(list)
        self.ports: dict[int, int] = defaultdict(int)
        self.tls: dict[int, tuple] = {}
        self.tls_pool: dict[int, tuple] = {}
        for phone in phones:
            self.by_posture[phone.posture].append(phone)
        per_slot_boot = max(1, math.ceil(len(phones) * SLOT / traffic.announce_seconds))
        for phone in phones:
            self.events[phone.index // per_slot_boot].append(lambda p=phone: self._boot(p))
        self.call_rate = len(phones) * traffic.calls_per_phone_hour / 2 / 3600 * SLOT   # new calls per slot
        self.first_call_slot = int(traffic.announce_seconds / SLOT) + 1

    # -- the clock ---------------------------------------------------------------------------------
    def run_until(self, frame_count: int) -> None:
        while len(self.frames) < frame_count:
            self.step()

    def step(self) -> None:
        for event in self.events.pop(self.slot, ()):
            event()
        if self.slot >= self.first_call_slot:
            for _ in range(_poisson(self.rng, self.call_rate)):
                self._start_call()
        add, media = self.frames.add, self._media
        for stream in self.streams:
            if stream.paused:
                continue
            if stream.sent and (stream.sent + 1) % RTCP_EVERY and stream.sent + 1 != VERDICT_BUDGET:
                add(stream.next())                         # the common case: one more media frame
            else:
                media(stream)
        self.slot += 1

    @property
    def site_seconds(self) -> float:
        return self.slot * SLOT

    # -- frames --------------------------------------------------------------------------------------
    def _udp(self, src_ip: str, dst_ip: str, payload: bytes, sport: int = 5060, dport: int = 5060) -> int:
        template = UdpTemplate(src_ip, sport, dst_ip, dport, self._mac(src_ip), self._mac(dst_ip), tos=0x68)
        return self.frames.add(template.frame(payload))

    def _mac(self, ip: str) -> bytes:
        phone = self.truth.phones.get(ip)
        return discovery.mac_bytes(phone.mac if phone else PBX_MAC)

    def _sip(self, hops: list[tuple[str, str, bytes]], crypto: bool = False) -> None:
        for src, dst, payload in hops:
            index = self._udp(src, dst, payload)
            if src in self.truth.phones:
                self.truth.mark(src, "cleartext_signaling", index)
                if crypto:
                    self.truth.mark(src, "sdes_keys_exposed", index)

    def _media(self, stream: Stream) -> None:
        index = self.frames.add(stream.next())
        if stream.srtp is None and stream.sent in (1, VERDICT_BUDGET):   # a cleartext stream's first packet,
            call = self.calls.get(stream.owner)                          # and the one a verdict is due by
            kinds = ("cleartext_media", "srtp_downgrade") if call is not None and call.srtp_offered else \
                ("cleartext_media",)
            for kind in kinds:
                if stream.sent == 1:
                    self.truth.mark(stream.template.src, kind, index, decided=False)
                else:
                    self.truth.settle(stream.template.src, kind, index)
        if stream.sent % RTCP_EVERY == 0:
            self.frames.add(stream.rtcp(int(self.site_seconds * 1e6)))

    # -- a phone's life ------------------------------------------------------------------------------
    def _boot(self, phone: Phone) -> None:
        self.frames.add(discovery.dhcp_discover(phone))
        self.frames.add(discovery.lldp_med(phone))
        if phone.sip_transport == "tls":
            self._tls_open(phone)
            self._tls_sip(phone, 600)
            self._tls_sip(phone, 400, from_client=False)
        else:
            request, ok = signaling.register(phone, 1)
            self._sip([(phone.ip, PBX_IP, request)])
            self.frames.add(self._udp_frame(PBX_IP, phone.ip, ok))

    def _udp_frame(self, src: str, dst: str, payload: bytes) -> bytes:
        return UdpTemplate(src, 5060, dst, 5060, self._mac(src), self._mac(dst), tos=0x68).frame(payload)

    def _tls_open(self, phone: Phone) -> None:
        """TCP to the PBX's 5061 and a TLS handshake. Handshakes are real (Python's ssl on memory BIOs)
        and come from a pool of TLS_POOL sessions: a full RSA handshake per phone would make booting
        5,000 phones take minutes."""
        conn = TcpConnection((phone.ip, discovery.mac_bytes(phone.mac), 40000 + phone.index % 20000),
                             (PBX_IP, discovery.mac_bytes(PBX_MAC), 5061), isn=self.rng.getrandbits(32))
        slot = phone.index % TLS_POOL
        if slot not in self.tls_pool:
            session = signaling.TlsSession()
            self.tls_pool[slot] = (session, session.handshake())
        session, flights = self.tls_pool[slot]
        for frame in conn.open():
            self.frames.add(frame)
        for from_client, data in flights:
            for frame in conn.send(from_client, data):
                self.frames.add(frame)
        self.tls[phone.index] = (conn, session)

    def _tls_sip(self, phone: Phone, size: int, from_client: bool = True) -> None:
        conn, session = self.tls[phone.index]
        record = session.send(from_client, self.rng.randbytes(size))
        for frame in conn.send(from_client, record):
            self.frames.add(frame)

    # -- calls ------------------------------------------------------------------------------------------
    def _start_call(self) -> None:
        idle = [p for p in self.phones if p.index not in self.busy]
        if len(idle) < 2:
            return
        caller = idle[self.rng.randrange(len(idle))]
        peers = [p for p in self.by_posture[caller.posture] if p.index not in self.busy and p is not caller]
        if not peers:
            return
        callee = peers[self.rng.randrange(len(peers))]
        self.busy.update((caller.index, callee.index))
        call_id = f"{self.rng.getrandbits(64):016x}@{caller.ip}"
        codec = self._codec(caller, callee)
        seconds = max(self.traffic.min_call_seconds, self.rng.expovariate(1 / self.traffic.mean_call_seconds))
        ring = self.rng.uniform(0.5, 3.0)
        offer = signaling.Offer(caller, self._port(caller), codec, self._sdes_key(caller))
        answer = signaling.Offer(callee, self._port(callee), codec, self._sdes_key(callee))
        dialog = signaling.Dialog(call_id, caller, callee)
        at = self.slot
        answered = at + int(ring / SLOT)
        end = answered + int(seconds / SLOT)
        self._invite(dialog, offer)                        # now: this slot's events already ran
        self.events[at + 2].append(lambda: self._ringing(dialog))
        self.events[answered].append(lambda: self._answer(dialog, offer, answer))
        if self.rng.random() < self.traffic.hold_share and seconds > 20:
            hold_at = answered + int(seconds / 3 / SLOT)
            self.events[hold_at].append(lambda: self._reinvite(dialog, offer, answer, hold=True))
            self.events[hold_at + int(5 / SLOT)].append(lambda: self._reinvite(dialog, offer, answer, hold=False))
        self.events[end].append(lambda: self._bye(dialog))
        self.truth.calls += 1

    def _codec(self, caller: Phone, callee: Phone) -> str:
        for codec in caller.vendor.codecs:
            if codec in callee.vendor.codecs:
                return codec
        return "PCMU"

    def _sdes_key(self, phone: Phone) -> bytes | None:
        return new_key(self.keys) if phone.keying == "sdes" else None

    def _port(self, phone: Phone) -> int:
        self.ports[phone.index] = (self.ports[phone.index] + 1) % 2000
        return 16384 + 2 * self.ports[phone.index]

    def _invite(self, dialog: signaling.Dialog, offer: signaling.Offer) -> None:
        caller = dialog.caller
        if caller.sip_transport == "tls":
            self._tls_sip(caller, 1100)
            self._tls_sip(dialog.callee, 1100, from_client=False)
            return
        self._sip(dialog.request("INVITE", caller, signaling.sdp(offer)), crypto=offer.key_salt is not None)
        self.frames.add(self._udp_frame(PBX_IP, caller.ip, signaling.message("SIP/2.0 100 Trying", [
            ("Call-ID", dialog.call_id), ("CSeq", "1 INVITE")])))

    def _ringing(self, dialog: signaling.Dialog) -> None:
        if dialog.callee.sip_transport == "tls":
            self._tls_sip(dialog.callee, 500)
            return
        self._sip(dialog.response("180 Ringing", "INVITE", dialog.callee))

    def _answer(self, dialog, offer, answer) -> None:
        caller, callee = dialog.caller, dialog.callee
        if callee.sip_transport == "tls":
            self._tls_sip(callee, 1100)
            self._tls_sip(caller, 1100, from_client=False)
            self._tls_sip(caller, 500)
        else:
            self._sip(dialog.response("200 OK", "INVITE", callee, signaling.sdp(answer)),
                      crypto=answer.key_salt is not None)
            self._sip(dialog.request("ACK", caller))
        srtp = caller.encrypted_media
        streams = []
        for (me, mine), (peer, theirs) in ((( caller, offer), (callee, answer)), ((callee, answer), (caller, offer))):
            template = UdpTemplate(me.ip, mine.rtp_port, peer.ip, theirs.rtp_port, self._mac(me.ip), self._mac(peer.ip))
            rtcp = UdpTemplate(me.ip, mine.rtp_port + 1, peer.ip, theirs.rtp_port + 1, self._mac(me.ip),
                               self._mac(peer.ip))
            key = mine.key_salt or (new_key(self.keys) if srtp else None)
            streams.append(Stream(template, rtcp, mine.codec, signaling.CODEC_PT[mine.codec],
                                  self.rng.getrandbits(32), key if srtp else None, self.rng.randrange(300),
                                  dialog.call_id))
        if caller.keying == "zrtp":
            self._zrtp(streams)
        call = Call(dialog, streams, srtp_offered=caller.keying in ("sdes", "dtls"), first_frame=len(self.frames))
        self.calls[dialog.call_id] = call
        self.streams.extend(streams)

    def _zrtp(self, streams: list[Stream]) -> None:
        for seq, (from_caller, kind) in enumerate(ZRTP_FLOW):
            stream = streams[0 if from_caller else 1]
            self.frames.add(stream.template.frame(zrtp_packet(stream.ssrc, seq, kind)))

    def _reinvite(self, dialog, offer, answer, hold: bool) -> None:
        call = self.calls.get(dialog.call_id)
        if call is None:
            return
        call.streams[1].paused = hold                   # the held side stops sending
        if dialog.caller.sip_transport == "tls":
            self._tls_sip(dialog.caller, 1100)
            return
        dialog.cseq += 1
        o = signaling.Offer(offer.phone, offer.rtp_port, offer.codec, offer.key_salt,
                            "sendonly" if hold else "sendrecv", dialog.cseq)
        a = signaling.Offer(answer.phone, answer.rtp_port, answer.codec, answer.key_salt,
                            "recvonly" if hold else "sendrecv", dialog.cseq)
        self._sip(dialog.request("INVITE", dialog.caller, signaling.sdp(o)), crypto=o.key_salt is not None)
        self._sip(dialog.response("200 OK", "INVITE", dialog.callee, signaling.sdp(a)), crypto=a.key_salt is not None)
        self._sip(dialog.request("ACK", dialog.caller))

    def _bye(self, dialog) -> None:
        call = self.calls.pop(dialog.call_id, None)
        if call is None:
            return
        self.truth.spans.extend((call.first_frame, len(self.frames)) for _ in call.streams)
        gone = {id(s) for s in call.streams}
        self.streams = [s for s in self.streams if id(s) not in gone]
        if dialog.caller.sip_transport == "tls":
            self._tls_sip(dialog.caller, 500)
            self._tls_sip(dialog.callee, 500, from_client=False)
        else:
            dialog.cseq += 1
            self._sip(dialog.request("BYE", dialog.caller))
            self._sip(dialog.response("200 OK", "BYE", dialog.callee))
        self.busy.difference_update((dialog.caller.index, dialog.callee.index))

    def finish(self) -> None:
        """Streams still running when generation stops end at the last frame."""
        for call in self.calls.values():
            self.truth.spans.extend((call.first_frame, len(self.frames)) for _ in call.streams)



def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
