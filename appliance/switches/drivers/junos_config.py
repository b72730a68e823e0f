"""Junos read back from the configuration as JSON: `show configuration forwarding-options analyzer
NAME | display json` (Junos's JSON encoding of configuration: lists of objects keyed `name`, `@`
metadata beside them). Its analyzer is what is configured; `show forwarding-options analyzer` adds the
state, and the two must agree (`screen.agree`). A key this module does not know is refused."""
from __future__ import annotations

import json

from appliance.switches.drivers.junos_screen import vlan_id
from appliance.switches.drivers.screen import Draft, framing, refuse

PLATFORM = "juniper_junos"
SIDES = {"ingress": "rx", "egress": "tx"}
DETAILS = ("ratio", "loss-priority", "maximum-packet-length", "rate")


def analyzer(text: str, name: str, vlans: dict[str, int], port_name) -> Draft | None:
    body = "\n".join(line for line in text.splitlines() if not line.strip() or not framing(line))
    if not body.strip():
        return None
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise refuse(PLATFORM, body.strip().splitlines()[0], f"not the JSON of `| display json`: {exc}") from None
    if not isinstance(document, dict) or "configuration" not in document:
        raise refuse(PLATFORM, body.strip().splitlines()[0], "JSON without a `configuration` object")
    found = [entry for entry in _list(document["configuration"], "forwarding-options", "analyzer")
             if isinstance(entry, dict) and entry.get("name") == name]
    return _draft(found[0], vlans, port_name) if found else None


def _list(node, *path) -> list:
    for key in path:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, list) else []


def _draft(entry: dict, vlans: dict[str, int], port_name) -> Draft:
    draft = Draft(entry["name"], extra={"marker": entry["name"]})
    for key, value in entry.items():
        if key in ("name", "@") or key.startswith("@"):
            continue
        if key == "input":
            _inputs(draft, value, vlans, port_name)
        elif key == "output":
            _output(draft, value, port_name)
        elif key in DETAILS:
            draft.extra.setdefault("details", {})[key] = value
        elif key == "inactive" or key == "disable":
            draft.extra["state"] = "disabled"
        else:
            raise refuse(PLATFORM, json.dumps({key: value})[:120], "an analyzer statement the driver does not know")
    return draft


def _inputs(draft: Draft, node: dict, vlans: dict[str, int], port_name) -> None:
    for side, items in _object(node, "input").items():
        if side not in SIDES:
            raise refuse(PLATFORM, json.dumps({side: items})[:120], "an analyzer input the driver does not know")
        for kind, entries in _object(items, side).items():
            for item in _names(entries, kind):
                if kind == "interface":
                    draft.port(port_name(item), SIDES[side])
                elif kind == "vlan":
                    draft.vlan(vlan_id(item, vlans, f"vlan {item}"), SIDES[side])
                else:
                    raise refuse(PLATFORM, json.dumps({kind: entries})[:120], "an input other than interface/vlan")


def _output(draft: Draft, node: dict, port_name) -> None:
    for kind, entries in _object(node, "output").items():
        for item in _names(entries, kind):
            if kind == "interface":
                draft.destinations.append(port_name(item))
            else:
                draft.unmanaged(f"a remote analyzer (output {kind} {item})")


def _object(node, key: str) -> dict:
    if not isinstance(node, dict):
        raise refuse(PLATFORM, json.dumps({key: node})[:120], f"`{key}` is not an object")
    return node


def _names(entries, kind: str) -> list[str]:
    """`[{"name": "ge-0/0/5.0"}]` (or one such object, or a bare string) -> the names."""
    entries = entries if isinstance(entries, list) else [entries]
    names = [entry.get("name") if isinstance(entry, dict) else entry for entry in entries]
    if not all(isinstance(name, str) and name for name in names):
        raise refuse(PLATFORM, json.dumps({kind: entries})[:120], f"a `{kind}` without a name")
    return names
