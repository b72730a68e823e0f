"""Dell OS10: `monitor session 7 type local` with sources, destination and `no shutdown`, read back
from `show running-configuration monitor`, checked against the table of `show monitor session 7`
(one row per source, with the state). OS10 has no description on a
session, so it cannot mark one as ours."""
from __future__ import annotations

import re

from appliance.switches.drivers import block_config, os10_screen, screen
from appliance.switches.drivers.base import Driver
from appliance.switches.model import MirrorSession

PORT = re.compile(r"(?i)^\s*(?:eth(?:ernet)?)\s*(\d[\d/:]*)\s*$")


class DellOs10(Driver):
    device_type = "dell_os10"
    notes = ("OS10 sessions carry no name or description: ownership is judged from the recorded session",)

    def create_commands(self, session: MirrorSession) -> list[str]:
        return ([f"monitor session {session.number} type local"]
                + [f" source interface {source.port} {source.direction}" for source in session.sources]
                + [f" source interface vlan{vlan.vlan} {vlan.direction}" for vlan in session.vlans]
                + [f" destination interface {session.destination}", " no shutdown"])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"no monitor session {session.number}"]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return ["show running-configuration monitor", f"show monitor session {session.number}"]

    def save_commands(self) -> list[str]:
        return ["copy running-configuration startup-configuration"]

    def port_name(self, port: str) -> str:
        found = PORT.match(port)
        return f"ethernet{found.group(1)}" if found else port.strip().lower().replace(" ", "")

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        """From [configuration, screen] (what `verify_commands` reads), or from the screen alone."""
        draft = os10_screen.sessions(outputs[-1] if outputs else "", self.port_name).get(session.number)
        if len(outputs) > 1:
            configured = block_config.sessions(outputs[0], self.device_type, self.port_name).get(session.number)
            draft = screen.agree(self.device_type, configured, draft)
        return None if draft is None else draft.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        return {key: draft.build("", key) for key, draft in
                os10_screen.sessions("\n".join(outputs), self.port_name).items()}
