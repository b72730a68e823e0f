"""IOS and NX-OS read back from the configuration: the lines of `monitor session N` in `show
running-config | section monitor session` (IOS one-liners or a `type` block) and `show
running-config monitor` (NX-OS block). What is configured comes from here; the `show monitor
session` screen adds the operational state, and the two must agree (`screen.agree`), or the read
is refused. A configuration line this module does not know is refused, quoted."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word
from appliance.switches.drivers.screen import Draft, article, refuse, strict_vlans

COMMENT = re.compile(r"^\s*(?:!.*|version\s.*|Building configuration.*|Current configuration.*|end)?\s*$")
SESSION = re.compile(r"^monitor session (\d+)(?:\s+(.*))?$")
DIRECTION = re.compile(r"^(.*?)(?:\s+(rx|tx|both))?$")
MANAGED_TYPES = ("local",)
ERSPAN_LINES = re.compile(r"^(?:erspan-id|ip |origin |vrf |destination(?: ip)?\b|mtu|header-type|marker-packet"
                          r"|ip ttl|ip dscp|source\b|mode |ssn direction)")


def ios(text: str, number: int, port_name) -> Draft | None:
    return _read(text, number, port_name, "cisco_ios")


def nxos(text: str, number: int, port_name) -> Draft | None:
    return _read(text, number, port_name, "cisco_nxos")


def _read(text: str, number: int, port_name, platform: str) -> Draft | None:
    draft, inside = None, False
    for line in text.splitlines():
        if COMMENT.match(line) or _echo(line):
            continue
        session = SESSION.match(line)
        if session:
            inside = int(session.group(1)) == number
            if inside:
                draft = draft or Draft(str(number))
                if session.group(2):
                    _statement(draft, session.group(2).strip(), line, port_name, platform)
        elif line.startswith((" ", "\t")):
            if inside:
                _statement(draft, line.strip(), line, port_name, platform)
        else:
            inside = False                  # another stanza (an interface, `monitor erspan origin`, ...)
    return draft


def _echo(line: str) -> bool:
    return re.match(r"^\s*(?:[^\s#>]*\s*[#>]\s*)?(?:sh|show)\s", line) is not None


ARGUMENTS = {("type",): 2, ("source", "interface"): 3, ("source", "vlan"): 3, ("destination", "interface"): 3,
             ("filter",): 3, ("description",): 2}


def _statement(draft: Draft, statement: str, line: str, port_name, platform: str) -> None:
    words = statement.split()
    if any(tuple(words[:len(key)]) == key and len(words) < count for key, count in ARGUMENTS.items()):
        raise refuse(platform, line, "a `monitor session` statement without its argument")
    if words[0] == "type":
        draft.extra["type"] = words[1]
        if words[1] not in MANAGED_TYPES:
            draft.unmanaged(f"{article(words[1])} {words[1]} session")
    elif words[:2] == ["source", "interface"]:
        _sources(draft, " ".join(words[2:]), "port", port_name, line, platform)
    elif words[:2] == ["source", "vlan"]:
        _sources(draft, " ".join(words[2:]), "vlan", port_name, line, platform)
    elif words[:2] == ["destination", "interface"]:
        ports = re.split(r"\s+(?:encapsulation|ingress)\b", " ".join(words[2:]))[0]
        draft.destinations += [port_name(port) for port in expand(ports)]
    elif words[:2] in (["destination", "remote"], ["source", "remote"]):
        draft.unmanaged(f"an RSPAN session ({statement})")
    elif words[0] == "filter":
        draft.filter(" ".join(words[:-1]), words[-1])
    elif words[0] == "description":
        draft.extra["marker"] = statement.partition(" ")[2]
    elif statement in ("shut", "shutdown"):
        draft.extra["admin"] = "disabled"
    elif statement in ("no shut", "no shutdown"):
        draft.extra["admin"] = "enabled"
    elif draft.extra.get("unmanaged") and ERSPAN_LINES.match(statement):
        draft.extra.setdefault("details", {})[words[0]] = statement
    else:
        raise refuse(platform, line, "a `monitor session` statement the driver does not know")


def _sources(draft: Draft, text: str, kind: str, port_name, line: str, platform: str) -> None:
    listing, direction = DIRECTION.match(text).groups()
    direction = direction_word(direction or "both")
    if listing.strip() == "all":
        draft.unmanaged(f"an all-interfaces source ({direction})")
    elif kind == "vlan":
        for vid in strict_vlans(platform, re.sub(r"\s*-\s*", "-", listing)):
            draft.vlan(vid, direction)
    else:
        for port in expand(listing):
            draft.port(port_name(port), direction)


def expand(listing: str) -> list[str]:
    """`Gi1/0/1 - 3 , Gi1/0/5` (how IOS writes ranges in its configuration) -> each port."""
    ports = []
    for item in (part.strip() for part in listing.split(",") if part.strip()):
        found = re.match(r"^(.*?)(\d+)\s*-\s*(\d+)$", item)
        if found and not found.group(1).endswith("-"):
            ports += [f"{found.group(1).strip()}{n}" for n in range(int(found.group(2)), int(found.group(3)) + 1)]
        else:
            ports += item.split()
    return ports
