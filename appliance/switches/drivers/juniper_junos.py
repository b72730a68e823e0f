"""Juniper Junos EX/QFX (ELS): `set forwarding-options analyzer VOIPWATCH ...` in a private candidate
(`configure private`), `commit check`, then `commit`; a refused command or a failed check rolls the
candidate back. Read back with `show forwarding-options analyzer VOIPWATCH`; the analyzer's name is
its marker. A commit is persistent, so there is no separate save."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import ERROR_PATTERN, Driver
from appliance.switches.drivers.cli import items, merge, port_sources, vlan_ids, vlan_sources, whole_line
from appliance.switches.errors import SwitchCommandError
from appliance.switches.model import MirrorSession

FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)?\s*:\s*(.*)$")
INPUTS = {"ingress monitored interfaces": ("ports", "rx"), "egress monitored interfaces": ("ports", "tx"),
          "ingress monitored vlans": ("vlans", "rx"), "egress monitored vlans": ("vlans", "tx")}
STANZA = "forwarding-options analyzer"


class JuniperJunos(Driver):
    device_type = "juniper_junos"
    has_marker = True
    marker_is_name = True       # a session named VOIPWATCH may still be someone else's: the store's record decides
    notes = ("Junos applies the change on `commit` (after `commit check`); a commit is already persistent",
             "source VLANs are given by VLAN id; an analyzer that names its VLANs reads back without them")

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
        return [f"show {STANZA} {session.name}"]

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
        fields = analyzer_fields("\n".join(outputs))
        if not fields.get("analyzer name"):
            return None
        ports, vids = {}, {}
        for key, (kind, direction) in INPUTS.items():
            for item in fields.get(key, []):
                if kind == "ports":
                    merge(ports, self.port_name(item), direction)
                for vid in (vlan_ids(item) if kind == "vlans" else []):
                    merge(vids, vid, direction)
        output = next(iter(fields.get("output interface", [])), "")
        extra = {"marker": fields["analyzer name"][0]}
        if fields.get("state"):
            extra["state"] = fields["state"][0]
        return MirrorSession(port_sources(ports),
                             vlan_sources(vids),
                             self.port_name(output) if output else "", fields["analyzer name"][0],
                             session.number, extra)


def sides(direction: str) -> list[str]:
    return {"rx": ["ingress"], "tx": ["egress"], "both": ["ingress", "egress"]}[direction]


def analyzer_fields(text: str) -> dict[str, list[str]]:
    """`Key : a, b` lines, with `: c` continuation lines adding to the key above."""
    fields, key = {}, None
    for line in text.splitlines():
        found = FIELD.match(line)
        if not found:
            continue
        key = found.group(1).strip().lower() if found.group(1) else key
        if key is not None:
            fields.setdefault(key, []).extend(items(found.group(2)))
    return fields


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
