"""What the screen parsers share: refusing a line they cannot read (quoting it), skipping what a
session's output is framed by (the echoed command, a prompt, IOS's `Load for`/`Time source` lines),
collecting one session's sources, destination and details before building the model, and
checking a session read from the configuration against the one the screen shows (`agree`).

A parser reads every line it is given: a line it does not know ends the read with
`UnreadableOutput`, so an unknown layout is refused, never half-read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.switches.drivers.cli import merge, port_sources, vlan_sources
from appliance.switches.errors import UnreadableOutput
from appliance.switches.model import MirrorSession

FRAMING = re.compile(r"(?ix)^\s*(?:"
                     r"\S*[#>]\s*$"                                 # a prompt alone
                     r"|(?:[^\s#>]*\s*[#>]\s*)?(?:do\s+)?(?:sh|show)\s.*"  # the echoed command, with or without its prompt
                     r"|.*%UNICON-INFO:.*"                          # a pyATS/Unicon capture's log line
                     r"|Load\ for\ five\ secs:.*|Time\ source\ is\ .*"  # IOS's exec banner lines
                     r"|\{(?:master|backup|linecard)[^}]*\}"          # Junos's virtual-chassis member line
                     r")\s*$")


def refuse(platform: str, line: str, why: str = "a line the driver does not know") -> UnreadableOutput:
    return UnreadableOutput(f"{platform}: cannot read the switch's output ({why}): {line.strip()[:160]!r}")


def framing(line: str) -> bool:
    """Blank, or part of the frame around a show command's output rather than the output."""
    return not line.strip() or bool(FRAMING.match(line))


@dataclass
class Draft:
    """One session as its lines are read: sources by direction, destination, and the details the
    model keeps in `extra` (type, state, marker, filters, why it is not a session the appliance manages)."""
    key: str
    ports: dict = field(default_factory=dict)
    vlans: dict = field(default_factory=dict)
    destinations: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def port(self, name: str, direction: str) -> None:
        merge(self.ports, name, direction)

    def vlan(self, vid: int, direction: str) -> None:
        merge(self.vlans, vid, direction)

    def filter(self, label: str, value: str) -> None:
        self.extra.setdefault("filters", {})[label] = value

    def unmanaged(self, why: str) -> None:
        self.extra.setdefault("unmanaged", why)

    def build(self, name: str, number: int) -> MirrorSession:
        if len(self.destinations) > 1:
            self.unmanaged(f"{len(self.destinations)} destination ports")
        destination = self.destinations[0] if self.destinations else ""
        return MirrorSession(port_sources(self.ports), vlan_sources(self.vlans), destination, name, number,
                             dict(self.extra))


def unset(value: str) -> bool:
    """The placeholders switches print for an empty field."""
    return value.strip().lower() in ("", "none", "-", "n/a", "filter not specified", "acl-name not specified",
                                     "not specified")


def strict_vlans(platform: str, text: str) -> list[int]:
    """`100,200-202` or `100 200` -> the ids; UnreadableOutput when an item is not a VLAN id or range."""
    found = []
    for item in re.split(r"[\s,]+", text.strip()):
        low, _, high = item.partition("-")
        if not (low.isdigit() and (not high or high.isdigit())) or not 1 <= int(low) <= int(high or low) <= 4095:
            raise refuse(platform, text, f"{item!r} is not a VLAN id")
        found += range(int(low), int(high or low) + 1)
    return found


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" or word[:2].upper() in ("ER", "RS") else "a"


def agree(platform: str, configured: Draft | None, shown: Draft | None) -> Draft | None:
    """The configured session with the screen's state; refused when the two tell different stories."""
    if configured is None and shown is None:
        return None
    if configured is None or shown is None:
        held, missing = ("the configuration", "the show command") if shown is None else \
            ("the show command", "the configuration")
        raise refuse(platform, f"session {(configured or shown).key}",
                     f"{held} holds the session but {missing} does not")
    for label, mine, theirs in (("sources", configured.ports, shown.ports), ("VLANs", configured.vlans, shown.vlans),
                                ("destination", sorted(configured.destinations), sorted(shown.destinations))):
        if mine != theirs:
            raise refuse(platform, f"session {configured.key}",
                         f"the configuration's {label} {mine} differ from the show command's {theirs}")
    extra = {**shown.extra, **configured.extra}
    if configured.extra.get("admin") == "disabled" and "state" not in shown.extra:
        extra["state"] = "disabled"
    extra.pop("admin", None)
    for key in ("filters", "unmanaged"):
        if shown.extra.get(key) and not configured.extra.get(key):
            extra[key] = shown.extra[key]
    return Draft(configured.key, configured.ports, configured.vlans, configured.destinations, extra)
