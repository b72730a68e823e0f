"""Aruba AOS-CX: `mirror session 7` with a `comment` (our marker), sources, destination and `enable`,
read back from `show running-config mirror`, checked against `show mirror 7` (the state). The plan ends the mirror context with `exit`, and a refused command
leaves with `end`: Netmiko's AOS-CX driver sees config mode only at `(config)#`, not in
`(config-mirror-7)#`."""
from __future__ import annotations

import re

from appliance.switches.drivers import block_config, screen
from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import direction_word, leave_with_end, send_config
from appliance.switches.drivers.screen import Draft, framing, refuse, strict_vlans
from appliance.switches.model import MirrorSession

FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")
SOURCE = re.compile(r"^(interface|vlan)\s+(\S+)\s+(rx|tx|both)$", re.I)
ABSENT = re.compile(r"(?i)^\s*Mirror session \d+ does not exist\.?\s*$")


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
        return ["show running-config mirror", f"show mirror {session.number}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def save(self, conn) -> str:
        return conn.save_config(cmd="write memory")

    def port_name(self, port: str) -> str:
        return re.sub(r"(?i)^\s*(?:interface\s+)?", "", port).strip().lower()

    def configure(self, conn, commands: list[str]) -> str:
        return send_config(conn, commands, leave=leave_with_end)

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        """From [configuration, screen] (what `verify_commands` reads), or from the screen alone."""
        draft = self._drafts(outputs[-1:]).get(str(session.number))
        if len(outputs) > 1:
            configured = block_config.sessions(outputs[0], self.device_type, self.port_name).get(session.number)
            draft = screen.agree(self.device_type, configured, draft)
        return None if draft is None else draft.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        return {key: draft.build("", int(key)) for key, draft in self._drafts(outputs).items()}

    def _drafts(self, outputs: list[str]) -> dict[str, Draft]:
        """`show mirror [N]` line by line: `Key: value` fields of known keys only, else refused."""
        found, draft = {}, None
        for line in "\n".join(outputs).splitlines():
            field = FIELD.match(line)
            if framing(line) or ABSENT.match(line):
                continue
            if field is None:
                raise refuse(self.device_type, line)
            key, value = field.group(1).lower(), field.group(2)
            if key == "mirror session" and value.isdigit():
                draft = found[value] = Draft(value, extra={"marker": ""})
            elif draft is None:
                raise refuse(self.device_type, line, "no `Mirror Session: N` before it")
            else:
                self._field(draft, key, value, line)
        return found

    def _field(self, draft: Draft, key: str, value: str, line: str) -> None:
        if key == "source":
            found = SOURCE.match(value)
            if found is None:
                raise refuse(self.device_type, line, "a source other than `interface|vlan NAME rx|tx|both`")
            kind, name, direction = found.group(1).lower(), found.group(2), direction_word(found.group(3))
            if kind == "vlan":
                for vid in strict_vlans(self.device_type, name):
                    draft.vlan(vid, direction)
            else:
                draft.port(self.port_name(name), direction)
        elif key == "destination":
            found = re.match(r"(?i)^interface\s+(\S+)$", value)
            if found is None:
                draft.unmanaged(f"a mirror to {value}")
            else:
                draft.destinations.append(self.port_name(found.group(1)))
        elif key == "comment":
            draft.extra["marker"] = value
        elif key in ("operation status", "admin status"):
            draft.extra.setdefault("state", value) if key == "admin status" else draft.extra.update(state=value)
        elif key not in ("output packets", "output bytes"):
            raise refuse(self.device_type, line)
