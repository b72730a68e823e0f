"""Arista EOS dialect: `sw1>` -> enable -> `sw1#`; `terminal width` answers `Width set to N columns.`
and `terminal length 0` answers `Pagination disabled.` (Netmiko waits for both); named sessions as
`monitor session NAME source|destination ...` one-liners; `configure session NAME` edits a copy
(`sw1(config-s-NAME)#`) with `show session-config diffs`, `commit` and `abort`. Errors as
`% Invalid input`; the knob refuses a session over the limit."""
from __future__ import annotations

import difflib
import re

from tests.switch.emulator.cisco import DIRECTION, CiscoLike
from tests.switch.emulator.dialect import Refused, natural
from tests.switch.emulator.state import Session

LABELS = (("Rx Only", "rx"), ("Tx Only", "tx"), ("Both", "both"))


def port(text: str) -> str:
    """`Ethernet5`, `Et5`, `eth5` -> `Ethernet5` (ports 1-52)."""
    found = re.fullmatch(r"(?i)(et|eth|ethernet)(\d+)", text)
    if found and 1 <= int(found.group(2)) <= 52:
        return f"Ethernet{found.group(2)}"
    raise Refused(text)


class Eos(CiscoLike):
    terminal_commands = {r"terminal width (\d+)": "Width set to {0} columns.",
                         r"terminal length 0": "Pagination disabled.", r"terminal length (\d+)": ""}
    save_commands = ("copy running-config startup-config", "write memory", "write")

    def __init__(self, state, username, secret):
        super().__init__(state, username, secret)
        self.session_name = ""

    def exec_extra(self, line: str) -> str | None:
        found = re.fullmatch(r"configure session (\S+)", line)
        if found:
            self.session_name, self.candidate = found.group(1), self.state.snapshot()
            self.context = self.top_context()
            return ""
        return None

    def top_context(self) -> str:
        return f"config-s-{self.session_name[:6]}" if self.candidate is not None else "config"

    def config_line(self, line: str) -> str:
        if self.candidate is not None and line in ("abort", "commit"):
            if line == "commit":
                self.state.sessions = self.candidate
            self.candidate = None
            self.leave()
            return ""
        if self.candidate is not None and line == "show session-config diffs":
            return self.diffs()
        if line == "end" and self.candidate is not None:
            self.candidate = None            # EOS would keep the pending session; nothing here reuses it
        return super().config_line(line)

    def diffs(self) -> str:
        before, after = running_lines(self.state.sessions), running_lines(self.candidate)
        return "".join(line if line.endswith("\n") else line + "\n" for line in difflib.unified_diff(
            before, after, "system:/running-config", f"session:/{self.session_name}-session-config", lineterm=""))

    def config_global(self, line: str) -> str | None:
        found = re.fullmatch(r"monitor session (\S+) (source|destination) (.*)", line)
        if found:
            return self.session_line(found.group(1), found.group(2), found.group(3))
        found = re.fullmatch(r"no monitor session (\S+)", line)
        if found:
            self.sessions.pop(found.group(1), None)
            return ""
        found = re.fullmatch(r"interface (\S+)", line)
        if found:
            self.context, self.target = "config-if-" + port(found.group(1)).replace("Ethernet", "Et"), None
            return ""
        return super().config_global(line)

    def config_context(self, line: str) -> str | None:
        if self.context.startswith("config-if") and re.fullmatch(r"(no )?(shutdown|switchport.*|description .*)", line):
            return ""
        return None

    def session_line(self, name: str, verb: str, rest: str) -> str:
        if name not in self.sessions and self.state.full(self.sessions, name):
            raise Refused(message=f"% Could not create monitor session {name}: the maximum of "
                          f"{self.state.max_sessions} sessions is configured")
        found = re.fullmatch(r"(?i)vlan ?(\d+)" + DIRECTION, rest) if verb == "source" else None
        if found:
            self.sessions.setdefault(name, Session()).vlans[int(found.group(1))] = found.group(2) or "both"
            return ""
        found = re.fullmatch(r"(\S+)" + (DIRECTION if verb == "source" else ""), rest)
        if not found:
            raise Refused(rest.split()[-1] if rest.split() else verb)
        interface = port(found.group(1))
        session = self.sessions.setdefault(name, Session())
        if verb == "source":
            session.sources[interface] = found.group(2) or "both"
        else:
            session.destination = interface
        return ""

    def invalid(self, line: str, refused: Refused) -> str:
        return refused.message or "% Invalid input"

    def show(self, command: str) -> str | None:
        found = re.fullmatch(r"show monitor session(?: (\S+))?", command)
        if found:
            names = sorted(self.state.sessions) if found.group(1) is None else \
                [n for n in [found.group(1)] if n in self.state.sessions]
            draw = render_wrapped if self.state.layout == "wrapped" else render
            return "\n".join(draw(name, self.state.sessions[name]) for name in names)
        return super().show(command)

    def running_config(self) -> str:
        return "\n".join([f"hostname {self.state.hostname}", "!"] + running_lines(self.state.sessions) + ["end"]) + "\n"


def running_lines(sessions: dict[str, Session]) -> list[str]:
    lines = []
    for name in sorted(sessions):
        session, prefix = sessions[name], f"monitor session {name}"
        lines += [f"{prefix} source {p}" + ("" if d == "both" else f" {d}") for p, d in session.sources.items()]
        lines += [f"{prefix} source Vlan{v}" + ("" if d == "both" else f" {d}") for v, d in session.vlans.items()]
        lines += [f"{prefix} destination {session.destination}"] if session.destination else []
    return lines


HEADER = ["------------------------", "", "Programmed in HW: Yes", ""]


def render(name: str, session: Session) -> str:
    """`show monitor session NAME` as EOS prints it (SPAN.md's layout, with EOS's blank lines)."""
    lines = [f"Session {name}", *HEADER]
    for title, directions in _sources(session):
        lines += [f"{title}:", ""]
        for label, names in directions:
            lines += [f"  {label + ':':<15}{', '.join(names)}", ""]
    if session.destination:
        lines += ["Destination Ports:", "", f"    {session.destination.replace('Ethernet', 'Et')} :  active", ""]
    return "\n".join(lines) + "\n"


def render_wrapped(name: str, session: Session) -> str:
    """The EOS User Manual's layout (tests/switch/fixtures/arista_eos): a direction's ports two to a
    line, the rest on indented continuation lines, no blank line between directions."""
    lines = [f"Session {name}", *HEADER]
    for title, directions in _sources(session):
        lines += [f"{title}:", ""]
        for label, names in directions:
            rows = [", ".join(names[n:n + 2]) for n in range(0, len(names), 2)]
            lines += [f"  {label + ':':<13}{rows[0]}"] + [f"{'':<15}{row}" for row in rows[1:]]
        lines.append("")
    if session.destination:
        lines += ["Destination Ports:", "", f"    {session.destination.replace('Ethernet', 'Et')} :  active"]
    return "\n".join(lines) + "\n"


def _sources(session: Session):
    """(title, [(direction label, sorted names as EOS shows them)]) for the source ports and VLANs a
    session has, directions without a source left out."""
    for title, found, show in (("Source Ports", session.sources, lambda p: p.replace("Ethernet", "Et")),
                               ("Source VLANs", session.vlans, str)):
        if found:
            directions = [(label, sorted((show(n) for n, d in found.items() if d == direction), key=natural))
                          for label, direction in LABELS]
            yield title, [(label, names) for label, names in directions if names]
