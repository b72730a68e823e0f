"""Arista EOS `show monitor session [NAME]` read line by line (tests/switch/fixtures/arista_eos):
blank lines between everything, `Rx Only:`/`Tx Only:`/`Both:` lists that wrap onto indented
continuation lines, per-source ACL annotations (`Et5/1.2(IP ACL: acl1)`, kept as filters), and
`PORT :  active|inactive` destination lines. A line it does not know is refused."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word
from appliance.switches.drivers.screen import Draft, framing, refuse, strict_vlans

PLATFORM = "arista_eos"
HEADER = re.compile(r"^Session\s+(\S+)\s*$")
RULE = re.compile(r"^\s*-{3,}\s*$")
SECTION = re.compile(r"^(Source Ports|Source VLANs|Destination Ports)\s*:\s*$", re.I)
LABEL = re.compile(r"^\s+(Both|Rx(?: Only)?|Tx(?: Only)?)\s*:\s*(.*?)\s*$", re.I)
CONTINUED = re.compile(r"^\s{4,}([^:\s][^:]*?)\s*$")
DESTINATION = re.compile(r"^\s+(\S+)\s*:\s*(active|inactive|\S.*?)\s*$")
HARDWARE = re.compile(r"^\s*Programmed in HW\s*:\s*(Yes|No)\s*$", re.I)
ITEM = re.compile(r"([^\s,(]+)(?:\(([^)]*)\))?")


def sessions(text: str, port_name) -> dict[str, Draft]:
    found, draft, section, label = {}, None, None, None
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            draft = found[header.group(1)] = Draft(header.group(1), extra={"marker": header.group(1)})
            section = label = None
        elif framing(line) or RULE.match(line):
            label = None
        elif draft is None:
            raise refuse(PLATFORM, line, "no `Session NAME` header before it")
        elif HARDWARE.match(line):
            draft.extra["hardware"] = HARDWARE.match(line).group(1).capitalize()
        elif SECTION.match(line):
            section, label = SECTION.match(line).group(1).lower(), None
        elif section and section.startswith("source") and LABEL.match(line):
            label = direction_word(LABEL.match(line).group(1))
            _sources(draft, section, LABEL.match(line).group(2), label, port_name)
        elif label and CONTINUED.match(line):
            _sources(draft, section, CONTINUED.match(line).group(1), label, port_name)
        elif section == "destination ports" and DESTINATION.match(line):
            port, status = DESTINATION.match(line).groups()
            draft.destinations.append(port_name(port))
            draft.extra.setdefault("destination_state", status)
        else:
            raise refuse(PLATFORM, line)
    for draft in found.values():
        _state(draft)
    return found


def _sources(draft: Draft, section: str, listing: str, direction: str, port_name) -> None:
    """Ports (with their ACL annotations as filters), VLAN ids, or `Vlan100` entries among the ports."""
    for name, annotation in ITEM.findall(listing):
        vlan = re.match(r"(?i)^(?:vl(?:an)?)?(\d+(?:-\d+)?)$", name)
        if section == "source vlans" or vlan:
            for vid in strict_vlans(PLATFORM, vlan.group(1) if vlan else name):
                draft.vlan(vid, direction)
        else:
            draft.port(port_name(name), direction)
        if annotation:
            draft.filter(f"{port_name(name)} {annotation.split(':')[0].strip()}", annotation.split(":")[-1].strip())


def _state(draft: Draft) -> None:
    hardware, destination = draft.extra.pop("hardware", None), draft.extra.get("destination_state")
    if hardware == "Yes" and destination in (None, "active"):
        draft.extra["state"] = "up"
    elif hardware or destination:
        draft.extra["state"] = f"down (programmed in HW: {hardware or '-'}, destination {destination or '-'})"
