"""Unidirectional flows keyed by 5-tuple, with idle expiry and a hard size limit.

A flow is decided early (media, SIP, TLS, other) and then only counted, as nDPI does.
"""
from __future__ import annotations

from collectors.decode.packet import ip_text

NEW, MEDIA, SIP, TLS, OTHER = "new", "media", "sip", "tls", "other"
IDLE_TIMEOUT = 60.0
MAX_FLOWS = 262144


class Flow:
    __slots__ = ("key", "transport", "src", "dst", "sport", "dport", "first_seen", "last_seen", "packets",
                 "bytes", "state", "detector", "rtp", "rtcp", "binding", "stun", "dtls", "zrtp", "turn",
                 "non_media", "serial", "app", "keying_hint", "zrtp_messages", "evidence")

    def __init__(self, key: tuple, transport: str, ts: float, serial: int):
        self.key = key
        self.transport = transport
        src, sport, dst, dport = key
        self.src, self.dst, self.sport, self.dport = ip_text(src), ip_text(dst), sport, dport
        self.first_seen = self.last_seen = ts
        self.packets = self.bytes = 0
        self.state = NEW
        self.detector = None     # RtpDetector while deciding
        self.rtp = None          # StreamState of the RTP part
        self.rtcp = None         # StreamState of the RTCP part (own port, or muxed)
        self.binding = None      # SDP binding (collectors.sip.calls.Binding)
        self.stun = self.dtls = self.zrtp = self.turn = self.non_media = 0
        self.keying_hint = None  # "dtls-srtp" | "dtls" | "zrtp": key exchange seen on this 5-tuple
        self.zrtp_messages: tuple[str, ...] = ()   # ZRTP message types seen, in order
        self.evidence: list | None = []  # first frames (ts, linktype, bytes) while RTP-shaped; None once sent
        self.serial = serial     # >0 when this 5-tuple was used before and expired
        self.app = None          # per-application state (SIP TCP stream, TLS observer ...)

    def stream_id(self, kind: str) -> str:
        base = f"{self.transport}:{self.src}:{self.sport}-{self.dst}:{self.dport}/{kind}"
        return base if not self.serial else f"{base}#{self.serial}"


class FlowTable:
    """Flows by key; `sweep` expires idle ones and hands them to `on_expire` (bounded memory)."""

    def __init__(self, transport: str, on_expire, idle_timeout: float = IDLE_TIMEOUT,
                 max_flows: int = MAX_FLOWS):
        self.transport = transport
        self.flows: dict[tuple, Flow] = {}
        self.on_expire = on_expire
        self.idle_timeout = idle_timeout
        self.max_flows = max_flows
        self.serials: dict[tuple, int] = {}
        self.evicted = 0

    def create(self, key: tuple, ts: float) -> Flow:
        if len(self.flows) >= self.max_flows:
            self._evict(ts)
        serial = self.serials.get(key, 0)
        flow = self.flows[key] = Flow(key, self.transport, ts, serial)
        return flow

    def sweep(self, now: float) -> None:
        limit = now - self.idle_timeout
        idle = [key for key, flow in self.flows.items() if flow.last_seen < limit]
        for key in idle:
            self._retire(key)

    def _retire(self, key: tuple) -> None:
        flow = self.flows.pop(key)
        if flow.rtp is not None or flow.rtcp is not None:
            self.serials[key] = flow.serial + 1
            if len(self.serials) > self.max_flows:      # a flood of short streams: forget the oldest
                del self.serials[next(iter(self.serials))]
        self.on_expire(flow)

    def _evict(self, now: float) -> None:
        """Table full (a flood of one-packet flows): free an eighth of it, the undecided and unimportant
        first, then idle flows, then the idlest of the rest (a flood of one-packet RTCP reports is all
        decided media: without this the table grew past `max_flows`, scanned whole on every new flow)."""
        room = max(1, self.max_flows // 8)
        victims = [k for k, f in self.flows.items() if f.state in (NEW, OTHER)]
        victims.sort(key=lambda k: self.flows[k].last_seen)
        for key in victims[:room]:
            self._retire(key)
            self.evicted += 1
        if len(self.flows) > self.max_flows - room:
            self.sweep(now)
        excess = len(self.flows) - (self.max_flows - room)
        if excess > 0:
            for key in sorted(self.flows, key=lambda k: self.flows[k].last_seen)[:excess]:
                self._retire(key)
                self.evicted += 1

    def retire_all(self) -> None:
        for key in list(self.flows):
            self._retire(key)
