"""Cisco NX-OS: `monitor session 7` with a `description`, created shut (so `no shut`), and a
destination port that needs `switchport monitor`. Read back from `show running-config monitor`,
checked against `show monitor session 7` (which adds the state); NX-OS
prints its errors as `ERROR: ...` as well as `% Invalid ...`, so its error pattern adds those."""
from __future__ import annotations

import re

from appliance.switches.drivers import cisco_config, nxos_screen, screen
from appliance.switches.drivers.base import ERROR_PATTERN, Driver
from appliance.switches.drivers.cli import abbreviate, send_config
from appliance.switches.errors import SwitchCommandError
from appliance.switches.model import MirrorSession

NAMES = {"Ethernet": "Eth", "port-channel": "Po", "mgmt": "mgmt"}
NXOS_ERRORS = ERROR_PATTERN + r"|^\s*ERROR:|Verification Failed"
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
        return ["show running-config monitor", f"show monitor session {session.number}"]

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
        """From [configuration, screen] (what `verify_commands` reads), or from the screen alone."""
        draft = nxos_screen.sessions(outputs[-1] if outputs else "", self.port_name).get(session.number)
        if len(outputs) > 1:
            draft = screen.agree(self.device_type,
                                       cisco_config.nxos(outputs[0], session.number, self.port_name), draft)
        if draft is None:
            return None
        draft.extra.setdefault("marker", "")
        return draft.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        """Every session in a `show monitor session all`, by number."""
        return {key: draft.build("", key) for key, draft in
                nxos_screen.sessions("\n".join(outputs), self.port_name).items()}
