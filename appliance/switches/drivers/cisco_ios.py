"""Cisco IOS / IOS-XE Catalyst: `monitor session 7 ...` one-liners in global configuration, read back
from the configuration (`show running-config | section monitor session`) and checked against
`show monitor session 7`, which also gives the state. IOS has no description on a classic session,
so it cannot mark one as ours."""
from __future__ import annotations

from appliance.switches.drivers import cisco_config, ios_screen, screen
from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import abbreviate, send_config
from appliance.switches.model import MirrorSession

NAMES = {"FastEthernet": "Fa", "GigabitEthernet": "Gi", "TwoGigabitEthernet": "Tw", "FiveGigabitEthernet": "Fi",
         "TenGigabitEthernet": "Te", "TwentyFiveGigE": "Twe", "FortyGigabitEthernet": "Fo",
         "HundredGigE": "Hu", "AppGigabitEthernet": "Ap", "Port-channel": "Po"}
CONFIG = "show running-config | section monitor session"


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
        return [CONFIG, f"show monitor session {session.number}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def save(self, conn) -> str:
        return conn.save_config(cmd="write memory")

    def port_name(self, port: str) -> str:
        return abbreviate(port, NAMES)

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands)          # as the base, with the switch's message in the error

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        """From [configuration, screen] (what `verify_commands` reads), or from the screen alone."""
        shown = ios_screen.sessions(outputs[-1] if outputs else "", self.port_name).get(session.number)
        if len(outputs) > 1:
            shown = screen.agree(self.device_type, cisco_config.ios(outputs[0], session.number, self.port_name),
                                       shown)
        return None if shown is None else shown.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        """Every session in a `show monitor session all`, by number."""
        return {key: draft.build("", key) for key, draft in
                ios_screen.sessions("\n".join(outputs), self.port_name).items()}
