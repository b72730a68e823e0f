"""Cisco NX-OS dialect: admins land at `sw1#`; `interface EthX/Y` -> `switchport monitor`;
`monitor session N` -> `sw1(config-monitor)#` with description, sources, destination and shut/no shut
(new sessions are shut); a destination must be a monitor port. `configure session NAME` edits a copy
(`sw1(config-s)#`) with `verify`, `show configuration session NAME`, `commit` and `abort`; the session
limit is then checked at verify/commit. Errors as `% Invalid command at '^' marker.` and `ERROR: ...`."""
from __future__ import annotations

import re

from tests.switch.emulator.cisco import DIRECTION, CiscoLike
from tests.switch.emulator.dialect import Refused
from tests.switch.emulator.state import Session

ROWS = (("rx", ("rx", "both")), ("tx", ("tx", "both")), ("both", ("both",)))


def port(text: str) -> str:
    """`Ethernet1/5`, `Eth1/5`, `e1/5` -> `Ethernet1/5` (ports 1/1-1/54)."""
    found = re.fullmatch(r"(?i)(e|et|eth|ethernet)(1)/(\d+)", text)
    if found and 1 <= int(found.group(3)) <= 54:
        return f"Ethernet1/{found.group(3)}"
    raise Refused(text)


def short(name: str) -> str:
    return name.replace("Ethernet", "Eth")


class Nxos(CiscoLike):
    login_mode = "exec"
    configured = "Enter configuration commands, one per line. End with CNTL/Z."
    saved = ("[########################################] 100%\n"
             "Copy complete, now saving to disk (please wait)...\nCopy complete.")

    def __init__(self, state, username, secret):
        super().__init__(state, username, secret)
        self.session_name, self.session_lines, self.candidate_ports = "", [], None

    @property
    def monitor_ports(self) -> set[str]:
        return self.candidate_ports if self.candidate_ports is not None else self.state.monitor_ports

    def exec_extra(self, line: str) -> str | None:
        found = re.fullmatch(r"configure session (\S+)", line)
        if found:
            self.session_name, self.session_lines = found.group(1), []
            self.candidate, self.candidate_ports = self.state.snapshot(), set(self.state.monitor_ports)
            self.context = "config-s"
            return "Config Session started, Session ID is 1\n" + self.configured
        return None

    def top_context(self) -> str:
        return "config-s" if self.candidate is not None else "config"

    def leave(self) -> None:
        super().leave()
        self.candidate = self.candidate_ports = None

    def config_line(self, line: str) -> str:
        if self.candidate is not None:
            reply = self.session_command(line)
            if reply is not None:
                return reply
            self.session_lines.append(line)
        return super().config_line(line)

    def session_command(self, line: str) -> str | None:
        if line == "verify":
            return self.verify() or "Verification Successful"
        if line == f"show configuration session {self.session_name}":
            return f"config session {self.session_name}\n" + "".join(
                f"{n:04d}  {text}\n" for n, text in enumerate(self.session_lines, 1))
        if line == "abort":
            self.leave()
            return ""
        if line == "commit":
            problem = self.verify()
            if problem:
                return problem
            self.state.sessions, self.state.monitor_ports = self.candidate, self.candidate_ports
            self.leave()
            return "Commit Successful"
        return None

    def verify(self) -> str:
        """The checks a configuration session defers: the session limit."""
        limit = self.state.max_sessions
        if limit is not None and len(self.candidate) > limit:
            return (f"Failed to verify: ERROR: Maximum number of monitor sessions ({limit}) exceeded\n"
                    "Verification Failed")
        return ""

    def config_global(self, line: str) -> str | None:
        found = re.fullmatch(r"monitor session (\d+)(?: type local)?", line)
        if found:
            key = found.group(1)
            if key not in self.sessions and self.candidate is None and self.state.full(self.sessions, key):
                raise Refused(message=f"ERROR: Maximum number of monitor sessions ({self.state.max_sessions}) reached")
            self.sessions.setdefault(key, Session(enabled=False))
            self.context, self.target = self.sub("monitor"), key
            return ""
        found = re.fullmatch(r"no monitor session (\d+|all)", line)
        if found:
            for key in list(self.sessions) if found.group(1) == "all" else [found.group(1)]:
                self.sessions.pop(key, None)
            return ""
        found = re.fullmatch(r"interface (\S+)", line)
        if found:
            self.context, self.target = self.sub("if"), port(found.group(1))
            return ""
        return super().config_global(line)

    def sub(self, name: str) -> str:
        return f"config-s-{name}" if self.candidate is not None else f"config-{name}"

    def config_context(self, line: str) -> str | None:
        if self.context.endswith("-if"):
            return self.interface_line(line)
        if self.context.endswith("-monitor"):
            return self.monitor_line(self.sessions[self.target], line)
        return None

    def interface_line(self, line: str) -> str | None:
        if line == "switchport monitor":
            self.monitor_ports.add(self.target)
        elif line == "no switchport monitor":
            self.monitor_ports.discard(self.target)
        elif not re.fullmatch(r"(no )?(switchport|shutdown|description .*)", line):
            return None
        return ""

    def monitor_line(self, session: Session, line: str) -> str | None:
        found = re.fullmatch(r"source interface (\S+)" + DIRECTION, line)
        if found:
            session.sources[port(found.group(1))] = found.group(2) or "both"
            return ""
        found = re.fullmatch(r"source vlan (\d+)" + DIRECTION, line)
        if found:
            session.vlans[int(found.group(1))] = found.group(2) or "rx"
            return ""
        found = re.fullmatch(r"destination interface (\S+)", line)
        if found:
            name = port(found.group(1))
            if name not in self.monitor_ports:
                raise Refused(message=f"ERROR: {name}: not a monitor port, configure 'switchport monitor' first")
            session.destination = name
            return ""
        found = re.fullmatch(r"(no )?shut(?:down)?", line)
        if found:
            session.enabled = bool(found.group(1))
            return ""
        found = re.fullmatch(r"description (.+)", line)
        if found:
            session.description = found.group(1)
            return ""
        return None

    def invalid(self, line: str, refused: Refused) -> str:
        if refused.message:
            return refused.message
        return self.caret(line, refused.word, len(self.prompt())) + "\n% Invalid command at '^' marker.\n"

    def show(self, command: str) -> str | None:
        found = re.fullmatch(r"show monitor session (\d+|all)", command)
        if found:
            keys = sorted(self.state.sessions, key=int) if found.group(1) == "all" else \
                [k for k in [found.group(1)] if k in self.state.sessions]
            draw = LAYOUTS[self.state.layout or "classic"]
            return "".join(draw(key, self.state.sessions[key]) for key in keys)
        if command == "show running-config monitor":
            return ("\n!Command: show running-config monitor\n!Time: Mon Dec  7 06:00:00 2026\n\n"
                    "version 9.3(8) Bios:version 05.44\n" + self.monitor_config())
        return super().show(command)

    def running_config(self) -> str:
        lines = [f"hostname {self.state.hostname}", ""]
        for name in sorted(self.state.monitor_ports):
            lines += [f"interface {name}", "  switchport", "  switchport monitor", ""]
        return "\n".join(lines) + "\n" + self.monitor_config()

    def monitor_config(self) -> str:
        lines = []
        for key in sorted(self.state.sessions, key=int):
            session = self.state.sessions[key]
            lines.append(f"monitor session {key}")
            lines += [f"  description {session.description}"] if session.description else []
            lines += [f"  source interface {p} {d}" for p, d in session.sources.items()]
            lines += [f"  source vlan {v} {d}" for v, d in session.vlans.items()]
            lines += [f"  destination interface {session.destination}"] if session.destination else []
            lines.append("  no shut" if session.enabled else "  shut")
        return "\n".join(lines) + "\n"


def render(key: str, session: Session) -> str:
    """`show monitor session N` in the layout of genieparser's nxos ShowMonitorSession golden files."""
    state = state_of(session)
    lines = [f"   session {key}", "---------------"]
    lines += [f"description       : {session.description}"] if session.description else []
    lines += ["type              : local", f"state             : {state}"]
    for title, found, show in (("source intf", session.sources, short), ("source VLANs", session.vlans, str)):
        lines.append(f"{title:<18}:")
        for label, directions in ROWS:
            names = [show(n) for n, d in found.items() if d in directions]
            if names:
                lines.append(f"    {label:<14}: {'  '.join(names)}")
    lines += ["filter VLANs      : filter not specified",
              f"destination ports : {short(session.destination)}" if session.destination else "destination ports :",
              "", "Legend: f = forwarding enabled, l = learning enabled", ""]
    return "\n".join(lines) + "\n"


def render_extended(key: str, session: Session) -> str:
    """A Nexus 7000/9000 in extended mode (genieparser nxos ShowMonitorSession golden_output_3): the
    command echoed, direction lines at the left margin and printed when empty, `source exception`,
    `filter VLANs`, then the feature/module table and its legend."""
    lines = [f"show monitor session {key}", f"session {key}", "---------------"]
    lines += [f"description       : {session.description}"] if session.description else []
    lines += ["type              : local", "mode              : extended", "ssn direction     : both",
              f"state             : {state_of(session)}"]
    for title, found, show in (("source intf", session.sources, short), ("source VLANs", session.vlans, str)):
        lines.append(f"{title:<18}:")
        for label, directions in ROWS:
            names = [show(n) for n, d in found.items() if d in directions]
            lines.append(f"{label:<14}: {'  '.join(names)}".rstrip() if names else f"{label:<14}:")
    lines += ["source exception  :", "filter VLANs      : filter not specified",
              f"destination ports : {short(session.destination)}" if session.destination else "destination ports :",
              "", "Feature       Enabled   Value   Modules Supported       Modules Not-Supported",
              "-" * 77, "MTU-Trunc     No", "rate-limit-rx No", "rate-limit-tx No", "Sampling      No",
              "MCBE          No", "L3-TX         -         -       1                       3  4  9",
              "Simpl RB span No", "EXTENDED-SSN  Yes       -       1  3  4  9              -", "", "Legend:",
              "MCBE   = Multicast Best Effort", "L3-TX  = L3 Multicast Egress SPAN",
              "ExSP-X = Exception Span for type X (L3, FP, or misc)"]
    return "\n".join(lines) + "\n"


def state_of(session: Session) -> str:
    return "up" if session.enabled and session.destination else \
        "down (Session admin shut)" if not session.enabled else "down (No operational dst port)"


LAYOUTS = {"classic": render, "extended": render_extended}
