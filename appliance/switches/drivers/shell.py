"""Drivers for Linux hosts acting as switches (`ovs_linux`, `linux`): commands run in a root shell
over SSH with `send_command`, each followed by its exit status, because a shell has no config mode
and no error prompt to match."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.errors import SwitchCommandError

STATUS = re.compile(r"__rc=(\d+)\s*$")


class ShellDriver(Driver):
    def run(self, conn, command: str) -> str:
        """The command's output; SwitchCommandError when it exits non-zero."""
        output = conn.send_command(f"{command} 2>&1; echo __rc=$?", read_timeout=30)
        found = STATUS.search(output.rstrip())
        if found is None:
            raise SwitchCommandError(f"no exit status from {command.split()[0]!r}: is this a POSIX shell?")
        text = output[:found.start()].rstrip()
        if found.group(1) != "0":
            raise SwitchCommandError(f"{command.split()[0]} failed (exit {found.group(1)}): "
                                     f"{text.strip().splitlines()[-1] if text.strip() else 'no output'}")
        return text

    def read(self, conn, session):
        return self.parse([self.run_quiet(conn, command) for command in self.verify_commands(session)], session)

    def run_quiet(self, conn, command: str) -> str:
        """Output of a read-only command, errors included (the parser decides what they mean)."""
        return conn.send_command(f"{command} 2>&1", read_timeout=30)

    def configure(self, conn, commands: list[str]) -> str:
        return "\n".join(self.run(conn, command) for command in commands)

    def save(self, conn) -> str:
        return ""


def quote(word: str) -> str:
    """Port names are validated (no spaces or shell characters); quote anyway."""
    return "'" + word.replace("'", "'\\''") + "'"
