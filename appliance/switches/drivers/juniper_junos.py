"""Juniper Junos EX/QFX (ELS): `set forwarding-options analyzer VOIPWATCH ...` in a private candidate
(`configure private`), `commit check`, then `commit`; a refused command or a failed check rolls the
candidate back. Read back from the configuration (`show configuration ... | display json`), checked
against `show forwarding-options analyzer VOIPWATCH` (the state) with `show vlans` to resolve VLAN
names; the analyzer's name is its marker. A commit is persistent, so there is no separate save."""
from __future__ import annotations

import re

from appliance.switches.drivers import junos_config, junos_screen, screen
from appliance.switches.drivers.base import ERROR_PATTERN, Driver
from appliance.switches.drivers.cli import whole_line
from appliance.switches.errors import SwitchCommandError
from appliance.switches.model import MirrorSession

STANZA = "forwarding-options analyzer"


class JuniperJunos(Driver):
    device_type = "juniper_junos"
    has_marker = True
    marker_is_name = True       # a session named VOIPWATCH may still be someone else's: the store's record decides
    notes = ("Junos applies the change on `commit` (after `commit check`); a commit is already persistent",
             "source VLANs are given by VLAN id; ELS prints them as instance/name, resolved through `show vlans`")

    def create_commands(self, session: MirrorSession) -> list[str]:
        prefix = f"set {STANZA} {session.name}"
        commands = []
        for source in session.sources:
            for side in sides(source.direction):
                commands.append(f"{prefix} input {side} interface {self.port_name(source.port)}")
        for vlan in session.vlans:
            for side in sides(vlan.direction):
                commands.append(f"{prefix} input {side} vlan {vlan.vlan}")
        return commands + [f"{prefix} output interface {self.port_name(session.destination)}"]

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"delete {STANZA} {session.name}"]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show configuration {STANZA} {session.name} | display json", f"show {STANZA} {session.name}",
                "show vlans"]

    def port_name(self, port: str) -> str:
        """`ge-0/0/5` and `ge-0/0/5.0` are the same analyzer input (unit 0)."""
        port = port.strip().lower()
        return port if "." in port or not re.match(r"^[a-z]+-\d+/\d+/\d+$", port) else f"{port}.0"

    def configure(self, conn, commands: list[str]) -> str:
        from netmiko.exceptions import ConfigInvalidException
        try:
            output = conn.send_config_set(commands, config_mode_command="configure private",
                                          exit_config_mode=False, error_pattern=whole_line(ERROR_PATTERN), read_timeout=30)
            output += conn.commit(check=True)
            output += conn.commit()
        except (ConfigInvalidException, ValueError) as exc:
            discard(conn)
            raise SwitchCommandError(f"the switch refused the change: {reason(str(exc))}") from exc
        return output + conn.exit_config_mode()

    def save(self, conn) -> str:
        return "Junos: the commit is already in the persistent configuration; nothing to save"

    def dry_run(self, conn, commands: list[str]) -> str:
        """`commit check` and `show | compare` in a private candidate, then `rollback 0`."""
        from netmiko.exceptions import ConfigInvalidException
        try:
            conn.config_mode(config_command="configure private")
            conn.send_config_set(commands, enter_config_mode=False, exit_config_mode=False,
                                 error_pattern=whole_line(ERROR_PATTERN), read_timeout=30)
            checked = conn.commit(check=True)
            return conn.send_command("show | compare") + "\n" + checked
        except (ConfigInvalidException, ValueError) as exc:
            raise SwitchCommandError(f"the switch refused the change: {reason(str(exc))}") from exc
        finally:
            discard(conn)

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        """From [configuration JSON, screen, show vlans] (what `verify_commands` reads), or from the
        screen alone (with `show vlans` after it)."""
        if len(outputs) == 3:
            vlans = junos_screen.vlan_table(outputs[2])
            configured = junos_config.analyzer(outputs[0], session.name, vlans, self.port_name)
            shown = junos_screen.analyzers(outputs[1], vlans, self.port_name).get(session.name)
            draft = screen.agree(self.device_type, configured, shown)
        else:
            draft = self._analyzers(outputs).get(session.name)
        return None if draft is None else draft.build(session.name, session.number)

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        """Every analyzer in a `show forwarding-options analyzer`, by name."""
        return {name: draft.build(name, 0) for name, draft in self._analyzers(outputs).items()}

    def _analyzers(self, outputs: list[str]) -> dict:
        """outputs: the analyzer listing, then (optionally) `show vlans` to resolve VLAN names."""
        vlans = junos_screen.vlan_table(outputs[1]) if len(outputs) > 1 else {}
        return junos_screen.analyzers(outputs[0] if outputs else "", vlans, self.port_name)


def sides(direction: str) -> list[str]:
    return {"rx": ["ingress"], "tx": ["egress"], "both": ["ingress", "egress"]}[direction]


def discard(conn) -> None:
    """Throw the private candidate away and leave configuration mode."""
    try:
        if conn.check_config_mode():
            conn.send_command("rollback 0", expect_string=r"#\s*$")
            conn.exit_config_mode()
    except Exception:                       # the connection may be gone; the caller's error says why
        pass


def reason(text: str) -> str:
    """The messages of a Junos refusal: indented lines under `'statement'`, and `error:`/`syntax error.`."""
    lines = [line for line in text.splitlines() if line.strip()]
    detail = [line.strip() for line in lines if re.match(r"^ {4}\S", line)
              or (re.search(r"error|invalid|unknown|syntax", line, re.I) and not line.startswith("Commit failed"))]
    return "; ".join(detail[:4] or [lines[0].strip() if lines else "no reason given"])[:300]
