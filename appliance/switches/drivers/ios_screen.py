"""Cisco IOS / IOS-XE `show monitor session N|all` read line by line, in every layout real
Catalysts and routers print (tests/switch/fixtures/cisco_ios): `Key : value` with or without
padding, direction lines indented or at the left margin, blank lines anywhere, `None` for an empty
direction (IOS-XE 17 lists every direction), `Source Subinterfaces`/`Source EFPs`, `Status : Admin
Disabled`, `Description : -`, filter and ACL lines, RSPAN and ERSPAN fields.

Only a `Local Session` is a session the appliance manages; any other type, an RSPAN VLAN, a
drop-cause source or more than one destination is kept in `extra["unmanaged"]`."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word, expand_ports
from appliance.switches.drivers.screen import Draft, article, framing, refuse, strict_vlans, unset

PLATFORM = "cisco_ios"
HEADER = re.compile(r"^\s*Session\s+(\d+)\s*$")
RULE = re.compile(r"^\s*-{3,}\s*$")
FIELD = re.compile(r"^\s*([A-Za-z][\w ./()-]*?)\s*:\s*(.*?)\s*$")
ABSENT = re.compile(r"(?i)^\s*(?:No SPAN configuration is present in the system\.?"
                    r"|%?\s*Session \d+ (?:does not exist|is not configured|not found)\.?)\s*$")
TYPES = {"local session": "local", "remote source session": "rspan-source",
         "remote destination session": "rspan-destination", "erspan source session": "erspan-source",
         "erspan destination session": "erspan-destination"}
SOURCES = {"source ports": "port", "source subinterfaces": "port", "source vlans": "vlan", "source efps": "efp"}
FILTERS = ("filter vlans", "filter sgt", "filter access-group", "ip access-group", "mac access-group",
           "ipv6 access-group")
RSPAN = ("source rspan vlan", "dest rspan vlan")
ERSPAN = ("destination ip address", "destination erspan id", "origin ip address", "source ip address",
          "source erspan id", "mtu", "ip ttl", "ip dscp", "ip prec", "vrf", "sampling rate",
          "egress span replication state", "ip qos prec", "ip qos dscp", "erspan type", "header-type",
          "erspan header-type", "source erspan id", "org ip address", "operational mode", "configured mode")
DESTINATION = ("encapsulation", "ingress", "learning", "ingress encapsulation", "ingress vlan")


def sessions(text: str, port_name) -> dict[int, Draft]:
    """Every session in the output by number; UnreadableOutput on a line this parser does not know."""
    found, draft, section = {}, None, None
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            number = int(header.group(1))
            if number in found:
                raise refuse(PLATFORM, line, f"session {number} is printed twice")
            draft = found[number] = Draft(str(number))
            section = None
        elif framing(line) or RULE.match(line):
            continue
        elif draft is None:
            if not ABSENT.match(line):
                raise refuse(PLATFORM, line, "no `Session N` header before it")
        else:
            section = _line(draft, line, section, port_name)
    return found


def _line(draft: Draft, line: str, section: str | None, port_name) -> str | None:
    field = FIELD.match(line)
    if field is None:
        raise refuse(PLATFORM, line)
    key, value = field.group(1).lower(), field.group(2)
    direction = direction_word(key) if key in ("rx only", "tx only", "both") else None
    if direction:
        if section not in SOURCES:
            raise refuse(PLATFORM, line, "a direction outside a source list")
        if not unset(value):
            _sources(draft, SOURCES[section], value, direction, port_name)
        return section
    if key in SOURCES:
        if not unset(value):
            raise refuse(PLATFORM, line, "a source list without a direction")
        return key
    if key in DESTINATION and section == "destination":
        draft.extra.setdefault("destination_options", {})[key] = value
        return section
    _field(draft, key, value, line, port_name)
    return "destination" if key == "destination ports" else None


def _sources(draft: Draft, kind: str, value: str, direction: str, port_name) -> None:
    if kind == "vlan":
        for vid in strict_vlans(PLATFORM, value):
            draft.vlan(vid, direction)
    elif kind == "efp":
        draft.unmanaged("an EFP source")
    else:
        for port in expand_ports(value):
            draft.port(port_name(port), direction)


def _field(draft: Draft, key: str, value: str, line: str, port_name) -> None:
    if key == "type":
        kind = TYPES.get(value.lower())
        if kind is None and not value.lower().endswith("session"):
            raise refuse(PLATFORM, line, "a session type this driver does not know")
        kind = kind or value.lower().removesuffix(" session").strip().replace(" ", "-")
        draft.extra["type"] = kind
        if kind != "local":
            draft.unmanaged(f"{article(value)} {value} (type {kind})")
    elif key == "status":
        state = value.lower().replace("admin ", "")
        if state not in ("enabled", "disabled"):
            raise refuse(PLATFORM, line, "a status other than Admin Enabled/Disabled")
        draft.extra["state"] = state
    elif key == "description":
        draft.extra["marker"] = "" if unset(value) else value
    elif key == "destination ports":
        draft.destinations += [port_name(port) for port in expand_ports(value) if not unset(port)]
    elif key in FILTERS:
        if not unset(value):
            draft.filter(key, value)
    elif key in RSPAN:
        if not unset(value):
            draft.unmanaged(f"an RSPAN session ({key} {value})")
    elif key in ("source drop-cause", "reflector port"):
        if not unset(value):
            draft.unmanaged(f"a {key} ({value})")
    elif key in ERSPAN:
        draft.extra.setdefault("details", {})[key] = value
    else:
        raise refuse(PLATFORM, line)
