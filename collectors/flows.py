"""Unidirectional flows keyed by 5-tuple, with idle expiry and a hard size limit.

A flow is decided early (media, SIP, TLS, other) and then only counted, as nDPI does. A flow quiet for
QUIET seconds (a call that ended, waiting for its idle timeout) is compacted: what only a sending or
undecided stream needs is let go (`Flow.compact`, and the table's `on_quiet` hook for state kept
elsewhere); a packet brings back what it needs.
"""
from __future__ import annotations

import struct
import sys

from collectors.decode.packet import ip_text

NEW, MEDIA, SIP, TLS, OTHER = "new", "media", "sip", "tls", "other"
IDLE_TIMEOUT = 60.0
QUIET = 10.0             # seconds without a packet before a flow is compacted (> MediaTracker's REBIND_IDLE)
MAX_FLOWS = 262144
MAX_SHARED_ADDRESSES = 16384
PORTS = struct.Struct("!HH")
NO_FRAMES = ()           # a flow's evidence before its first frame: shared, as most flows (SIP, TLS, TCP, not
                         # media) never keep one; an empty list is 56 B a flow


class Flow:
    __slots__ = ("key", "transport", "src", "dst", "sport", "dport", "first_seen", "last_seen", "packets",
                 "bytes", "state", "detector", "rtp", "rtcp", "binding", "stun", "dtls", "zrtp", "turn",
                 "non_media", "serial", "app", "keying_hint", "zrtp_messages", "evidence", "quiet")

    def __init__(self, key: tuple, transport: str, ts: float, serial: int):
        self.key = key
        self.transport = transport
        src, sport, dst, dport = key
        # one string per address, shared by all its flows (a phone has four per call)
        self.src, self.dst, self.sport, self.dport = sys.intern(ip_text(src)), sys.intern(ip_text(dst)), sport, dport
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
        self.evidence: list | tuple | None = NO_FRAMES  # first frames (ts, linktype, bytes) while RTP-shaped
                                 # (a list from the first one on); None once sent or not wanted
        self.serial = serial     # >0 when this 5-tuple was used before and expired
        self.app = None          # per-application state (SIP TCP stream, TLS observer ...)
        self.quiet = False       # compacted after QUIET seconds without a packet

    def compact(self) -> None:
        """Quiet for QUIET seconds: its streams keep their counters in flat form, and first frames that
        could only ever be offered as an RTP stream's evidence go when the flow has no RTP stream
        (RTCP on its own port, or decided not media)."""
        self.quiet = True
        for stream in (self.rtp, self.rtcp):
            if stream is not None:
                stream.compact()
        if self.rtp is None and self.evidence is not None and (self.rtcp is not None or self.state == OTHER):
            self.evidence = None

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
        self.serials: dict[bytes, int] = {}     # packed 5-tuple (`_reuse_key`) of retired media flows -> next serial
        self.evicted = 0
        self.on_quiet = None     # called with a flow once it has been quiet for QUIET seconds
        self.addresses: dict[bytes, bytes] = {}    # packed address -> the one object its flows share

    def create(self, key: tuple, ts: float) -> Flow:
        if len(self.flows) >= self.max_flows:
            self._evict(ts)
        key = self._shared_addresses(key)
        serial = self.serials.get(_reuse_key(key), 0) if self.serials else 0
        flow = self.flows[key] = Flow(key, self.transport, ts, serial)
        return flow

    def _shared_addresses(self, key: tuple) -> tuple:
        """The key with one bytes object per address, shared by the flows of an endpoint (ports are not:
        an entry here would outlive the two flows that could share one)."""
        shared = self.addresses
        if len(shared) > MAX_SHARED_ADDRESSES:
            shared.clear()               # flows keep theirs; later ones share anew
        src, sport, dst, dport = key
        return shared.setdefault(src, src), sport, shared.setdefault(dst, dst), dport

    def sweep(self, now: float) -> None:
        limit, quiet = now - self.idle_timeout, now - QUIET
        idle = []
        for key, flow in self.flows.items():
            last = flow.last_seen
            if last < quiet:
                if last < limit:
                    idle.append(key)
                elif not flow.quiet:
                    self._quieten(flow)
            elif flow.quiet:
                flow.quiet = False       # it sent again (counted by the fast path): compacted again when quiet
        for key in idle:
            self._retire(key)

    def _quieten(self, flow: Flow) -> None:
        if self.on_quiet is not None:
            self.on_quiet(flow)
        flow.compact()

    def _retire(self, key: tuple) -> None:
        flow = self.flows.pop(key)
        if flow.rtp is not None or flow.rtcp is not None:
            reuse = _reuse_key(key)
            self.serials.pop(reuse, None)               # the most recently ended last
            self.serials[reuse] = flow.serial + 1
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


def _reuse_key(key: tuple) -> bytes:
    """A flow key as one bytes object: one entry per media 5-tuple ever ended is kept all day, and
    the key's tuple and port ints cost ~90 B more than this (bench.memory's day)."""
    src, sport, dst, dport = key
    return src + dst + PORTS.pack(sport, dport)
