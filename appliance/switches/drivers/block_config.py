"""AOS-CX (`show running-config mirror`) and Dell OS10 (`show running-configuration monitor`) read
back from the configuration: a `mirror session N` / `monitor session N [type T]` block of indented
statements. What is configured comes from here; the platform's show command adds the state and must
agree (`screen.agree`). A statement this module does not know is refused, quoted."""
from __future__ import annotations

import re

from appliance.switches.drivers.cli import direction_word
from appliance.switches.drivers.screen import Draft, article, framing, refuse, strict_vlans

HEADER = re.compile(r"^(?:mirror|monitor) session (\d+)(?:\s+type\s+(\S+))?\s*$")


def sessions(text: str, platform: str, port_name) -> dict[int, Draft]:
    found, draft = {}, None
    for line in text.splitlines():
        if framing(line) or line.strip() == "!":
            continue
        header = HEADER.match(line)
        if header:
            draft = found[int(header.group(1))] = Draft(header.group(1))
            if header.group(2):
                draft.extra["type"] = header.group(2)
            if header.group(2) not in (None, "local"):
                draft.unmanaged(f"{article(header.group(2))} {header.group(2)} session")
        elif not line.startswith((" ", "\t")):
            draft = None                    # another stanza
        elif draft is not None:
            _statement(draft, line.strip(), line, platform, port_name)
    return found


def _statement(draft: Draft, statement: str, line: str, platform: str, port_name) -> None:
    words = statement.split()
    if words[0] == "source":
        _source(draft, words[1:], line, platform, port_name)
    elif words[:2] == ["destination", "interface"]:
        if len(words) < 3:
            raise refuse(platform, line, "a destination without a port")
        draft.destinations.append(port_name(" ".join(words[2:])))
    elif statement.startswith(("destination cpu", "destination tunnel", "destination ip", "source-ip",
                               "destination remote")):
        draft.unmanaged(f"a mirror to {statement.split(' ', 1)[1]}")
    elif statement.startswith(("comment ", "description ")):
        draft.extra["marker"] = statement.split(" ", 1)[1]
    elif statement in ("enable", "no shutdown", "no shut"):
        draft.extra["admin"] = "enabled"
    elif statement in ("disable", "shutdown", "shut", "no enable"):
        draft.extra["admin"] = "disabled"
    elif statement == "flow-based enable":
        draft.filter("flow-based", "enable")
    else:
        raise refuse(platform, line, "a session statement the driver does not know")


def _source(draft: Draft, words: list[str], line: str, platform: str, port_name) -> None:
    """`source interface 1/1/5 both`, `source vlan 100 rx`, `source interface ethernet1/1/5`, `... vlan100 rx`."""
    words = words[1:] if words[:1] == ["interface"] else words
    direction = direction_word(words.pop()) if words and words[-1] in ("rx", "tx", "both") else "both"
    name = " ".join(words)
    vlan = re.match(r"(?i)^vlan\s*(\S+)$", name)
    if not name or name in ("interface", "vlan"):
        raise refuse(platform, line, "a source without a port or VLAN")
    if vlan:
        for number in strict_vlans(platform, vlan.group(1)):
            draft.vlan(number, direction)
    else:
        draft.port(port_name(name), direction)
