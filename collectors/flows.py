"""Unidirectional flows keyed by 5-tuple, with idle expiry and a hard size limit.

A flow's key is one bytes object (`flow_key`): source address, destination address, source and destination
port (!HH), which for IPv4 is the frame's bytes 26-38, the fast path's key. A tuple of two addresses and two
port ints held ~100 B more per flow (the tuple, and a 32-B int object per port above 256).

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
PORTS = struct.Struct("!HH")
NO_FRAMES = ()           # a flow's evidence before its first frame: shared, as most flows (SIP, TLS, TCP, not
                         # media) never keep one; an empty list is 56 B a flow


def flow_key(src: bytes, sport: int, dst: bytes, dport: int) -> bytes:
    return src + dst + PORTS.pack(sport, dport)


def key_parts(key: bytes) -> tuple[bytes, int, bytes, int]:
    """(src, sport, dst, dport) of a flow key."""
    n = (len(key) - 4) >> 1
    sport, dport = PORTS.unpack_from(key, n + n)
    return key[:n], sport, key[n:n + n], dport


def address_text(packed: bytes) -> str:
    """`ip_text`, interned (one string per address: its flows' and its endpoint's). IPv4 is formatted here:
    inet_ntop's printf took ~2,000 instructions an address, and a flow's text is read for every event."""
    if len(packed) == 4:
        return sys.intern("%d.%d.%d.%d" % (packed[0], packed[1], packed[2], packed[3]))
    return sys.intern(ip_text(packed))


def reverse_key(key: bytes) -> bytes:
    """The key of the other direction of the 5-tuple."""
    if len(key) == 12:
        return key[4:8] + key[:4] + key[10:] + key[8:10]
    n = (len(key) - 4) >> 1
    return key[n:n + n] + key[:n] + key[n + n + 2:] + key[n + n:n + n + 2]


def shifted_key(key: bytes, step: int) -> bytes | None:
    """The key with both ports `step` away (RTCP one port above RTP), None past the port range."""
    n = len(key) - 4
    sport, dport = ((key[n] << 8) | key[n + 1]) + step, ((key[n + 2] << 8) | key[n + 3]) + step
    if not (0 <= sport <= 0xFFFF and 0 <= dport <= 0xFFFF):
        return None
    return key[:n] + PORTS.pack(sport, dport)


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
    """One direction of a 5-tuple. Slots for what every flow holds (a flow is 128 B; a slot each for the
    ten fields of `_Rare` made it 240 B, and most flows are SIP, TLS, or settled RTP that never set one).
    Its transport is its class's (`TcpFlow`), its addresses' text is read from its key."""

    __slots__ = ("key", "first_seen", "last_seen", "packets", "bytes", "state",
                 "rtp", "rtcp", "binding", "evidence", "quiet", "_rare")

    transport = "udp"

    detector = _RareField()
    stun, dtls, zrtp, turn, non_media = _RareField(), _RareField(), _RareField(), _RareField(), _RareField()
    serial = _RareField()
    app = _RareField()
    keying_hint = _RareField()
    zrtp_messages = _RareField()

    def __new__(cls, key: bytes, transport: str, ts: float, serial: int):
        if transport not in FLOW_TYPES:
            raise ValueError(f"transport {transport!r}: one of {', '.join(FLOW_TYPES)}")
        return object.__new__(FLOW_TYPES[transport])

    def __init__(self, key: bytes, transport: str, ts: float, serial: int):
        self.key = key           # `flow_key`
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
    def src(self) -> str:
        """The source address as text: one string per address, shared by its flows and endpoint."""
        key = self.key
        return address_text(key[:(len(key) - 4) >> 1])

    @property
    def dst(self) -> str:
        key = self.key
        n = (len(key) - 4) >> 1
        return address_text(key[n:n + n])

    @property
    def sport(self) -> int:
        key = self.key
        return (key[-4] << 8) | key[-3]

    @property
    def dport(self) -> int:
        key = self.key
        return (key[-2] << 8) | key[-1]

    def compact(self) -> None:
        """Quiet for QUIET seconds: its streams keep their counters in flat form, and first frames that
        could only ever be offered as an RTP stream's evidence go when the flow has no RTP stream
        (RTCP on its own port, or decided not media)."""
        self.quiet = True
        if self.rtp is not None:
            _share_numbers(self, self.rtp)
            self.rtp = self.rtp.compact()        # a QuietStream once done deciding (collectors.media.stream)
        if self.rtcp is not None:
            _share_numbers(self, self.rtcp)
            self.rtcp = self.rtcp.compact()
        if self.rtp is None and self.evidence is not None and (self.rtcp is not None or self.state == OTHER):
            self.evidence = None

    def stream_id(self, kind: str, src: str | None = None, dst: str | None = None) -> str:
        """`src`, `dst`: the flow's address text when the caller has it already."""
        base = f"{self.transport}:{src or self.src}:{self.sport}-{dst or self.dst}:{self.dport}/{kind}"
        return base if not self.serial else f"{base}#{self.serial}"


class TcpFlow(Flow):
    __slots__ = ()
    transport = "tcp"


FLOW_TYPES = {"udp": Flow, "tcp": TcpFlow}


class FlowTable:
    """Flows by key; `sweep` expires idle ones and hands them to `on_expire` (bounded memory)."""

    def __init__(self, transport: str, on_expire, idle_timeout: float = IDLE_TIMEOUT,
                 max_flows: int = MAX_FLOWS):
        self.transport = transport
        self.flows: dict[bytes, Flow] = {}      # `flow_key` -> flow
        self.on_expire = on_expire
        self.idle_timeout = idle_timeout
        self.max_flows = max_flows
        self.serials: dict[bytes, int] = {}     # key of retired media flows -> next serial
        self.evicted = 0
        self.on_quiet = None     # called with a flow once it has been quiet for QUIET seconds

    def create(self, key: bytes, ts: float) -> Flow:
        if len(self.flows) >= self.max_flows:
            self._evict(ts)
        serial = self.serials.get(key, 0) if self.serials else 0
        flow = self.flows[key] = Flow(key, self.transport, ts, serial)
        return flow

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

    def _retire(self, key: bytes) -> None:
        flow = self.flows.pop(key)
        if flow.rtp is not None or flow.rtcp is not None:
            self.serials.pop(key, None)                 # the most recently ended last
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

