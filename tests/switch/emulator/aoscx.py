"""Aruba AOS-CX dialect: admins land at `sw1#`; `no page`; `mirror session N` -> `sw1(config-mirror-N)#`
with comment, sources, destination and enable/disable; `show mirror N`; `write memory` ->
`Copying configuration: [Success]`. Errors as `Invalid input: WORD`; the knob refuses enabling a
session over the limit (the client is then still in the mirror context)."""
from __future__ import annotations

import re

from tests.switch.emulator.cisco import CiscoLike
from tests.switch.emulator.dialect import Refused
from tests.switch.emulator.state import Session


def port(text: str) -> str:
    """`1/1/5` (member 1, slot 1, ports 1-52) or `lag10`."""
    found = re.fullmatch(r"1/1/(\d+)", text)
    if (found and 1 <= int(found.group(1)) <= 52) or re.fullmatch(r"lag\d+", text):
        return text
    raise Refused(text)


class Aoscx(CiscoLike):
    login_mode = "exec"
    configured = ""
    terminal_commands = {r"no page": "", r"page": ""}
    save_commands = ("write memory", "copy running-config startup-config")
    saved = "Copying configuration: [Success]"

    def config_global(self, line: str) -> str | None:
        found = re.fullmatch(r"mirror session (\d+)", line)
        if found:
            self.sessions.setdefault(found.group(1), Session(enabled=False))
            self.context, self.target = f"config-mirror-{found.group(1)}", found.group(1)
            return ""
        found = re.fullmatch(r"no mirror session (\d+)", line)
        if found:
            self.sessions.pop(found.group(1), None)
            return ""
        found = re.fullmatch(r"interface (\S+)", line)
        if found:
            self.context, self.target = "config-if", port(found.group(1))
            return ""
        return super().config_global(line)

    def config_context(self, line: str) -> str | None:
        if self.context.startswith("config-mirror"):
            return self.mirror_line(self.target, self.sessions[self.target], line)
        if self.context == "config-if" and re.fullmatch(r"(no )?(shutdown|routing|description .*|vlan .*)", line):
            return ""
        return None

    def mirror_line(self, key: str, session: Session, line: str) -> str | None:
        found = re.fullmatch(r"source interface (\S+) (rx|tx|both)", line)
        if found:
            session.sources[port(found.group(1))] = found.group(2)
            return ""
        found = re.fullmatch(r"source vlan (\d+) (rx|tx|both)", line)
        if found:
            session.vlans[int(found.group(1))] = found.group(2)
            return ""
        found = re.fullmatch(r"destination interface (\S+)", line)
        if found:
            session.destination = port(found.group(1))
            return ""
        found = re.fullmatch(r"comment (.+)", line)
        if found:
            session.description = found.group(1)
            return ""
        if line in ("enable", "disable"):
            return self.switch(key, session, line == "enable")
        return None

    def switch(self, key: str, session: Session, on: bool) -> str:
        enabled = [k for k, s in self.sessions.items() if s.enabled and k != key]
        limit = self.state.max_sessions
        if on and limit is not None and len(enabled) >= limit:
            raise Refused(message=f"Error: unable to enable mirror session {key}: "
                          f"the maximum of {limit} sessions are enabled")
        session.enabled = on
        return ""

    def invalid(self, line: str, refused: Refused) -> str:
        return refused.message or f"Invalid input: {refused.word or line.split()[0]}"

    def show(self, command: str) -> str | None:
        found = re.fullmatch(r"show mirror (\d+)", command)
        if found:
            session = self.state.sessions.get(found.group(1))
            return render(found.group(1), session) if session else f"Mirror session {found.group(1)} does not exist\n"
        if command == "show running-config mirror":
            return self.running_config().partition("\n")[2] or "\n"
        if command == "show mirror":
            return "".join(render(key, self.state.sessions[key]) + "\n" for key in sorted(self.state.sessions, key=int))
        return super().show(command)

    def running_config(self) -> str:
        lines = [f"hostname {self.state.hostname}"]
        for key in sorted(self.state.sessions, key=int):
            session = self.state.sessions[key]
            lines.append(f"mirror session {key}")
            lines += [f"    comment {session.description}"] if session.description else []
            lines += [f"    source interface {p} {d}" for p, d in session.sources.items()]
            lines += [f"    source vlan {v} {d}" for v, d in session.vlans.items()]
            lines += [f"    destination interface {session.destination}"] if session.destination else []
            lines += ["    enable"] if session.enabled else []
        return "\n".join(lines) + "\n"


def render(key: str, session: Session) -> str:
    """`show mirror N` in SPAN.md's layout."""
    operating = session.enabled and bool(session.destination)
    lines = [f" Mirror Session: {key}", f" Admin Status: {'enable' if session.enabled else 'disable'}",
             f" Operation Status: {'enabled' if operating else 'disabled'}"]
    lines += [f" Comment: {session.description}"] if session.description else []
    lines += [f" Source: interface {p} {d}" for p, d in session.sources.items()]
    lines += [f" Source: vlan {v} {d}" for v, d in session.vlans.items()]
    lines += [f" Destination: interface {session.destination}"] if session.destination else []
    lines += [f" Output Packets: {123456 if operating else 0}", f" Output Bytes: {24691200 if operating else 0}"]
    return "\n".join(lines) + "\n"
