"""Who removed SRTP from a call: the srtp_downgrade rule's memory of offers and answers per leg.

A leg is one SIP hop (collectors.sip.calls.Leg). On the leg a cleartext stream belongs to:
  * SRTP offered and answered without it: the answerer removed SRTP (the phone that answered plain,
    or a proxy/relay that answered plain). An answer a proxy forwarded unchanged (the same media
    addresses as an SDP it received) is followed back to the element that wrote it.
  * SRTP offered (and accepted, or not answered yet) yet the stream is cleartext: its sender.
  * offered plain: by an element that received an SRTP offer of the same call (same Call-ID on
    another hop, or the call a B2BUA continued) and wrote this offer itself: that element (the relay
    that offered plain after receiving SRTP). A phone that was never offered SRTP is never named.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from collectors.events import SdpObserved, StreamVerdict

MAX_CALLS = 20000


@dataclass(frozen=True, slots=True)
class Downgrade:
    """Who removed SRTP from a call (the srtp_downgrade alert's endpoint), said as the alert says it."""
    element: str                 # who removed SRTP: the alert's endpoint
    peer: str | None
    summary: str
    evidence: tuple[str, ...]


@dataclass(slots=True)
class LegSdp:
    """The SDPs of one leg that a downgrade is judged from: its latest offer, its last SRTP offer, its answer."""
    offer: SdpObserved | None = None
    srtp_offer: SdpObserved | None = None
    answer: SdpObserved | None = None


class DowngradeTracker:
    def __init__(self):
        self.legs: dict[str, dict[str, LegSdp]] = {}                  # call_id -> leg -> its SDPs
        self.group_of: dict[str, str] = {}                            # call_id -> group
        self.received: dict[str, dict[str, list[SdpObserved]]] = {}   # group -> receiver -> SDPs it got

    def observe(self, ev: SdpObserved) -> SdpObserved:
        """Remember an SDP (a compact copy: the SDP's profiles once each); returns that copy."""
        if len(self.group_of) >= MAX_CALLS and ev.call_id not in self.group_of:
            self._forget_oldest()
        ev = replace(ev, profiles=tuple(dict.fromkeys(ev.profiles))[:4], crypto_suites=ev.crypto_suites[:4])
        group = self.group_of.setdefault(ev.call_id, ev.group or ev.call_id)
        leg = self.legs.setdefault(ev.call_id, {}).setdefault(ev.leg, LegSdp())
        if ev.is_offer:
            leg.offer, leg.answer = ev, None
            if ev.offers_srtp and leg.srtp_offer is None:
                leg.srtp_offer = ev
        else:
            leg.answer = ev
        got = self.received.setdefault(group, {}).setdefault(ev.receiver, [])
        if len(got) < 16:
            got.append(ev)
        return ev

    def downgrade(self, ev: StreamVerdict, call_offer: SdpObserved | None) -> Downgrade | None:
        """Who removed SRTP on the leg of this cleartext stream, if SRTP was removed at all."""
        leg = self.legs.get(ev.call_id, {}).get(ev.leg) if ev.call_id else None
        if leg is None or leg.offer is None:
            if call_offer is None:
                return None
            return self._sender(ev, call_offer)
        offer, answer = leg.srtp_offer or leg.offer, leg.answer
        if offer.offers_srtp:
            if answer is not None and not answer.offers_srtp:
                origin = self.origin(answer)
                return Downgrade(origin.sender, offer.sender,
                                 f"{origin.sender} answered {_profiles(answer)} without SRTP to the SRTP offer of "
                                 f"{offer.sender}: the media of this leg ({ev.leg or 'the call'}) is cleartext",
                                 (_said(offer) + " offered " + _offer_text(offer),
                                  _said(answer) + f" answered {_profiles(answer)} without SRTP")
                                 + _forwarded(answer, origin))
            return self._sender(ev, offer)
        group = self.group_of.get(ev.call_id or "", ev.call_id or "")
        if self.origin(offer) is not offer:
            return None          # a forwarded plain offer: whoever wrote it was not offered SRTP here
        srtp = [r for r in self.received.get(group, {}).get(offer.sender, ())
                if r.offers_srtp and r.is_offer and r.ts <= offer.ts and (r.call_id, r.leg) != (ev.call_id, ev.leg)]
        if not srtp:
            return None
        got = srtp[0]
        return Downgrade(offer.sender, got.sender,
                         f"{offer.sender} received an SRTP offer from {got.sender} and offered plain "
                         f"{_profiles(offer)} to {offer.receiver}: it removed SRTP from the call",
                         (_said(got) + f" to {got.receiver} offered " + _offer_text(got),
                          _said(offer) + f" to {offer.receiver} offered {_profiles(offer)} without SRTP"))

    def _sender(self, ev: StreamVerdict, offer: SdpObserved) -> Downgrade:
        return Downgrade(ev.src, ev.dst, f"SRTP was offered by {offer.sender} but {ev.src} sends cleartext media",
                         (f"sdp: {offer.message} from {offer.sender} offered " + _offer_text(offer),))

    def origin(self, sdp: SdpObserved) -> SdpObserved:
        """The SDP this one forwards unchanged (same media addresses, received by its sender earlier in
        the call), followed back to the element that wrote it."""
        group = self.group_of.get(sdp.call_id, sdp.call_id)
        for _ in range(8):
            if not sdp.media:
                return sdp
            earlier = [r for r in self.received.get(group, {}).get(sdp.sender, ())
                       if r.media == sdp.media and r.ts <= sdp.ts and r is not sdp]
            if not earlier:
                return sdp
            sdp = earlier[-1]
        return sdp

    def forwards(self, sdp: SdpObserved) -> list[SdpObserved]:
        """The SDPs already seen that forward this one unchanged: sent on by its receiver, later in the
        call, with the same media addresses (`origin` the other way round). With several capture workers
        a proxy's forwarded copy can reach the policy before the SDP it forwards."""
        if not sdp.media:
            return []
        group = self.group_of.get(sdp.call_id, sdp.call_id)
        return [r for got in self.received.get(group, {}).values() for r in got
                if r.sender == sdp.receiver and r.media == sdp.media and r.ts >= sdp.ts and r is not sdp]

    def sent(self, sdp: SdpObserved) -> list[SdpObserved]:
        """The SDPs of this one's call that its sender sent (as far as they are remembered)."""
        group = self.group_of.get(sdp.call_id, sdp.call_id)
        return [r for got in self.received.get(group, {}).values() for r in got
                if r.sender == sdp.sender and r.call_id == sdp.call_id]

    def _forget_oldest(self) -> None:
        self.forget(next(iter(self.group_of)))

    def forget(self, call_id: str) -> None:
        """A call that is over: its legs go, and what its group's elements received (a B2BUA chain's
        calls end together)."""
        group = self.group_of.pop(call_id, None)
        self.legs.pop(call_id, None)
        if group is not None:
            self.received.pop(group, None)


def _said(sdp: SdpObserved) -> str:
    return f"sdp: {sdp.message} from {sdp.sender}"


def _forwarded(answer: SdpObserved, origin: SdpObserved) -> tuple[str, ...]:
    if origin is answer:
        return ()
    return (f"sdp: {answer.sender} forwarded the answer of {origin.sender} unchanged",)


def _profiles(sdp: SdpObserved) -> str:
    return "/".join(dict.fromkeys(sdp.profiles)) or "SDP"


def _offer_text(offer: SdpObserved) -> str:
    parts = list(dict.fromkeys(offer.profiles))
    if offer.crypto_suites:
        parts.append("a=crypto")
    if offer.fingerprint:
        parts.append("a=fingerprint")
    if offer.mikey:
        parts.append("a=key-mgmt:mikey")
    return " + ".join(parts)
