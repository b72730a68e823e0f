"""Arista EOS read back from the configuration: the `monitor session NAME ...` lines of `show
running-config | section monitor session` (tests/switch/fixtures/arista_eos/avd_monitor_sessions.cfg
holds the forms EOS writes: port lists and ranges, per-source ACLs, `destination Cpu`, `sample`,
`truncate`, GRE encapsulation). What is configured comes from here; `show monitor session NAME`
adds the state and must agree (`screen.agree`). A statement it does not know is refused, quoted."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word
from appliance.switches.drivers.screen import Draft, framing, refuse, strict_vlans

PLATFORM = "arista_eos"
LINE = re.compile(r"^monitor session (\S+) (.+?)\s*$")
SOURCE = re.compile(r"^source (.+?)(?:\s+(rx|tx|both))?(?:\s+((?:ip|ipv6|mac) access-group \S+)(?: priority \d+)?)?$")
DETAILS = re.compile(r"^(?:header remove size \d+|encapsulation gre metadata (?:tx|rx)|rate-limit .+)$")
NARROWING = re.compile(r"^(?:(?:ip|ipv6|mac) access-group \S+|sample \d+|truncate(?: size \d+)?)$")
ITEM = re.compile(r"^([A-Za-z-]+?)(\d+(?:/\d+)*)(?:-(\d+))?$")


def sessions(text: str, port_name) -> dict[str, Draft]:
    found = {}
    for line in text.splitlines():
        if framing(line) or line.strip() in ("!", "end") or not line.startswith("monitor session "):
            continue                         # other sections `| section` lets through, comments
        statement = LINE.match(line)
        if statement is None:
            raise refuse(PLATFORM, line, "a `monitor session` line without a statement")
        name, rest = statement.groups()
        draft = found.setdefault(name, Draft(name, extra={"marker": name}))
        _statement(draft, rest, line, port_name)
    return found


def _statement(draft: Draft, rest: str, line: str, port_name) -> None:
    source = SOURCE.match(rest)
    if source:
        listing, direction, acl = source.groups()
        if not expand(listing):
            raise refuse(PLATFORM, line, "a source without a port")
        for item in expand(listing):
            vlan = re.match(r"(?i)^vlan(\d+)$", item)
            if vlan:
                draft.vlan(strict_vlans(PLATFORM, vlan.group(1))[0], direction_word(direction or "both"))
            else:
                draft.port(port_name(item), direction_word(direction or "both"))
                if acl:
                    draft.filter(f"{port_name(item)} {acl.rsplit(' ', 1)[0]}", acl.rsplit(" ", 1)[1])
    elif rest.startswith("destination "):
        target = rest.split(" ", 1)[1].strip()
        if not target:
            raise refuse(PLATFORM, line, "a destination without a port")
        if target.startswith("tunnel "):
            draft.unmanaged(f"a GRE mirror ({target})")
        else:
            for item in expand(target):
                draft.destinations.append(port_name(item))
                if item.lower() == "cpu":
                    draft.unmanaged("a mirror to the CPU")
    elif NARROWING.match(rest):
        draft.filter(rest.rsplit(" ", 1)[0] if " " in rest else rest, rest.rsplit(" ", 1)[-1])
    elif DETAILS.match(rest):
        draft.extra.setdefault("details", {})[rest.rsplit(" ", 1)[0]] = rest.rsplit(" ", 1)[1]
    else:
        raise refuse(PLATFORM, line, "a `monitor session` statement the driver does not know")


def expand(listing: str) -> list[str]:
    """`Ethernet3, Ethernet5` and `Ethernet10-15` -> each port."""
    ports = []
    for item in (part.strip() for part in listing.split(",") if part.strip()):
        found = ITEM.match(item)
        if found and found.group(3):
            stem = found.group(1) + found.group(2).rpartition("/")[0] + ("/" if "/" in found.group(2) else "")
            low = int(found.group(2).rpartition("/")[2])
            ports += [f"{stem}{n}" for n in range(low, int(found.group(3)) + 1)]
        else:
            ports.append(item)
    return ports
