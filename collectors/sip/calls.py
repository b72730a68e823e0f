"""The call table: SIP dialogs by Call-ID, their SDP offers and answers, and where media will flow.

Each SDP says where its sender wants to *receive* media (c= address, m= port); with symmetric RTP it
also sends from there. `MediaIndex` maps (address, port) to the m-line that announced it, so a UDP
flow can be tied to its call from either end. Re-INVITEs replace the negotiated pair of an m-line.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field

from collectors.sip.message import SipMessage
from collectors.sip.nameaddr import first_uri
from collectors.sip.sdp import Media, SessionDescription

MAX_CALLS = 20000
MAX_HISTORY = 64               # SDPs kept per call: the first offer and the latest ones
MAX_INDEX = 8 * MAX_CALLS      # announced media addresses; the oldest are forgotten first


@dataclass(slots=True)
class SdpSeen:
    sender: str
    receiver: str
    ts: float
    sdp: SessionDescription
    is_offer: bool
    message: str          # "INVITE", "200 INVITE", ...


@dataclass(slots=True)
class Call:
    call_id: str
    from_uri: str
    to_uri: str
    transport: str
    first_seen: float
    caller: str
    offer: SdpSeen | None = None        # the latest offer
    answer: SdpSeen | None = None       # the answer to `offer`, when seen
    history: list[SdpSeen] = field(default_factory=list)
    stream_ids: list[str] = field(default_factory=list)
    ended_at: float | None = None

    def media_pair(self, index: int) -> tuple[Media | None, Media | None]:
        offer = _nth(self.offer, index)
        answer = _nth(self.answer, index)
        return offer, answer

    @property
    def srtp_offered(self) -> bool:
        return any(m.offers_srtp for seen in self.history for m in seen.sdp.media if m.is_rtp)


@dataclass(frozen=True, slots=True)
class Binding:
    call_id: str
    index: int            # m-line position
    owner: str            # the SDP sender that announced this address
    role: str             # "rtp" or "rtcp"
    mux: bool


class CallTable:
    def __init__(self):
        self.calls: dict[str, Call] = {}
        self.index: dict[tuple[bytes, int], Binding] = {}

    def on_message(self, msg: SipMessage, src: str, dst: str, transport: str, ts: float,
                   sdp: SessionDescription | None) -> tuple[Call | None, SdpSeen | None]:
        call_id = msg.call_id
        if not call_id:
            return None, None
        call = self.calls.get(call_id)
        if call is None:
            if not (msg.method == "INVITE" or sdp is not None) or len(self.calls) >= MAX_CALLS:
                return None, None
            call = self.calls[call_id] = Call(call_id, first_uri(msg.header("from")), first_uri(msg.header("to")),
                                              transport, ts, src)
        if msg.method in ("BYE", "CANCEL") and call.ended_at is None:
            call.ended_at = ts
        if sdp is None:
            return call, None
        return call, self._record_sdp(call, msg, src, dst, ts, sdp)

    def _record_sdp(self, call, msg, src, dst, ts, sdp) -> SdpSeen:
        label = msg.method or f"{msg.status} response to {msg.cseq_method or 'request'}"
        pending = call.offer is not None and call.answer is None and call.offer.sender != src
        repeated_answer = (call.answer is not None and msg.status is not None
                           and call.answer.sender == src)   # 183 then 200 with the same answer
        pending = pending or repeated_answer
        seen = SdpSeen(src, dst, ts, sdp, is_offer=not pending, message=label)
        if pending:
            call.answer = seen
        else:
            call.offer, call.answer = seen, None
        call.history.append(seen)
        if len(call.history) > MAX_HISTORY:     # endless re-INVITEs: drop the oldest but the first
            del call.history[1]
        self._index_media(call.call_id, src, sdp)
        return seen

    def _index_media(self, call_id: str, owner: str, sdp: SessionDescription) -> None:
        for i, media in enumerate(sdp.media):
            if media.port == 0 or not media.is_rtp:
                continue
            packed = _pack(media.address or owner)
            if packed is None:
                continue
            self.index[(packed, media.port)] = Binding(call_id, i, owner, "rtp", media.rtcp_mux)
            rtcp_port = media.rtcp_port or media.port + 1
            rtcp_packed = _pack(media.rtcp_address) if media.rtcp_address else packed
            if rtcp_packed is not None and not media.rtcp_mux:
                self.index[(rtcp_packed, rtcp_port)] = Binding(call_id, i, owner, "rtcp", False)
        while len(self.index) > MAX_INDEX:
            del self.index[next(iter(self.index))]

    def binding_for(self, src: bytes, sport: int, dst: bytes, dport: int) -> Binding | None:
        """The m-line announcing this flow's destination (preferred) or its source."""
        return self.index.get((dst, dport)) or self.index.get((src, sport))


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
