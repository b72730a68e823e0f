"""Junos `show forwarding-options analyzer [NAME]` (ELS) and `show analyzer` (legacy EX) read line by
line, and `show vlans` read into a VLAN name -> id map.

ELS prints a monitored VLAN as `routing-instance/name` (`default-switch/default`) even when it
was configured by id, so VLAN sources are resolved through `show vlans`; a VLAN that cannot be
resolved is refused, never dropped. An analyzer with an output VLAN (remote analyzer) is kept in
`extra["unmanaged"]`."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import items
from appliance.switches.drivers.screen import Draft, framing, refuse, unset

PLATFORM = "juniper_junos"
FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)?\s*:\s*(.*?)\s*$")
INPUTS = {"ingress monitored interfaces": ("port", "rx"), "egress monitored interfaces": ("port", "tx"),
          "ingress monitored vlans": ("vlan", "rx"), "egress monitored vlans": ("vlan", "tx")}
DETAILS = ("mirror rate", "mirror ratio", "maximum packet length", "loss priority")
VLAN_HEADER = re.compile(r"^\s*(?:Routing instance\s+VLAN name|Name)\s+Tag\s+Interfaces\s*$", re.I)
INTERFACE_ROW = re.compile(r"^\s+\S+(?:,?\s+\S+)*\s*$")


def analyzers(text: str, vlans: dict[str, int], port_name) -> dict[str, Draft]:
    """Every analyzer in the output by name; UnreadableOutput on a line this parser does not know."""
    found, draft, key = {}, None, None
    for line in text.splitlines():
        field = FIELD.match(line)
        if framing(line) and not field:
            continue
        if field is None:
            raise refuse(PLATFORM, line)
        key = field.group(1).strip().lower() if field.group(1) else key
        if key == "analyzer name":
            draft = found[field.group(2)] = Draft(field.group(2), extra={"marker": field.group(2)})
        elif draft is None or key is None:
            raise refuse(PLATFORM, line, "no `Analyzer name` before it")
        else:
            _field(draft, key, field.group(2), line, vlans, port_name)
    return found


def _field(draft: Draft, key: str, value: str, line: str, vlans: dict[str, int], port_name) -> None:
    if key in INPUTS:
        kind, direction = INPUTS[key]
        for item in items(value):
            if kind == "port":
                draft.port(port_name(item), direction)
            else:
                draft.vlan(vlan_id(item, vlans, line), direction)
    elif key == "output interface":
        draft.destinations += [port_name(item) for item in items(value)]
    elif key == "output vlan":
        if not unset(value):
            draft.unmanaged(f"a remote analyzer (output VLAN {value})")
    elif key == "state":
        draft.extra["state"] = value
    elif key in DETAILS:
        draft.extra.setdefault("details", {})[key] = value
    else:
        raise refuse(PLATFORM, line)


def vlan_id(item: str, vlans: dict[str, int], line: str) -> int:
    """`100`, `VOICE`, `default-switch/VOICE` -> the VLAN id, through `show vlans` for names."""
    if item.isdigit():
        return int(item)
    for name in (item, item.rpartition("/")[2]):
        if name in vlans:
            return vlans[name]
    raise refuse(PLATFORM, line, f"VLAN {item!r} is not in `show vlans`, so its id is unknown")


def vlan_table(text: str) -> dict[str, int]:
    """`show vlans` -> {name: id, instance/name: id}, from ELS (`Routing instance  VLAN name  Tag ...`)
    or legacy EX (`Name  Tag  Interfaces`) rows; VLANs without a tag are left out."""
    table, header = {}, None
    for line in text.splitlines():
        if VLAN_HEADER.match(line):
            header = "els" if line.strip().lower().startswith("routing") else "legacy"
        elif framing(line) or (header and INTERFACE_ROW.match(line)):
            continue
        elif header and not line[:1].isspace():
            words = line.split() + ["", ""]
            instance, name, tag = (words[0], words[1], words[2]) if header == "els" else ("", words[0], words[1])
            if tag.isdigit():
                table[name] = int(tag)
                if instance:
                    table[f"{instance}/{name}"] = int(tag)
        else:
            raise refuse(PLATFORM, line, "a `show vlans` line the driver does not know")
    return table
