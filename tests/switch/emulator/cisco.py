"""The Cisco-style CLI the IOS, NX-OS, EOS and AOS-CX dialects share: user/privileged exec, enable
with a secret, `terminal` settings, `configure terminal`, nested contexts (`sw1(config-if)#`),
`end`/`exit`, `do`, show commands with `| include`, and saving. A dialect adds its own commands in
`exec_extra`, `config_global` and `config_context`, and its show commands in `show`."""
from __future__ import annotations

import re

from tests.switch.emulator.dialect import Dialect, Refused, filtered

DIRECTION = r"(?:\s+(rx|tx|both))?"


class CiscoLike(Dialect):
    login_mode = "user"                 # or "exec" (NX-OS, AOS-CX admins land at #)
    configure_command = r"conf(?:igure)?(?: t(?:erm(?:inal)?)?)?"
    configured = "Enter configuration commands, one per line.  End with CNTL/Z."
    save_commands = ("copy running-config startup-config",)
    saved = "Copy completed successfully."
    terminal_commands = {r"terminal length \d+": "", r"terminal width \d+": "", r"terminal no monitor": ""}

    def __init__(self, state, username, secret):
        super().__init__(state, username, secret)
        self.mode = self.login_mode
        self.context = ""               # "" in exec modes; "config", "config-if", ... in configuration
        self.target = None              # what a context edits (a Session, an interface name)
        self.candidate = None           # a configuration session's copy of the sessions, if any

    # -- prompt and dispatch ------------------------------------------------------------------
    def prompt(self) -> str:
        if self.question:
            return self.question
        host = self.state.hostname
        if self.mode == "user":
            return f"{host}>"
        return f"{host}({self.context})#" if self.context else f"{host}#"

    def command(self, line: str) -> str:
        if self.context:
            return self.config_line(line)
        return self.exec_line(line)

    @property
    def sessions(self):
        return self.candidate if self.candidate is not None else self.state.sessions

    def exec_line(self, line: str) -> str:
        for pattern, reply in self.terminal_commands.items():
            if re.fullmatch(pattern, line):
                return reply.format(*re.fullmatch(pattern, line).groups())
        if line in ("exit", "logout", "quit"):
            self.closed = True
            return ""
        if line == "enable":
            return "" if self.mode == "exec" else self.ask("Password: ", self.enable, echo=False)
        if line.startswith("show "):
            return self.show_piped(line)
        if self.mode == "user":
            raise Refused(line.split()[0])
        if line == "disable":
            self.mode = "user"
            return ""
        if re.fullmatch(self.configure_command, line):
            self.context = "config"
            return self.configured
        if line in self.save_commands:
            self.state.save()
            return self.saved
        reply = self.exec_extra(line)
        if reply is None:
            raise Refused(line.split()[0])
        return reply

    def enable(self, secret: str) -> str:
        if secret == self.secret:
            self.mode = "exec"
            return ""
        return "% Access denied"

    def show_piped(self, line: str) -> str:
        command, _, pipe = line.partition(" | ")
        output = self.show(command.strip())
        if output is None:
            raise Refused(command.split()[1] if len(command.split()) > 1 else command)
        return filtered(output, pipe) if pipe else output

    def config_line(self, line: str) -> str:
        if line == "end":
            self.leave()
            return ""
        if line == "exit":
            if self.context == self.top_context():
                self.leave()
            else:
                self.context, self.target = self.top_context(), None
            return ""
        if line.startswith("do "):
            return self.exec_line(line[3:].strip())
        if self.context != self.top_context():
            reply = self.config_context(line)
            if reply is not None:
                return reply
        self.context, self.target = self.top_context(), None     # a global command leaves the context
        reply = self.config_global(line)
        if reply is None:
            raise Refused(line.split()[0])
        return reply

    def top_context(self) -> str:
        return "config"

    def leave(self) -> None:
        self.context, self.target = "", None

    # -- what dialects add -----------------------------------------------------------------------
    def exec_extra(self, line: str) -> str | None:
        return None

    def config_global(self, line: str) -> str | None:
        found = re.fullmatch(r"hostname (\S+)", line)
        if found:
            self.state.hostname = found.group(1)
            return ""
        return None

    def config_context(self, line: str) -> str | None:
        return None

    def show(self, command: str) -> str | None:
        if command in ("show running-config", "show run"):
            return self.running_config()
        return None

    def running_config(self) -> str:
        return f"hostname {self.state.hostname}\n"
