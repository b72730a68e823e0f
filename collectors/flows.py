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


SHRINK_AFTER = 64        # entries removed from a table (beyond twice those left) before it is shrunk


class _Rare:
    """A flow's fields most flows never set (one object for the few that do, instead of a slot each)."""
    __slots__ = ("detector", "stun", "dtls", "zrtp", "turn", "non_media", "serial", "app", "keying_hint",
                 "zrtp_messages")

    def __init__(self):
        for name, default in RARE_DEFAULTS.items():
            setattr(self, name, default)

    def is_default(self) -> bool:
        return all(getattr(self, name) == default for name, default in RARE_DEFAULTS.items())


RARE_DEFAULTS = {
    "detector": None,        # RtpDetector while deciding
    "stun": 0, "dtls": 0, "zrtp": 0, "turn": 0,   # RFC 7983 demultiplexed packets on the media 5-tuple
    "non_media": 0,
    "serial": 0,             # >0 when this 5-tuple was used before and expired
    "app": None,             # per-application state (SIP TCP stream, TLS observer ...)
    "keying_hint": None,     # "dtls-srtp" | "dtls" | "zrtp": key exchange seen on this 5-tuple
    "zrtp_messages": (),     # ZRTP message types seen, in order
}


class _RareField:
    """`flow.NAME` for a field kept in the flow's `_Rare`, made on the first value other than its default."""

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.default = name, RARE_DEFAULTS[name]

    def __get__(self, flow, owner=None):
        if flow is None:
            return self
        rare = flow._rare
        return self.default if rare is None else getattr(rare, self.name)

    def __set__(self, flow, value) -> None:
        rare = flow._rare
        default = value is self.default or (type(value) is type(self.default) and value == self.default)
        if rare is None:
            if default:
                return
            rare = flow._rare = _Rare()
        setattr(rare, self.name, value)
        if default and rare.is_default():       # e.g. an RTP flow's detector, done deciding
            flow._rare = None


class Flow:
    """One direction of a 5-tuple. Slots for what every flow holds (a flow is 152 B; a slot each for the
    ten fields of `_Rare` made it 240 B, and most flows are SIP, TLS, or settled RTP that never set one)."""

    __slots__ = ("key", "transport", "src", "dst", "first_seen", "last_seen", "packets", "bytes", "state",
                 "rtp", "rtcp", "binding", "evidence", "quiet", "_rare")

    detector = _RareField()
    stun, dtls, zrtp, turn, non_media = _RareField(), _RareField(), _RareField(), _RareField(), _RareField()
    serial = _RareField()
    app = _RareField()
    keying_hint = _RareField()
    zrtp_messages = _RareField()

    def __init__(self, key: tuple, transport: str, ts: float, serial: int):
        self.key = key
        self.transport = transport
        # one string per address, shared by all its flows (a phone has four per call)
        self.src, self.dst = sys.intern(ip_text(key[0])), sys.intern(ip_text(key[2]))
        self.first_seen = self.last_seen = ts
        self.packets = self.bytes = 0
        self.state = NEW
        self.rtp = None          # StreamState of the RTP part
        self.rtcp = None         # StreamState of the RTCP part (own port, or muxed)
        self.binding = None      # SDP binding (collectors.sip.calls.Binding)
        self.evidence: list | tuple | None = NO_FRAMES  # first frames (ts, linktype, bytes) while RTP-shaped
                                 # (a list from the first one on); None once sent or not wanted
        self.quiet = False       # compacted after QUIET seconds without a packet
        self._rare = None
        if serial:
            self.serial = serial

    @property
    def sport(self) -> int:
        return self.key[1]

    @property
    def dport(self) -> int:
        return self.key[3]

    def compact(self) -> None:
        """Quiet for QUIET seconds: its streams keep their counters in flat form, and first frames that
        could only ever be offered as an RTP stream's evidence go when the flow has no RTP stream
        (RTCP on its own port, or decided not media)."""
        self.quiet = True
        for stream in (self.rtp, self.rtcp):
            if stream is not None:
                _share_numbers(self, stream)
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
        """The key with one bytes object per address, shared by the flows of an endpoint. Ports (an int
        object of 32 B above 256) are shared with the flow of the other direction when it is there, and
        within the key when both are the same (5060 to 5060): a table of ports would outlive the two
        flows that could share one."""
        src, sport, dst, dport = key
        reverse = self.flows.get((dst, dport, src, sport))
        if reverse is not None:
            dst, dport, src, sport = reverse.key
            return src, sport, dst, dport
        shared = self.addresses
        if len(shared) > MAX_SHARED_ADDRESSES:
            shared.clear()               # flows keep theirs; later ones share anew
        return shared.setdefault(src, src), sport, shared.setdefault(dst, dst), sport if dport == sport else dport

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


def shrunk(table: dict, removed: int) -> int:
    """`removed`: entries taken out of `table` since it was last shrunk. A dict keeps the hash table of its
    largest size: once most of a busy while's entries are gone (beyond twice those left, plus SHRINK_AFTER),
    the same dict (bound methods and other holders stay valid) gets a table for what is left. Returns the
    count to keep."""
    if removed <= 2 * len(table) + SHRINK_AFTER:
        return removed
    kept = list(table.items())
    table.clear()
    table.update(kept)
    return 0


def _share_numbers(flow: Flow, stream) -> None:
    """A stream's counters and times equal to its flow's (a flow that carries one stream and nothing else)
    become the flow's objects: an int above 256 is 32 B, a float 24 B."""
    if stream.packets == flow.packets:
        stream.packets = flow.packets
    if stream.bytes == flow.bytes:
        stream.bytes = flow.bytes
    if stream.first_seen == flow.first_seen:
        stream.first_seen = flow.first_seen
    if stream.last_seen == flow.last_seen:
        stream.last_seen = flow.last_seen


def _reuse_key(key: tuple) -> bytes:
    """A flow key as one bytes object: one entry per media 5-tuple ever ended is kept all day, and
    the key's tuple and port ints cost ~90 B more than this (bench.memory's day)."""
    src, sport, dst, dport = key
    return src + dst + PORTS.pack(sport, dport)
