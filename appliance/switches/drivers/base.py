"""What every platform driver provides. A driver is a thin class: it renders commands from a
`MirrorSession`, parses its platform's read-back output into one, and runs them over a Netmiko
connection in the platform's way (config mode, commit, or a root shell).

Subclasses set `device_type` and implement `create_commands`, `remove_commands`, `verify_commands`
and `parse`; they override `configure`, `save`, `dry_run` or `owns` where their platform differs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from appliance.switches.errors import SwitchCommandError, Unsupported
from appliance.switches.model import SESSION_NAME, MirrorSession

ERROR_PATTERN = r"(?m)^\s*%|[Ee]rror|ERROR|[Ii]nvalid|[Ii]ncomplete|[Uu]nknown command|[Uu]nrecognized"


@dataclass(frozen=True)
class Plan:
    """The commands of one change, rendered without connecting."""
    device_type: str
    create: list[str]
    verify: list[str]
    remove: list[str]
    save: list[str]
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"# {self.device_type}: create" if self.create else ""]
        lines += self.create
        for title, commands in (("read back", self.verify), ("remove", self.remove), ("save (off by default)", self.save)):
            if commands:
                lines += [f"# {title}"] + commands
        lines += [f"# note: {note}" for note in self.notes]
        return "\n".join(line for line in lines if line) + "\n"


class Driver:
    device_type: ClassVar[str] = ""
    has_marker: ClassVar[bool] = False      # parse() puts the session's name/description/comment in extra["marker"]
    marker_is_name: ClassVar[bool] = False  # the "marker" is the session's own name (EOS, Junos): it proves nothing
    notes: ClassVar[tuple[str, ...]] = ()

    # -- rendering (pure) ----------------------------------------------------------------------
    def create_commands(self, session: MirrorSession) -> list[str]:
        raise NotImplementedError

    def remove_commands(self, session: MirrorSession) -> list[str]:
        raise NotImplementedError

    def verify_commands(self, session: MirrorSession) -> list[str]:
        raise NotImplementedError

    def save_commands(self) -> list[str]:
        return []

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        """The session as the switch holds it (from the outputs of `verify_commands`), None when absent."""
        raise NotImplementedError

    def port_name(self, port: str) -> str:
        """The canonical spelling of a port, so `GigabitEthernet1/0/5` and `Gi1/0/5` compare equal."""
        return port

    def owns(self, observed: MirrorSession) -> bool | None:
        """True/False when the platform marks sessions (our name is there or not); None when it cannot tell.
        A session of a kind the appliance never creates (RSPAN, ERSPAN, all interfaces) is never ours."""
        if observed.extra.get("unmanaged"):
            return False
        if not self.has_marker or self.marker_is_name:
            return None
        return observed.extra.get("marker") == SESSION_NAME

    def plan(self, session: MirrorSession) -> Plan:
        return Plan(self.device_type, self.create_commands(session), self.verify_commands(session),
                    self.remove_commands(session), self.save_commands(), list(self.notes))

    def differences(self, wanted: MirrorSession, observed: MirrorSession) -> list[str]:
        """What differs, including what the appliance never configures: a session kind it does not
        manage, and filters (VLAN, ACL) that narrow what is mirrored."""
        found = wanted.differences(observed, self.port_name)
        if observed.extra.get("unmanaged"):
            found.insert(0, f"the switch holds {observed.extra['unmanaged']}, not a local SPAN session")
        for label, value in sorted(observed.extra.get("filters", {}).items()):
            found.append(f"{label}: wanted none, switch has {value}")
        return found

    # -- running (over a Netmiko connection) ---------------------------------------------------
    def read(self, conn, session: MirrorSession) -> MirrorSession | None:
        outputs = [conn.send_command(command, read_timeout=30) for command in self.verify_commands(session)]
        return self.parse(outputs, session)

    def configure(self, conn, commands: list[str]) -> str:
        """Send configuration commands; SwitchCommandError (and back out of config mode) when one is refused."""
        from netmiko.exceptions import ConfigInvalidException
        try:
            return conn.send_config_set(commands, error_pattern=whole_line(ERROR_PATTERN), read_timeout=30)
        except ConfigInvalidException as exc:
            _leave_config_mode(conn)
            raise SwitchCommandError(f"the switch refused a command: {_first_line(str(exc))}") from exc

    def save(self, conn) -> str:
        return conn.save_config()

    def dry_run(self, conn, commands: list[str]) -> str:
        """Check the commands against the switch's candidate configuration without changing it."""
        raise Unsupported(f"{self.device_type} has no candidate configuration; --dry-run prints the plan only")


def whole_line(pattern: str) -> str:
    """The error pattern extended to the end of its line, so Netmiko's exception quotes the switch's
    message (`% Invalid input detected ...`) rather than only the matched `%`."""
    body = pattern[len("(?m)"):] if pattern.startswith("(?m)") else pattern
    return f"(?m)(?:{body}).*"


def _leave_config_mode(conn) -> None:
    try:
        if conn.check_config_mode():
            conn.exit_config_mode()
    except Exception:                       # the connection may be gone; the error above says why
        pass


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)[:300]
