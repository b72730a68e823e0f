"""Cisco NX-OS: `monitor session 7` with a `description`, created shut (so `no shut`), and a
destination port that needs `switchport monitor`. Read back with `show monitor session 7`; NX-OS
prints its errors as `ERROR: ...` as well as `% Invalid ...`, so its error pattern adds those."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import ERROR_PATTERN, Driver
from appliance.switches.drivers.cli import (abbreviate, direction_word, items, port_sources, send_config,
                                            show_sections, vlan_ids, vlan_sources)
from appliance.switches.errors import SwitchCommandError
from appliance.switches.model import MirrorSession

NAMES = {"Ethernet": "Eth", "port-channel": "Po", "mgmt": "mgmt"}
NXOS_ERRORS = ERROR_PATTERN + r"|^\s*ERROR:|Verification Failed"
HEADER = re.compile(r"^\s*session\s+(\d+)\s*$", re.M | re.I)
LABEL = re.compile(r"^\s+(rx|tx|both)\s*:\s*(.*)$", re.I)
CONFIG_SESSION = "voipwatch"


class CiscoNxos(Driver):
    device_type = "cisco_nxos"
    has_marker = True
    notes = ("NX-OS creates sessions shut: `no shut` is part of the plan",
             "the destination port is put in `switchport monitor` mode and taken out of it on remove")

    def create_commands(self, session: MirrorSession) -> list[str]:
        return ([f"interface {session.destination}", " switchport", " switchport monitor",
                 f"monitor session {session.number}", f" description {session.name}"]
                + [f" source interface {source.port} {source.direction}" for source in session.sources]
                + [f" source vlan {vlan.vlan} {vlan.direction}" for vlan in session.vlans]
                + [f" destination interface {session.destination}", " no shut"])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        commands = [f"no monitor session {session.number}"]
        if session.destination:
            commands += [f"interface {session.destination}", " no switchport monitor"]
        return commands

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show monitor session {session.number}"]

    def save_commands(self) -> list[str]:
        return ["copy running-config startup-config"]

    def port_name(self, port: str) -> str:
        return abbreviate(port, NAMES)

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands, error_pattern=NXOS_ERRORS)

    def dry_run(self, conn, commands: list[str]) -> str:
        """In a configuration session: the commands, `verify`, the session's commands, then `abort`."""
        conn.config_mode(config_command=f"configure session {CONFIG_SESSION}")
        try:
            send_config(conn, commands, error_pattern=NXOS_ERRORS, leave=lambda conn: None,
                        enter_config_mode=False, exit_config_mode=False)
            verified = conn.send_command("verify", read_timeout=60)
            listing = conn.send_command(f"show configuration session {CONFIG_SESSION}")
        finally:
            conn.send_command("abort", expect_string=r"#\s*$")
        if re.search(NXOS_ERRORS, verified, re.M) or "Verification Successful" not in verified:
            raise SwitchCommandError(f"the switch refused the change: {verified.strip()[:300]}")
        return f"{listing.strip()}\n{verified.strip()}\n"

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        text = "\n".join(outputs)
        header = HEADER.search(text)
        if header is None:
            return None
        fields, entries = show_sections(text[header.end():], LABEL)
        ports, vids = {}, {}
        for section, label, listing in entries:
            if section in ("source intf", "source vlans"):
                found = ports if section == "source intf" else vids
                for item in (items(listing) if found is ports else vlan_ids(listing)):
                    found.setdefault(item, set()).add(label.lower())
        destination = next(iter(items(fields.get("destination ports", ""))), "")
        extra = {key: fields[key] for key in ("state", "type") if fields.get(key)}
        extra["marker"] = fields.get("description", "")
        return MirrorSession(port_sources({self.port_name(p): direction(d) for p, d in ports.items()}),
                             vlan_sources({v: direction(d) for v, d in vids.items()}),
                             self.port_name(destination) if destination else "", session.name,
                             int(header.group(1)), extra)


def direction(labels: set[str]) -> str:
    """NX-OS lists a `both` source under rx, tx and both."""
    if "both" in labels or {"rx", "tx"} <= labels:
        return "both"
    return direction_word(next(iter(labels)))
