"""Arista EOS: a named session `monitor session VOIPWATCH ...` in global configuration, read back
with `show monitor session VOIPWATCH`. The session's name is its marker. Dry run goes through a
configuration session (`configure session`, `show session-config diffs`, `abort`)."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import (abbreviate, direction_word, items, merge, port_sources,
                                            send_config, vlan_ids, vlan_sources)
from appliance.switches.model import MirrorSession

NAMES = {"Ethernet": "Et", "Port-Channel": "Po", "Vlan": "Vl", "Management": "Ma"}
HEADER = re.compile(r"^\s*Session\s+(\S+)\s*$", re.M)
SECTION = re.compile(r"^(Source Ports|Source VLANs|Destination Ports)\s*:\s*$", re.I)
LABEL = re.compile(r"^\s+(Both|Rx(?: Only)?|Tx(?: Only)?)\s*:\s*(.*)$", re.I)
DESTINATION = re.compile(r"^\s+(\S+)\s*:\s*(\S.*)$")
HARDWARE = re.compile(r"^\s*Programmed in HW\s*:\s*(.*)$", re.M | re.I)
CONFIG_SESSION = "voipwatch"


class AristaEos(Driver):
    device_type = "arista_eos"
    has_marker = True
    marker_is_name = True       # a session named VOIPWATCH may still be someone else's: the store's record decides
    notes = ("EOS source VLAN support depends on the platform",)

    def create_commands(self, session: MirrorSession) -> list[str]:
        prefix = f"monitor session {session.name}"
        return ([f"{prefix} source {source.port} {source.direction}" for source in session.sources]
                + [f"{prefix} source Vlan{vlan.vlan} {vlan.direction}" for vlan in session.vlans]
                + [f"{prefix} destination {session.destination}"])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"no monitor session {session.name}"]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show monitor session {session.name}"]

    def save_commands(self) -> list[str]:
        return ["copy running-config startup-config"]

    def port_name(self, port: str) -> str:
        return abbreviate(port, NAMES)

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands)          # as the base, with the switch's message in the error

    def dry_run(self, conn, commands: list[str]) -> str:
        """The session diff of the commands, then `abort`: the running config is not touched."""
        conn.config_mode(config_command=f"configure session {CONFIG_SESSION}")
        try:
            send_config(conn, commands, leave=lambda conn: None, enter_config_mode=False, exit_config_mode=False)
            return conn.send_command("show session-config diffs")
        finally:
            conn.send_command("abort", expect_string=r"#\s*$")

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        text = "\n".join(outputs)
        header = HEADER.search(text)
        if header is None:
            return None
        ports, vids, destinations, section = {}, {}, {}, ""
        for line in text[header.end():].splitlines():
            if SECTION.match(line):
                section = SECTION.match(line).group(1).lower()
            elif section == "destination ports" and DESTINATION.match(line):
                port, status = DESTINATION.match(line).groups()
                destinations[self.port_name(port)] = status.strip()
            elif section.startswith("source") and LABEL.match(line):
                label, listing = LABEL.match(line).groups()
                self._sources(listing, direction_word(label), ports, vids)
        extra = {"marker": header.group(1)}
        if HARDWARE.search(text):
            extra["state"] = "programmed in HW: " + HARDWARE.search(text).group(1).strip()
        destination, status = next(iter(destinations.items()), ("", ""))
        if status:
            extra["destination_state"] = status
        return MirrorSession(port_sources(ports),
                             vlan_sources(vids),
                             destination, header.group(1), session.number, extra)

    def _sources(self, listing: str, direction: str, ports: dict, vids: dict) -> None:
        """Ports, VLAN ids (under Source VLANs) or `Vlan100`/`Vl100` entries among the ports."""
        for item in items(listing):
            vlan = re.match(r"(?i)^(?:vl(?:an)?)?(\d+(?:-\d+)?)$", item)
            if vlan:
                for vid in vlan_ids(vlan.group(1)):
                    merge(vids, vid, direction)
            else:
                merge(ports, self.port_name(item), direction)
