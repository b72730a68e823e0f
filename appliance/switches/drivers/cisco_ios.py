"""Cisco IOS / IOS-XE Catalyst: `monitor session 7 ...` one-liners in global configuration, read back
with `show monitor session 7`. IOS has no description on a session, so it cannot mark one as ours."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import (abbreviate, direction_word, items, merge, port_sources, send_config,
                                            show_sections, vlan_ids, vlan_sources)
from appliance.switches.model import MirrorSession

NAMES = {"FastEthernet": "Fa", "GigabitEthernet": "Gi", "TwoGigabitEthernet": "Tw", "FiveGigabitEthernet": "Fi",
         "TenGigabitEthernet": "Te", "TwentyFiveGigE": "Twe", "FortyGigabitEthernet": "Fo",
         "HundredGigE": "Hu", "AppGigabitEthernet": "Ap", "Port-channel": "Po"}
HEADER = re.compile(r"^\s*Session\s+(\d+)\s*$", re.M)
LABEL = re.compile(r"^\s+(Both|RX Only|TX Only)\s*:\s*(.*)$", re.I)
RANGE = re.compile(r"^(.*?)(\d+)-(\d+)$")


class CiscoIos(Driver):
    device_type = "cisco_ios"
    notes = ("IOS sessions carry no name or description: ownership is judged from the recorded session",
             "older Catalyst models (2960/3750) refuse source ports and source VLANs in one session")

    def create_commands(self, session: MirrorSession) -> list[str]:
        prefix = f"monitor session {session.number}"
        return ([f"{prefix} source interface {source.port} {source.direction}" for source in session.sources]
                + [f"{prefix} source vlan {vlan.vlan} {vlan.direction}" for vlan in session.vlans]
                + [f"{prefix} destination interface {session.destination}"])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"no monitor session {session.number}"]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show monitor session {session.number}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def save(self, conn) -> str:
        return conn.save_config(cmd="write memory")

    def port_name(self, port: str) -> str:
        return abbreviate(port, NAMES)

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands)          # as the base, with the switch's message in the error

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        text = "\n".join(outputs)
        header = HEADER.search(text)
        if header is None:
            return None
        fields, entries = show_sections(text[header.end():], LABEL)
        sources, vlans = {}, {}
        for section, label, listing in entries:
            if section == "source ports":
                for port in expand_ports(listing):
                    merge(sources, self.port_name(port), direction_word(label))
            elif section == "source vlans":
                for vid in vlan_ids(listing):
                    merge(vlans, vid, direction_word(label))
        destination = next(iter(expand_ports(fields.get("destination ports", ""))), "")
        extra = {"type": fields["type"]} if fields.get("type") else {}
        return MirrorSession(port_sources(sources),
                             vlan_sources(vlans),
                             self.port_name(destination) if destination else "", session.name,
                             int(header.group(1)), extra)


def expand_ports(text: str) -> list[str]:
    """IOS compresses port lists: `Gi1/0/5-6,Gi1/0/8` -> Gi1/0/5, Gi1/0/6, Gi1/0/8."""
    ports = []
    for item in items(text):
        found = RANGE.match(item)
        if found and not found.group(1).endswith("-"):
            ports += [f"{found.group(1)}{n}" for n in range(int(found.group(2)), int(found.group(3)) + 1)]
        else:
            ports.append(item)
    return ports
