"""Arista EOS: a named session `monitor session VOIPWATCH ...` in global configuration, read back
from the configuration (`show running-config | section monitor session`), checked against `show
monitor session VOIPWATCH` (the state). The session's name is its marker. Dry run goes through a
configuration session (`configure session`, `show session-config diffs`, `abort`)."""
from __future__ import annotations

from appliance.switches.drivers import eos_config, eos_screen, screen
from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import abbreviate, send_config
from appliance.switches.model import MirrorSession

NAMES = {"Ethernet": "Et", "Port-Channel": "Po", "Vlan": "Vl", "Management": "Ma"}
CONFIG_SESSION = "voipwatch"
CONFIG = "show running-config | section monitor session"


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
        return [CONFIG, f"show monitor session {session.name}"]

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
        """From [configuration, screen] (what `verify_commands` reads), or from the screen alone."""
        draft = eos_screen.sessions(outputs[-1] if outputs else "", self.port_name).get(session.name)
        if len(outputs) > 1:
            configured = eos_config.sessions(outputs[0], self.port_name).get(session.name)
            draft = screen.agree(self.device_type, configured, draft)
        return None if draft is None else draft.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        return {name: draft.build(name, 0) for name, draft in
                eos_screen.sessions("\n".join(outputs), self.port_name).items()}
