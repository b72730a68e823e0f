"""Aruba AOS-CX: `mirror session 7` with a `comment` (our marker), sources, destination and `enable`,
read back with `show mirror 7`. The plan ends the mirror context with `exit`, and a refused command
leaves with `end`: Netmiko's AOS-CX driver sees config mode only at `(config)#`, not in
`(config-mirror-7)#`."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import (direction_word, leave_with_end, merge, port_sources, send_config,
                                            vlan_ids, vlan_sources)
from appliance.switches.model import MirrorSession

FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")
SOURCE = re.compile(r"^(interface|vlan)\s+(\S+)\s+(rx|tx|both)$", re.I)


class ArubaAoscx(Driver):
    device_type = "aruba_aoscx"
    has_marker = True

    def create_commands(self, session: MirrorSession) -> list[str]:
        return ([f"mirror session {session.number}", f" comment {session.name}"]
                + [f" source interface {source.port} {source.direction}" for source in session.sources]
                + [f" source vlan {vlan.vlan} {vlan.direction}" for vlan in session.vlans]
                + [f" destination interface {session.destination}", " enable", " exit"])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"no mirror session {session.number}"]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show mirror {session.number}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def save(self, conn) -> str:
        return conn.save_config(cmd="write memory")

    def port_name(self, port: str) -> str:
        return re.sub(r"(?i)^\s*(?:interface\s+)?", "", port).strip().lower()

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands, leave=leave_with_end)

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        fields, sources = {}, []
        for line in "\n".join(outputs).splitlines():
            found = FIELD.match(line)
            if found and found.group(1).lower() == "source":
                sources.append(found.group(2))
            elif found:
                fields.setdefault(found.group(1).lower(), found.group(2))
        if not fields.get("mirror session", "").isdigit():
            return None
        ports, vids = {}, {}
        for text in sources:
            found = SOURCE.match(text)
            if found and found.group(1).lower() == "vlan":
                for vid in vlan_ids(found.group(2)):
                    merge(vids, vid, direction_word(found.group(3)))
            elif found:
                merge(ports, self.port_name(found.group(2)), direction_word(found.group(3)))
        destination = re.sub(r"(?i)^interface\s+", "", fields.get("destination", ""))
        extra = {"marker": fields.get("comment", "")}
        if fields.get("operation status") or fields.get("admin status"):
            extra["state"] = fields.get("operation status") or fields["admin status"]
        return MirrorSession(port_sources(ports),
                             vlan_sources(vids),
                             self.port_name(destination) if destination else "", session.name,
                             int(fields["mirror session"]), extra)
