"""Policy: collector events in, alerts out. One alert per offending stream, call or signaling
session (an identity key, like Zeek notices), never one per packet.

| type                | raised on                                                        | endpoint            |
| cleartext_media     | an RTP stream with audio/video/DTMF judged cleartext              | the stream's sender |
| srtp_downgrade      | that stream's leg lost SRTP (appliance/downgrade.py)             | who removed SRTP    |
| sdes_keys_exposed   | an SDP with a=crypto travelled over cleartext signaling (udp/tcp/ws) | the SDP's sender |
| cleartext_signaling | a SIP conversation over udp/tcp/ws                               | the SIP client      |
RTCP (reports, APP, BYE) is never media: it raises nothing.

A later verdict can prove a stream's alerts wrong (encrypted after all, no media, too unsure), and a
phone's SDP arriving after a proxy's unchanged copy of it (another capture worker) shows that the keys
the copy exposed are the phone's: such alerts are withdrawn, and the caller told (`on_withdraw`, a
`Withdrawal` with the reason) so that the store can take back what it recorded. Letting the oldest alerts go to bound memory (`max_alerts`) is not a
withdrawal: the store keeps those.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from appliance.downgrade import DowngradeTracker
from appliance.endpoint_rules import EndpointRules
from appliance.privacy import Privacy
from appliance.alerts import (CLEARTEXT_MEDIA, CLEARTEXT_SIGNALING, SDES_KEYS_EXPOSED, SRTP_DOWNGRADE,
                              TLS_RECONNECT_STORM, WEAK_TLS, Alert, Withdrawal)
from dataclasses import replace
from collections import OrderedDict

from collections import deque

from collectors.events import (CallEnded, ExposureProven, SdpObserved, SignalingObserved, StreamVerdict,
                               TlsHandshake, TlsObserved)

CLEARTEXT_TRANSPORTS = ("udp", "tcp", "ws")
DEFAULT_SEVERITIES = {CLEARTEXT_MEDIA: "high", SRTP_DOWNGRADE: "high", SDES_KEYS_EXPOSED: "critical",
                      CLEARTEXT_SIGNALING: "medium", WEAK_TLS: "medium", TLS_RECONNECT_STORM: "high"}
OLD_TLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")
MIN_CONFIDENCE = 0.5
MAX_AWAITING_SDP = 4_096             # cleartext streams' addresses kept for an SDP that comes late
MAX_CALLS = 20_000                   # calls whose SRTP offer and signaling transport are remembered
MAX_DOWNGRADES = 20_000              # streams whose srtp_downgrade can still be withdrawn
MAX_ALERTS = 100_000                 # alerts held for the end report: a service runs for weeks (the store keeps all)


@dataclass(frozen=True)
class PolicySettings:
    """How the policy judges events: severities, confidence, storm limits, endpoint rules, privacy."""
    severities: dict = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    min_confidence: float = MIN_CONFIDENCE
    storm_handshakes: int = 20          # ClientHellos to one server ...
    storm_window: float = 10.0          # ... within this many seconds make a reconnect storm
    rules: EndpointRules = EndpointRules()  # hard phones, exemptions, which device classes alert
    privacy: Privacy = Privacy()            # what the reports built under this policy may show of SIP URIs
    max_alerts: int | None = None           # alerts held for the end report (None: MAX_ALERTS)


class Policy:
    def __init__(self, settings: PolicySettings | None = None, on_alert=None, on_withdraw=None):
        self.settings = settings or PolicySettings()
        self.on_alert = on_alert or (lambda alert: None)
        self.on_withdraw = on_withdraw or (lambda withdrawal: None)   # an alert raised, proved wrong
        self.alerts: dict[tuple, Alert] = {}
        self.srtp_offers: dict[str, SdpObserved] = {}     # call_id -> the SDP that offered SRTP
        self.legs = DowngradeTracker()                    # offers/answers per leg: who removed SRTP
        self.downgrades: dict[str, tuple] = {}            # stream id -> the srtp_downgrade key it raised
        self.awaiting_sdp: OrderedDict[str, StreamVerdict] = OrderedDict()   # stream id -> cleartext, no finding
        self.awaiting_at: dict[str, set[str]] = {}        # "ip:port" -> ids of the awaiting streams there
        self.sdp_media: OrderedDict[str, SdpObserved] = OrderedDict()        # "ip:port" an SDP announced -> it
        self.call_transport: dict[str, str] = {}
        self.tls_parties: set[str] = set()      # endpoints seen talking SIP over TLS
        self.handshakes: dict[tuple, deque] = {}  # (server, port) -> recent (ts, client)
        self.describe_endpoint = lambda ip: {"device_class": "unknown"}   # the collector's view, set by the caller
        self.held_back: dict[str, int] = {}       # alerts not raised, by reason (exemption, device class)
        self.alerts_dropped = 0                   # oldest alerts let go to stay within max_alerts
        self.call_alerts: dict[tuple, None] = {}  # keys of the held alerts about a stream or call, oldest first

    def observe(self, event) -> None:
        if isinstance(event, StreamVerdict):
            self._stream(event)
        elif isinstance(event, SdpObserved):
            self._sdp(event)
        elif isinstance(event, SignalingObserved):
            self._signaling(event)
        elif isinstance(event, ExposureProven):
            self._exposure(event)
        elif isinstance(event, TlsObserved):
            self._tls(event)
        elif isinstance(event, TlsHandshake):
            self._handshake(event)
        elif isinstance(event, CallEnded):
            self._call_ended(event)

    # -- rules ---------------------------------------------------------------------------------
    def _stream(self, ev: StreamVerdict) -> None:
        key = (CLEARTEXT_MEDIA, ev.stream_id)
        if ev.kind != "rtp":
            return
        if ev.encrypted or not ev.carries_media or ev.confidence < self.settings.min_confidence:
            reason = _disproved(ev, self.settings.min_confidence)
            self._retract(key, reason, ev.ts)
            self._withdraw_downgrade(ev.stream_id, reason, ev.ts)
            self._stop_waiting(ev.stream_id)
            return
        severity = self._severity(CLEARTEXT_MEDIA)
        evidence = list(ev.evidence)
        transport = self.call_transport.get(ev.call_id or "")
        if transport in ("tls", "wss"):
            severity = "critical"
            evidence.append(f"signaling: the call was set up over {transport.upper()}, the media is not protected")
        elif ev.call_id is None and ev.src in self.tls_parties and ev.dst in self.tls_parties:
            severity = "critical"
            evidence.append(f"signaling: {ev.src} and {ev.dst} talk SIP over TLS, yet this media is not protected")
        codec = ev.codec or "unknown codec"
        self._raise(Alert(CLEARTEXT_MEDIA, severity, ev.src, ev.dst, ev.stream_id, ev.call_id,
                          f"{ev.src} sends cleartext {codec} RTP to {ev.dst}:{ev.dst_port}",
                          tuple(evidence), ev.first_seen, key))
        if ev.call_id is None:
            ev = self._call_of(ev)
        if not self._downgrade(ev):
            self._await_sdp(ev)

    def _call_of(self, ev: StreamVerdict) -> StreamVerdict:
        """A stream whose worker had not yet learnt its call (the SIP went through another worker): the
        call whose SDP announced one of its addresses, if this policy has seen that SDP."""
        sdp = self.sdp_media.get(f"{ev.dst}:{ev.dst_port}") or self.sdp_media.get(f"{ev.src}:{ev.src_port}")
        return ev if sdp is None else replace(ev, call_id=sdp.call_id, leg=ev.leg or sdp.leg)

    def _downgrade(self, ev: StreamVerdict) -> bool:
        finding = self.legs.downgrade(ev, self.srtp_offers.get(ev.call_id or ""))
        if finding is None:
            return False
        key = (SRTP_DOWNGRADE, ev.call_id, finding.element)
        self.downgrades[ev.stream_id] = key
        while len(self.downgrades) > MAX_DOWNGRADES:     # the oldest streams have long ended
            del self.downgrades[next(iter(self.downgrades))]
        self._raise(Alert(SRTP_DOWNGRADE, self._severity(SRTP_DOWNGRADE), finding.element, finding.peer,
                          ev.stream_id, ev.call_id, finding.summary,
                          finding.evidence + tuple(ev.evidence), ev.first_seen, key))
        return True

    def _await_sdp(self, ev: StreamVerdict) -> None:
        """A cleartext stream whose call's SDP is not known here yet. With several capture workers the
        SIP and the media of one call reach this policy through different workers, in either order
        (bench/site found streams whose verdict came first: their srtp_downgrade was late or never
        raised). The stream is kept (bounded, oldest out) under both its addresses and judged again on
        each SDP answer naming one of them, with what is known then, until it raises: the same finding
        as when the SDP comes first. Both directions of a call share the two addresses, so an address
        holds several streams."""
        self._stop_waiting(ev.stream_id)
        self.awaiting_sdp[ev.stream_id] = ev
        for address in _addresses(ev):
            self.awaiting_at.setdefault(address, set()).add(ev.stream_id)
        while len(self.awaiting_sdp) > MAX_AWAITING_SDP:
            self._stop_waiting(next(iter(self.awaiting_sdp)))

    def _stop_waiting(self, stream_id: str) -> None:
        ev = self.awaiting_sdp.pop(stream_id, None)
        if ev is None:
            return
        for address in _addresses(ev):
            waiting = self.awaiting_at.get(address)
            if waiting is not None:
                waiting.discard(stream_id)
                if not waiting:
                    del self.awaiting_at[address]

    def _late_sdp(self, sdp: SdpObserved) -> None:
        if sdp.is_offer:
            return                    # judged on the answer, when the leg's offer and answer are both known
        named = {stream_id for address in sdp.media for stream_id in self.awaiting_at.get(address, ())}
        for stream_id in sorted(named):
            ev = self.awaiting_sdp[stream_id]
            if stream_id in self.downgrades:
                self._stop_waiting(stream_id)
            elif ev.call_id in (None, sdp.call_id):
                if self._downgrade(replace(ev, call_id=sdp.call_id, leg=ev.leg or sdp.leg)):
                    self._stop_waiting(stream_id)

    def _call_ended(self, ev: CallEnded) -> None:
        """The collector let the call go (over, and newer ended calls took its place): what this policy
        remembers of its SDP goes too. Its streams, ended long ago, raise nothing more."""
        self.srtp_offers.pop(ev.call_id, None)
        self.call_transport.pop(ev.call_id, None)
        self.legs.forget(ev.call_id)
        for stream_id in [i for i, waiting in self.awaiting_sdp.items() if waiting.call_id == ev.call_id]:
            self._stop_waiting(stream_id)          # no SDP of this call is to come
        for address in [a for a, sdp in self.sdp_media.items() if sdp.call_id == ev.call_id]:
            del self.sdp_media[address]

    def _withdraw_downgrade(self, stream_id: str, reason: str, ts: float) -> None:
        """A stream found encrypted after all no longer supports the downgrade it raised; the alert
        goes when no cleartext stream is left behind it."""
        key = self.downgrades.pop(stream_id, None)
        if key is not None and key not in self.downgrades.values():
            self._retract(key, reason, ts)

    def _sdp(self, ev: SdpObserved) -> None:
        kept = self.legs.observe(ev)
        if ev.offers_srtp and ev.is_offer:
            _remember(self.srtp_offers, ev.call_id, ev, MAX_CALLS)
        _remember(self.call_transport, ev.call_id, ev.signaling_transport, MAX_CALLS)
        for address in ev.media:
            self.sdp_media[address] = ev
            self.sdp_media.move_to_end(address)
        while len(self.sdp_media) > MAX_AWAITING_SDP:
            self.sdp_media.popitem(last=False)
        if self.awaiting_sdp:
            self._late_sdp(ev)
        origin = self.legs.origin(kept)
        if origin is not kept and _exposes(origin):
            self._forwarded_keys(kept, origin)
            return    # a proxy forwarded these keys unchanged: the alert of the SDP's author covers them
        if _exposes(ev):
            self._raise(Alert(
                SDES_KEYS_EXPOSED, self._severity(SDES_KEYS_EXPOSED), ev.sender, ev.receiver, None, ev.call_id,
                f"SRTP master keys of {ev.sender} travelled in cleartext SIP/{ev.signaling_transport.upper()}",
                (f"sdp: a=crypto ({', '.join(ev.crypto_suites)}) in {ev.message} over "
                 f"{ev.signaling_transport}",), ev.ts, (SDES_KEYS_EXPOSED, ev.call_id, ev.sender)))
            self._forwarded_keys(kept, kept)

    def _forwarded_keys(self, sdp: SdpObserved, author: SdpObserved, hops: int = 8) -> None:
        """Copies of `sdp` forwarded unchanged that reached this policy before it (through another capture
        worker) raised sdes_keys_exposed on their forwarder: the keys are `author`'s, whose alert covers
        them. A forwarder's alert goes unless it also sent keys of its own in the call."""
        for copy in self.legs.forwards(sdp) if hops else ():
            if not any(_exposes(sent) and self.legs.origin(sent) is sent for sent in self.legs.sent(copy)):
                self._retract((SDES_KEYS_EXPOSED, copy.call_id, copy.sender),
                              f"{copy.sender} forwarded the SRTP master keys of {author.sender} unchanged "
                              f"({copy.message} to {copy.receiver}): the alert names {author.sender}", sdp.ts)
            self._forwarded_keys(copy, author, hops - 1)

    def _exposure(self, ev: ExposureProven) -> None:
        """Attach the decryption proof to the keys-exposed alert of that sender and call."""
        key = (SDES_KEYS_EXPOSED, ev.call_id, ev.sender)
        alert = self.alerts.get(key)
        if alert is None:
            return
        summary = alert.summary
        if ev.decrypted and ": proven" not in summary:
            kind = "SRTCP" if ev.stream_id.endswith("/rtcp") else "SRTP"
            summary += f": proven, {ev.decrypted}/{ev.tried} of its {kind} packets decrypt"
        self.alerts[key] = replace(alert, summary=summary, stream=alert.stream or ev.stream_id,
                                   evidence=alert.evidence + ("exposure: " + ev.text,))
        self.on_alert(self.alerts[key])

    def _tls(self, ev: TlsObserved) -> None:
        if not ev.is_sip:
            return
        findings, serious = tls_findings(ev)
        if not findings:
            return
        severity = "high" if serious else self._severity(WEAK_TLS)
        self._raise(Alert(
            WEAK_TLS, severity, ev.server, ev.client, None, None,
            f"SIP-TLS server {ev.server}:{ev.server_port}: " + "; ".join(f.split(":")[0] for f in findings),
            tuple(findings) + (ev.sip_reason,), ev.ts, (WEAK_TLS, ev.server, ev.server_port)))

    def _handshake(self, ev: TlsHandshake) -> None:
        recent = self.handshakes.setdefault((ev.server, ev.server_port), deque())
        recent.append((ev.ts, ev.client))
        while recent and recent[0][0] < ev.ts - self.settings.storm_window:
            recent.popleft()
        if len(recent) < self.settings.storm_handshakes or (TLS_RECONNECT_STORM, ev.server, ev.server_port) in self.alerts:
            return                      # a raised storm is not described again for every handshake of it
        clients = len({client for _, client in recent})
        self._raise(Alert(
            TLS_RECONNECT_STORM, self._severity(TLS_RECONNECT_STORM), ev.server, None, None, None,
            f"{len(recent)} TLS handshakes to {ev.server}:{ev.server_port} within {self.settings.storm_window:g} s "
            f"from {clients} client(s)",
            (f"tls: {len(recent)} ClientHellos in {ev.ts - recent[0][0]:.1f} s (threshold "
             f"{self.settings.storm_handshakes} in {self.settings.storm_window:g} s)",),
            recent[0][0], (TLS_RECONNECT_STORM, ev.server, ev.server_port)))

    def _signaling(self, ev: SignalingObserved) -> None:
        if ev.transport not in CLEARTEXT_TRANSPORTS:
            self.tls_parties.update((ev.client, ev.server))
            return
        self._raise(Alert(
            CLEARTEXT_SIGNALING, self._severity(CLEARTEXT_SIGNALING), ev.client, ev.server, None, None,
            f"{ev.client} talks SIP to {ev.server}:{ev.server_port} without TLS ({ev.transport.upper()})",
            (f"sip: over {ev.transport} port {ev.server_port}",), ev.ts,
            (CLEARTEXT_SIGNALING, ev.client, ev.server, ev.server_port, ev.transport)))

    # -- bookkeeping -------------------------------------------------------------------------
    def _severity(self, alert_type: str) -> str:
        return self.settings.severities.get(alert_type, DEFAULT_SEVERITIES.get(alert_type, "medium"))

    def describe(self, ip: str) -> str:
        """The endpoint's device class, the configured hard-phone rules applied."""
        return self.settings.rules.classify(ip, self.describe_endpoint(ip))["device_class"]

    def _raise(self, alert: Alert) -> None:
        if alert.key in self.alerts:
            return
        reason = self._held_back(alert)
        if reason is not None:
            self.held_back[reason] = self.held_back.get(reason, 0) + 1
            return
        self.alerts[alert.key] = alert
        if alert.stream or alert.call_id:
            self.call_alerts[alert.key] = None
        self._within_limit()
        self.on_alert(alert)

    def _within_limit(self) -> None:
        """Beyond the limit the oldest alert goes (it is in the store when there is one): one about a
        stream or call first, as those are over once their call is; an endpoint's or a server's alert
        (SIP without TLS, weak TLS) stays, or its next connection would raise it again."""
        limit = self.settings.max_alerts or MAX_ALERTS
        while len(self.alerts) > limit:
            oldest = next(iter(self.call_alerts), None)
            if oldest is None:
                oldest = next(iter(self.alerts))
            self._withdraw(oldest)
            self.alerts_dropped += 1

    def _held_back(self, alert: Alert) -> str | None:
        rules = self.settings.rules
        exemption = rules.exemption(alert.endpoint, alert.type)
        if exemption is not None:
            return f"exempt: {exemption.reason}"
        device_class = self.describe(alert.endpoint)
        return None if rules.alerts_on(device_class) else f"device class {device_class} does not alert"

    def _retract(self, key: tuple, reason: str, ts: float) -> None:
        """Withdraw an alert proved wrong, and tell the caller if it had been raised."""
        alert = self.alerts.get(key)
        self._withdraw(key)
        if alert is not None:
            self.on_withdraw(Withdrawal(alert, reason, ts))

    def _withdraw(self, key: tuple) -> None:
        """Forget an alert (proved wrong, or the oldest let go to bound memory)."""
        self.alerts.pop(key, None)
        self.call_alerts.pop(key, None)

    def active(self) -> list[Alert]:
        return sorted(self.alerts.values(), key=lambda a: (a.first_seen, a.type, a.endpoint))


def _remember(table: dict, key, value, limit: int) -> None:
    """`table.setdefault(key, value)` within `limit` entries: the oldest call's goes first."""
    if key in table:
        return
    if len(table) >= limit:
        del table[next(iter(table))]
    table[key] = value


def tls_findings(ev: TlsObserved) -> tuple[list[str], bool]:
    """What is weak about a SIP-TLS connection, and whether any of it is serious."""
    findings, serious = [], False
    if ev.version in OLD_TLS:
        findings.append(f"old protocol: {ev.version} (below TLS 1.2)")
        serious = True
    if ev.weak_cipher:
        findings.append(f"weak cipher: {ev.cipher} ({ev.weak_cipher})")
        serious = True
    for problem in ev.certificate_problems:
        if problem.startswith("wildcard"):
            if ev.client_rejects_wildcards:
                findings.append(f"wildcard certificate: presented to a {ev.client_vendor} phone, which rejects "
                                "wildcard certificates")
        else:
            findings.append(problem)
    if ev.alert and ev.alert.startswith("fatal"):
        findings.append(f"handshake failed: the client sent the alert {ev.alert}")
    return findings, serious


def _exposes(sdp: SdpObserved) -> bool:
    """SDES keys (a=crypto) in cleartext signaling."""
    return bool(sdp.crypto_suites) and sdp.signaling_transport in CLEARTEXT_TRANSPORTS


def _disproved(ev: StreamVerdict, min_confidence: float) -> str:
    """Why a stream's verdict withdraws its alerts, for people."""
    after = f"after {ev.packets_to_verdict} packets ({ev.source})"
    if ev.encrypted:
        keying = f", {ev.keying} keying" if ev.keying and ev.keying != "unknown" else ""
        return f"stream {ev.stream_id} proved encrypted (SRTP{keying}) {after}"
    if not ev.carries_media:
        return f"stream {ev.stream_id} carries no audio, video or DTMF {after}"
    return f"stream {ev.stream_id}: confidence {ev.confidence:.2f} fell below {min_confidence:.2f} {after}"


def _addresses(ev: StreamVerdict) -> tuple[str, str]:
    return f"{ev.dst}:{ev.dst_port}", f"{ev.src}:{ev.src_port}"
