"""The one mirror-session model every driver renders commands from and parses its switch's output
into: source ports with a direction, source VLANs with a direction, one destination port.

A session is ours when it carries the fixed name `VOIPWATCH` (or the fixed number 7 on platforms that
number sessions, marked with the name where the platform has a description or comment field)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from appliance.errors import UsageError

DIRECTIONS = ("rx", "tx", "both")
SESSION_NAME = "VOIPWATCH"
SESSION_NUMBER = 7


@dataclass(frozen=True, order=True)
class PortSource:
    port: str
    direction: str = "both"

    def __str__(self) -> str:
        return f"{self.port}:{self.direction}"


@dataclass(frozen=True, order=True)
class VlanSource:
    vlan: int
    direction: str = "rx"           # rx: `both` on a VLAN duplicates routed frames (SPAN.md)

    def __str__(self) -> str:
        return f"{self.vlan}:{self.direction}"


@dataclass(frozen=True)
class MirrorSession:
    sources: tuple[PortSource, ...] = ()
    vlans: tuple[VlanSource, ...] = ()
    destination: str = ""
    name: str = SESSION_NAME
    number: int = SESSION_NUMBER
    # what a driver read besides the above: "state" (e.g. "up", "disabled"), "marker", "type", "filters"
    # {label: value} (they narrow what is mirrored), "unmanaged" (why it is not a session the appliance
    # creates: RSPAN, ERSPAN, all interfaces, ...), "details" (platform fields kept for the record)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def build(cls, sources: list[str], vlans: list[str], destination: str, *,
              name: str = SESSION_NAME, number: int = SESSION_NUMBER) -> "MirrorSession":
        """From the CLI's `PORT[:rx|tx|both]` and `VID[:dir]` arguments; UsageError when malformed."""
        if not sources and not vlans:
            raise UsageError("a mirror needs at least one --source port or --source-vlan")
        if not destination or not destination.strip():
            raise UsageError("a mirror needs a --destination port (the port the appliance listens on)")
        ports = tuple(_port_source(text) for text in sources)
        vids = tuple(_vlan_source(text) for text in vlans)
        destination = _port_source(destination).port
        if any(p.port == destination for p in ports):
            raise UsageError(f"the destination {destination} cannot also be a source")
        return cls(_dedupe(ports), _dedupe(vids), destination, name, number)

    def normalised(self, port_name=lambda port: port) -> "MirrorSession":
        """Sorted, deduplicated, ports through `port_name` (a driver's canonical spelling), for comparing."""
        sources = {}
        for source in self.sources:
            port = port_name(source.port)
            sources[port] = _merge(sources.get(port), source.direction)
        vlans = {}
        for vlan in self.vlans:
            vlans[vlan.vlan] = _merge(vlans.get(vlan.vlan), vlan.direction)
        return replace(self, sources=tuple(PortSource(p, d) for p, d in sorted(sources.items())),
                       vlans=tuple(VlanSource(v, d) for v, d in sorted(vlans.items())),
                       destination=port_name(self.destination) if self.destination else "", extra={})

    def differences(self, other: "MirrorSession", port_name=lambda port: port) -> list[str]:
        """What differs between this (wanted) session and `other` (read back), in words; [] when equal."""
        mine, theirs = self.normalised(port_name), other.normalised(port_name)
        found = []
        for label, wanted, seen in (("source ports", mine.sources, theirs.sources),
                                    ("source VLANs", mine.vlans, theirs.vlans)):
            if wanted != seen:
                found.append(f"{label}: wanted {_listing(wanted)}, switch has {_listing(seen)}")
        if mine.destination != theirs.destination:
            found.append(f"destination: wanted {mine.destination or '-'}, switch has {theirs.destination or '-'}")
        return found

    def to_dict(self) -> dict:
        return {"name": self.name, "number": self.number, "sources": [str(s) for s in self.sources],
                "source_vlans": [str(v) for v in self.vlans], "destination": self.destination}

    @classmethod
    def from_dict(cls, data: dict) -> "MirrorSession":
        return cls(tuple(_port_source(s) for s in data.get("sources", ())),
                   tuple(_vlan_source(v) for v in data.get("source_vlans", ())),
                   data.get("destination", ""), data.get("name", SESSION_NAME),
                   int(data.get("number", SESSION_NUMBER)))


def _port_source(text: str) -> PortSource:
    port, _, direction = text.strip().rpartition(":") if ":" in text else (text.strip(), "", "both")
    direction = direction.lower() or "both"
    if not port or direction not in DIRECTIONS:
        raise UsageError(f"a source is PORT[:rx|tx|both], not {text!r}")
    if any(ch.isspace() for ch in port) or any(ch in port for ch in ";|&$`'\"\\"):
        raise UsageError(f"a port name has no spaces or shell characters: {port!r}")
    return PortSource(port, direction)


def _vlan_source(text: str) -> VlanSource:
    vid, _, direction = text.strip().partition(":")
    direction = direction.lower() or "rx"
    if not vid.isdigit() or not 1 <= int(vid) <= 4094 or direction not in DIRECTIONS:
        raise UsageError(f"a source VLAN is VID[:rx|tx|both] with VID 1-4094, not {text!r}")
    return VlanSource(int(vid), direction)


def _merge(old: str | None, new: str) -> str:
    return new if old in (None, new) else "both"


def _dedupe(items: tuple) -> tuple:
    return tuple(dict.fromkeys(items))


def _listing(items) -> str:
    return ", ".join(str(item) for item in items) or "none"
