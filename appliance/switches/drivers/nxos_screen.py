"""Cisco NX-OS `show monitor session N|all` read line by line, in the layouts real Nexus switches
print (tests/switch/fixtures/cisco_nxos): direction lines indented or at the left margin, empty
direction lists, `source exception`, `src intf all : both` (an all-interfaces source), `filter
VLANs`, `acl-name` and a `simple filter` block, the ERSPAN fields, and the feature/module table
and legend printed after the session.

Only a `local` session whose sources are listed ports and VLANs is one the appliance manages; an
ERSPAN type, an all-interfaces source, exception or forwarding-drop sources or more than one
destination are kept in `extra["unmanaged"]`."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word, expand_ports
from appliance.switches.drivers.screen import Draft, article, framing, refuse, strict_vlans, unset

PLATFORM = "cisco_nxos"
HEADER = re.compile(r"^\s*session\s+(\d+)\s*$")
RULE = re.compile(r"^\s*-{3,}\s*$")
FIELD = re.compile(r"^\s*([a-z][\w -]*?)\s*:\s*(.*?)\s*$", re.I)
TABLE = re.compile(r"^\s*Feature\s+Enabled\s+Value\b")
ROW = re.compile(r"^\s*[\w-]+(?: [\w-]+)*\s+(?:Yes|No|-)(?:\s.*)?$")
LEGEND = re.compile(r"^\s*Legend:")
ABSENT = re.compile(r"(?i)^\s*(?:%\s*)?(?:session \d+ )?(?:not found|does not exist|is not configured)\.?\s*$"
                    r"|^\s*no (?:monitor )?sessions? (?:is |are )?configured\.?\s*$", re.I)
SOURCES = {"source intf": "port", "source vlans": "vlan", "source exception": "other",
           "source fwd drops": "other", "source vsans": "other"}
DETAILS = ("mode", "ssn direction", "erspan-id", "vrf-name", "ip-ttl", "ip-dscp", "header-type", "mtu",
           "version", "destination-ip", "origin-ip", "source-ip", "marker-packet", "packet interval",
           "packet sent", "packet failed", "egress-intf")


def sessions(text: str, port_name) -> dict[int, Draft]:
    """Every session in the output by number; UnreadableOutput on a line this parser does not know."""
    found, draft, section, block = {}, None, None, None
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            number = int(header.group(1))
            if number in found:
                raise refuse(PLATFORM, line, f"session {number} is printed twice")
            draft, section, block = found.setdefault(number, Draft(str(number))), None, None
        elif block and line.strip() and (block == "legend" or ROW.match(line) or RULE.match(line)):
            continue                                    # inside the feature table or the legend
        elif TABLE.match(line) or LEGEND.match(line):
            block = "table" if TABLE.match(line) else "legend"
        elif framing(line) or RULE.match(line):
            block = None if not line.strip() else block
            section = None if section == "simple filter" and not line.strip() else section
        elif draft is None:
            if not ABSENT.match(line):
                raise refuse(PLATFORM, line, "no `session N` header before it")
        else:
            section = _line(draft, line, section, port_name)
    return found


def _line(draft: Draft, line: str, section: str | None, port_name) -> str | None:
    field = FIELD.match(line)
    if field is None:
        raise refuse(PLATFORM, line)
    key, value = field.group(1).lower(), field.group(2)
    if section == "simple filter" and key not in SOURCES and key not in ("filter vlans", "destination ports"):
        if not unset(value) and value.lower() != "false":
            draft.filter(f"simple filter {key}", value)
        return section
    if key in ("rx", "tx", "both"):
        if section not in SOURCES:
            raise refuse(PLATFORM, line, "a direction outside a source list")
        if not unset(value):
            _sources(draft, SOURCES[section], section, value, direction_word(key), port_name)
        return section
    if key in SOURCES or key == "simple filter":
        if not unset(value):
            raise refuse(PLATFORM, line, "a source list without a direction")
        return key
    _field(draft, key, value, line, port_name)
    return None


def _sources(draft: Draft, kind: str, section: str, value: str, direction: str, port_name) -> None:
    if kind == "vlan":
        for vid in strict_vlans(PLATFORM, value):
            draft.vlan(vid, direction)
    elif kind == "port":
        for port in expand_ports(value):
            draft.port(port_name(port), direction)
    else:
        draft.unmanaged(f"a {section} source ({value})")


def _field(draft: Draft, key: str, value: str, line: str, port_name) -> None:
    if key == "type":
        if not re.fullmatch(r"[a-z][a-z-]*", value):
            raise refuse(PLATFORM, line, "a session type this driver does not know")
        draft.extra["type"] = value
        if value != "local":
            draft.unmanaged(f"{article(value)} {value} session")
    elif key == "state":
        draft.extra["state"] = value
    elif key == "description":
        draft.extra["marker"] = value
    elif key == "destination ports":
        draft.destinations += [port_name(port) for port in expand_ports(value)]
    elif key == "src intf all":
        if not unset(value):
            draft.unmanaged(f"an all-interfaces source ({value})")
            draft.extra["all_interfaces"] = value
    elif key in ("filter vlans", "acl-name"):
        if not unset(value):
            draft.filter(key, value)
    elif key in DETAILS:
        draft.extra.setdefault("details", {})[key] = value
    else:
        raise refuse(PLATFORM, line)
