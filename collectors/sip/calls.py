"""The call table: SIP dialogs by Call-ID, their legs, the SDP offers and answers of each leg, and
where media will flow.

A leg is one SIP hop: the two signaling addresses its messages travel between (a phone and a proxy,
a proxy and the next phone). Through a proxy one Call-ID has several legs, each with its own
offer/answer: a media relay (rtpengine) may answer SRTP to the caller and offer plain RTP to the
callee. A B2BUA starts a new Call-ID per leg: a call whose INVITE is sent by the element that
received another live call's INVITE moments before joins that call's `group`.

Each SDP says where its sender wants to *receive* media (c= address, m= port); with symmetric RTP it
also sends from there. The index maps (address, port) to the m-lines that announced it, so a UDP flow
is tied to the leg whose SDP announced its addresses, from either end. Re-INVITEs replace the
negotiated pair of an m-line.
"""
from __future__ import annotations

import socket
from itertools import islice
from dataclasses import dataclass, field

from collectors.sip.message import SipMessage
from collectors.sip.nameaddr import first_uri
from collectors.sip.sdp import Media, SessionDescription

MAX_CALLS = 20000
FORGET_SCAN = 64               # calls looked at for an ended one when the table is full
MAX_HISTORY = 64               # SDPs kept per call: the first offer and the latest ones
MAX_INDEX = 8 * MAX_CALLS      # announced media addresses; the oldest are forgotten first
MAX_LEGS = 8                   # hops kept per Call-ID
MAX_BINDINGS = 4               # legs remembered per announced address
B2BUA_WINDOW = 10.0            # seconds between the INVITE a B2BUA receives and the one it sends


@dataclass(slots=True)
class SdpSeen:
    """An SDP as it travelled: who sent it to whom, when, in which message and on which leg."""
    sender: str
    receiver: str
    ts: float
    sdp: SessionDescription
    is_offer: bool
    message: str          # "INVITE", "200 INVITE", ...
    leg: str = ""


@dataclass(slots=True)
class Leg:
    """One signaling hop of a call and its own offer/answer."""
    key: str                            # "10.0.0.1<->10.0.0.10": the hop's two addresses, sorted
    first_seen: float
    offer: SdpSeen | None = None
    answer: SdpSeen | None = None
    first_offer: SdpSeen | None = None
    invite_from: str | None = None      # who sent the leg's first INVITE (the caller side of the hop)

    def media_pair(self, index: int) -> tuple[Media | None, Media | None]:
        return _nth(self.offer, index), _nth(self.answer, index)

    @property
    def srtp_offered(self) -> bool:
        return any(m.offers_srtp for seen in (self.first_offer, self.offer) if seen
                   for m in seen.sdp.media if m.is_rtp)


@dataclass(slots=True)
class Call:
    """One Call-ID: its parties, its latest offer and answer, every SDP seen of it, and its legs."""
    call_id: str
    from_uri: str
    to_uri: str
    transport: str
    first_seen: float
    caller: str
    offer: SdpSeen | None = None        # the latest offer
    answer: SdpSeen | None = None       # the answer to `offer`, when seen
    history: list[SdpSeen] = field(default_factory=list)
    ended_at: float | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    group: str = ""                     # the first Call-ID of a B2BUA chain (its own when alone)

    def __post_init__(self):
        self.group = self.group or self.call_id

    def media_pair(self, index: int, leg: str | None = None) -> tuple[Media | None, Media | None]:
        chosen = self.legs.get(leg) if leg else None
        if chosen is not None:
            return chosen.media_pair(index)
        return _nth(self.offer, index), _nth(self.answer, index)

    def leg_of(self, leg: str | None) -> Leg | None:
        return self.legs.get(leg) if leg else None

    def sdp_written_by(self, sender: str, port: int, index: int, leg: str) -> SdpSeen | None:
        """The latest SDP `sender` wrote with m-line `index`: on `leg`, else (a proxy forwarded it to
        the leg a stream is bound to) the one announcing the sender's own address and `port`."""
        mine = [seen for seen in reversed(self.history) if seen.sender == sender and index < len(seen.sdp.media)]
        for seen in mine:
            if seen.leg == leg:
                return seen
        for seen in mine:
            media = seen.sdp.media[index]
            if (media.address or seen.sender) == sender and media.port == port:
                return seen
        return None

    @property
    def srtp_offered(self) -> bool:
        return any(m.offers_srtp for seen in self.history for m in seen.sdp.media if m.is_rtp)


@dataclass(frozen=True, slots=True)
class Binding:
    """What a media address announced in an SDP belongs to: the call, its m-line and leg, RTP or RTCP."""
    call_id: str
    index: int            # m-line position
    owner: str            # the SDP sender that announced this address
    role: str             # "rtp" or "rtcp"
    mux: bool
    leg: str = ""         # the hop whose SDP announced the address


class CallTable:
    """`max_ended`: ended calls kept (for the end report and late packets) before the oldest ended one is
    let go with its announced addresses; None keeps every call up to MAX_CALLS. `on_forget` is called
    with each call let go."""

    def __init__(self, max_ended: int | None = None, on_forget=None):
        self.calls: dict[str, Call] = {}
        self.index: dict[tuple[bytes, int], Binding | tuple[Binding, ...]] = {}
        self.received_invites: dict[str, str] = {}    # signaling address -> Call-ID of the last call INVITEd to it
        self.forgotten = 0       # calls let go (MAX_CALLS, max_ended)
        self.max_ended = max_ended
        self.ended: dict[str, None] = {}     # with max_ended: Call-IDs of the ended calls kept, oldest end first
        self.on_forget = on_forget

    def on_message(self, msg: SipMessage, src: str, dst: str, transport: str, ts: float,
                   sdp: SessionDescription | None) -> tuple[Call | None, SdpSeen | None]:
        call_id = msg.call_id
        if not call_id:
            return None, None
        call = self.calls.get(call_id)
        if call is None:
            if not (msg.method == "INVITE" or sdp is not None):
                return None, None
            if len(self.calls) >= MAX_CALLS:      # a long run: the oldest call makes room (new calls stay tracked)
                self._forget_oldest()
            call = self.calls[call_id] = Call(call_id, first_uri(msg.header("from")), first_uri(msg.header("to")),
                                              transport, ts, src, group=self._b2bua_group(msg, src, ts, sdp))
        if msg.method == "INVITE":
            self.received_invites[dst] = call.call_id
            if len(self.received_invites) > MAX_CALLS:
                del self.received_invites[next(iter(self.received_invites))]
        if msg.method in ("BYE", "CANCEL") and call.ended_at is None:
            call.ended_at = ts
            if self.max_ended is not None:
                self._ended(call_id)
        if sdp is None:
            return call, None
        return call, self._record_sdp(call, msg, src, dst, ts, sdp)

    def _forget_oldest(self) -> None:
        """The oldest ended call (else the oldest) goes; its announced addresses stay until newer SDP replaces them (a stream
        bound to a forgotten call is judged without its SDP, as before the call was seen)."""
        ended = (call_id for call_id, call in islice(self.calls.items(), FORGET_SCAN) if call.ended_at is not None)
        self._forget(next(ended, None) or next(iter(self.calls)))

    def _ended(self, call_id: str) -> None:
        """Beyond `max_ended` ended calls the one that ended first goes, and with it the addresses it
        announced (unless a newer call announced them since): its media expired long ago."""
        self.ended[call_id] = None
        while len(self.ended) > self.max_ended:
            oldest = next(iter(self.ended))
            call = self.calls.get(oldest)
            if call is not None:
                self._unindex(call)
            self._forget(oldest)

    def _forget(self, call_id: str) -> None:
        call = self.calls.pop(call_id, None)
        self.ended.pop(call_id, None)
        if call is None:
            return
        self.forgotten += 1
        if self.on_forget is not None:
            self.on_forget(call)

    def _unindex(self, call: Call) -> None:
        for seen in call.history:
            for media in seen.sdp.media:
                packed = _pack(media.address or seen.sender)
                rtcp = _pack(media.rtcp_address) if media.rtcp_address else packed
                for address in ((packed, media.port), (rtcp, media.rtcp_port or media.port + 1)):
                    kept = tuple(b for b in _many(self.index.get(address)) if b.call_id != call.call_id)
                    if address in self.index:
                        if kept:
                            self.index[address] = kept if len(kept) > 1 else kept[0]
                        else:
                            del self.index[address]

    def _b2bua_group(self, msg: SipMessage, src: str, ts: float, sdp: SessionDescription | None) -> str:
        """A new Call-ID INVITEd by the element that was itself INVITEd moments ago (a B2BUA), whose
        offer announces media at an address of that call or at the B2BUA's own (a media relay): the
        same call, one hop further."""
        if msg.method != "INVITE" or sdp is None:
            return ""
        earlier = self.calls.get(self.received_invites.get(src, ""))
        if earlier is None or earlier.ended_at is not None or ts - earlier.first_seen > B2BUA_WINDOW:
            return ""
        known = {src} | {m.address for seen in earlier.history for m in seen.sdp.media if m.address}
        if not any(m.address in known for m in sdp.media if m.is_rtp and m.port):
            return ""
        return earlier.group

    def _leg(self, call: Call, msg: SipMessage, src: str, dst: str, ts: float) -> Leg:
        key = leg_key(src, dst)
        leg = call.legs.get(key)
        if leg is None:
            if len(call.legs) >= MAX_LEGS:      # a call with endless hops: the rest share the last one
                return call.legs[next(reversed(call.legs))]
            leg = call.legs[key] = Leg(key, ts)
        if msg.method == "INVITE" and leg.invite_from is None:
            leg.invite_from = src
        return leg

    def _record_sdp(self, call, msg, src, dst, ts, sdp) -> SdpSeen:
        label = msg.method or f"{msg.status} response to {msg.cseq_method or 'request'}"
        leg = self._leg(call, msg, src, dst, ts)
        pending = leg.offer is not None and leg.answer is None and leg.offer.sender != src
        repeated_answer = (leg.answer is not None and msg.status is not None
                           and leg.answer.sender == src)   # 183 then 200 with the same answer
        pending = pending or repeated_answer
        seen = SdpSeen(src, dst, ts, sdp, is_offer=not pending, message=label, leg=leg.key)
        if pending:
            leg.answer = seen
        else:
            leg.offer, leg.answer = seen, None
            leg.first_offer = leg.first_offer or seen
        first = next(iter(call.legs.values()))    # the call's own offer/answer: its first hop's
        call.offer, call.answer = first.offer, first.answer
        call.history.append(seen)
        if len(call.history) > MAX_HISTORY:     # endless re-INVITEs: drop the oldest but the first
            del call.history[1]
        self._index_media(call.call_id, src, sdp, leg.key)
        return seen

    def _index_media(self, call_id: str, owner: str, sdp: SessionDescription, leg: str) -> None:
        for i, media in enumerate(sdp.media):
            if media.port == 0 or not media.is_rtp:
                continue
            packed = _pack(media.address or owner)
            if packed is None:
                continue
            self._bind((packed, media.port), Binding(call_id, i, owner, "rtp", media.rtcp_mux, leg))
            rtcp_port = media.rtcp_port or media.port + 1
            rtcp_packed = _pack(media.rtcp_address) if media.rtcp_address else packed
            if rtcp_packed is not None and not media.rtcp_mux:
                self._bind((rtcp_packed, rtcp_port), Binding(call_id, i, owner, "rtcp", False, leg))
        while len(self.index) > MAX_INDEX:
            del self.index[next(iter(self.index))]

    def _bind(self, address: tuple[bytes, int], binding: Binding) -> None:
        """The latest binding first, one per leg of the latest call announcing the address (a new call
        reusing it replaces the old call's). A lone binding is kept bare (most addresses have one)."""
        kept = [b for b in _many(self.index.pop(address, None))
                if b.call_id == binding.call_id and b.leg != binding.leg]
        self.index[address] = tuple([binding] + kept[:MAX_BINDINGS - 1]) if kept else binding

    def binding_for(self, src: bytes, sport: int, dst: bytes, dport: int) -> Binding | None:
        """The m-line announcing this flow's destination (preferred) or its source; where both ends
        were announced, the leg that announced both (the hop this media belongs to)."""
        to = _many(self.index.get((dst, dport)))
        source = _many(self.index.get((src, sport)))
        both = {(b.call_id, b.leg) for b in source}
        shared = [b for b in to if (b.call_id, b.leg) in both]
        for binding in shared:      # through a proxy that forwards SDP: the hop next to the receiver
            if _pack(binding.owner) == dst:
                return binding
        if shared:
            return shared[0]
        if to:
            return to[0]
        return source[0] if source else None


def _many(value) -> tuple:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def leg_key(a: str, b: str) -> str:
    return "<->".join(sorted((a, b)))


def _nth(seen: SdpSeen | None, index: int) -> Media | None:
    if seen is None or index >= len(seen.sdp.media):
        return None
    return seen.sdp.media[index]


def _pack(address: str | None) -> bytes | None:
    if not address:
        return None
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_pton(family, address)
        except (OSError, ValueError):   # ValueError: a NUL in the text
            continue
    return None
