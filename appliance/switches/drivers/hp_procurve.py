"""HP ProCurve / Aruba AOS-S: `mirror N port P name VOIPWATCH` (the name is our marker), then the
sources' `monitor all in|out|both mirror N`; read back with `show monitor N`. AOS-S has mirror
sessions 1-4 only, so the model's session number 7 is mapped to mirror 4."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import direction_word, merge, port_sources, vlan_ids, vlan_sources
from appliance.switches.model import MirrorSession

WORDS = {"rx": "in", "tx": "out", "both": "both"}
SESSION = re.compile(r"^\s*Session\s*:\s*(\d+)(?:\s+Session Name\s*:\s*(.*?))?\s*$", re.M | re.I)
DESTINATION = re.compile(r"^\s*Mirror Destination\s*:\s*(\S+)", re.M | re.I)
SOURCE = re.compile(r"^\s*(Port|VLAN)\s*:\s*(\S+)\s+(\w+)\s*$", re.I)
MIRRORS = range(1, 5)
FALLBACK = 4


class HpProcurve(Driver):
    device_type = "hp_procurve"
    has_marker = True
    notes = ("AOS-S numbers mirror sessions 1-4: a session number outside that range uses mirror 4",)

    def mirror(self, session: MirrorSession) -> int:
        return session.number if session.number in MIRRORS else FALLBACK

    def create_commands(self, session: MirrorSession) -> list[str]:
        number = self.mirror(session)
        return ([f"mirror {number} port {session.destination} name {session.name}"]
                + [f"interface {source.port} monitor all {WORDS[source.direction]} mirror {number}"
                   for source in session.sources]
                + [f"vlan {vlan.vlan} monitor all {WORDS[vlan.direction]} mirror {number}" for vlan in session.vlans])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        number = self.mirror(session)
        return ([f"no interface {source.port} monitor all {WORDS[source.direction]} mirror {number}"
                 for source in session.sources]
                + [f"no vlan {vlan.vlan} monitor all {WORDS[vlan.direction]} mirror {number}"
                   for vlan in session.vlans]
                + [f"no mirror {number}"])

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show monitor {self.mirror(session)}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def port_name(self, port: str) -> str:
        return re.sub(r"(?i)^\s*(?:port\s+|ethernet\s+)?", "", port).strip().upper()

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        text = "\n".join(outputs)
        header, destination = SESSION.search(text), DESTINATION.search(text)
        if header is None or destination is None:
            return None
        ports, vids = {}, {}
        for line in text.splitlines():
            found = SOURCE.match(line)
            direction = direction_word(found.group(3)) if found else None
            if direction and found.group(1).lower() == "vlan":
                for vid in vlan_ids(found.group(2)):
                    merge(vids, vid, direction)
            elif direction:
                merge(ports, self.port_name(found.group(2)), direction)
        return MirrorSession(port_sources(ports),
                             vlan_sources(vids),
                             self.port_name(destination.group(1)), session.name, int(header.group(1)),
                             {"marker": (header.group(2) or "").strip().strip('"')})
