"""Juniper Junos (ELS) dialect: `admin@sw1> ` / `[edit]` + `admin@sw1# `; the `set cli ...` commands
Netmiko sends; `configure [private|exclusive]` edits a candidate with `set|delete forwarding-options
analyzer NAME ...`, `show | compare`, `commit check`, `commit`, `rollback 0`, and
`exit configuration-mode` (asking before it throws uncommitted changes away). Checks run at commit:
interface names, an output that is also an input, and the knob's analyzer limit."""
from __future__ import annotations

import json
import re

from tests.switch.emulator.dialect import Dialect, Refused
from tests.switch.emulator.state import Session

SIDES = {"ingress": "rx", "egress": "tx"}
INTERFACE = re.compile(r"(ge|xe|et|mge)-\d+/\d+/\d+\.\d+|ae\d+\.\d+")
ANALYZER = "forwarding-options analyzer"


class Junos(Dialect):
    greeting = "--- JUNOS 21.4R3-S5.4 built 2023-08-07 07:07:59 UTC\n"
    exec_commands = {r"set cli screen-width (\d+)": "Screen width set to {0}",
                     r"set cli screen-length (\d+)": "Screen length set to {0}",
                     r"set cli complete-on-space off": "Disabling complete-on-space",
                     r"set cli terminal \S+": ""}

    def __init__(self, state, username, secret):
        super().__init__(state, username, secret)
        self.candidate = None           # None in operational mode

    def prompt(self) -> str:
        if self.question:
            return self.question
        if self.candidate is None:
            return f"{self.username}@{self.state.hostname}> "
        return f"\n[edit]\n{self.username}@{self.state.hostname}# "

    def command(self, line: str) -> str:
        return self.operational(line) if self.candidate is None else self.configuration(line)

    def operational(self, line: str) -> str:
        for pattern, reply in self.exec_commands.items():
            if re.fullmatch(pattern, line):
                return reply.format(*re.fullmatch(pattern, line).groups())
        if re.fullmatch(r"configure(?: (private|exclusive))?", line):
            self.candidate = self.state.snapshot()
            warning = "warning: uncommitted changes will be discarded on exit\n" if line.endswith("private") else ""
            return warning + "Entering configuration mode"
        if line in ("exit", "quit"):
            self.closed = True
            return ""
        if line.startswith("show "):
            return self.show(line)
        raise Refused(line.split()[0])

    def show(self, line: str) -> str:
        found = re.fullmatch(rf"show {ANALYZER}(?: (\S+))?", line)
        if found:
            names = sorted(self.state.sessions) if found.group(1) is None else \
                [n for n in [found.group(1)] if n in self.state.sessions]
            vlan = (lambda vid: str(vid)) if self.state.layout == "ids" else \
                (lambda vid: f"default-switch/{self.state.vlan_names.get(vid, f'vlan{vid}')}")
            return "".join(render(name, self.state.sessions[name], vlan) for name in names)
        if line == "show vlans":
            return vlan_table(self.state.vlan_names)
        found = re.fullmatch(rf"show configuration {ANALYZER}(?: (\S+))? \| display json", line)
        if found:
            names = [n for n in sorted(self.state.sessions) if found.group(1) in (None, n)]
            return as_json({n: self.state.sessions[n] for n in names}) + "\n{master:0}\n"
        if line in (f"show configuration {ANALYZER}", "show configuration"):
            return "".join(stanza(name, self.state.sessions[name]) for name in sorted(self.state.sessions))
        raise Refused(line.split()[1] if len(line.split()) > 1 else line)

    def configuration(self, line: str) -> str:
        found = re.fullmatch(rf"set {ANALYZER} (\S+) (.+)", line)
        if found:
            return self.set_analyzer(self.candidate.setdefault(found.group(1), Session()), found.group(2))
        found = re.fullmatch(rf"delete {ANALYZER}(?: (\S+))?", line)
        if found:
            names = list(self.candidate) if found.group(1) is None else [found.group(1)]
            if not any(name in self.candidate for name in names):
                return "warning: statement not found"
            for name in names:
                self.candidate.pop(name, None)
            return ""
        if re.fullmatch(r"commit(?: check| and-quit| confirmed(?: \d+)?)?(?: comment \".*\")?", line):
            return self.commit(line)
        if line in ("rollback", "rollback 0"):
            self.candidate = self.state.snapshot()
            return "load complete"
        if line in ("show | compare", "show|compare"):
            return compare(self.state.sessions, self.candidate)
        if line.startswith("run "):
            return self.operational(line[4:].strip())
        if line in ("exit configuration-mode", "exit", "quit"):
            return self.leave()
        raise Refused(line.split()[-1] if line.startswith(("set ", "delete ")) else line.split()[0])

    def set_analyzer(self, session: Session, rest: str) -> str:
        found = re.fullmatch(r"input (ingress|egress) (interface|vlan) (\S+)", rest)
        if found and found.group(2) == "interface":
            old = session.sources.get(found.group(3))
            new = SIDES[found.group(1)]
            session.sources[found.group(3)] = new if old in (None, new) else "both"
            return ""
        if found and found.group(3).isdigit():
            old = session.vlans.get(int(found.group(3)))
            new = SIDES[found.group(1)]
            session.vlans[int(found.group(3))] = new if old in (None, new) else "both"
            return ""
        found = re.fullmatch(r"output interface (\S+)", rest)
        if found:
            session.destination = found.group(1)
            return ""
        raise Refused(rest.split()[1] if len(rest.split()) > 1 else rest)

    def problems(self) -> list[tuple[str, str, str]]:
        """What `commit check` refuses: (analyzer, statement, message)."""
        found = []
        limit = self.state.max_sessions
        for name, session in sorted(self.candidate.items()):
            for interface in [*session.sources, session.destination]:
                if interface and not INTERFACE.fullmatch(interface):
                    found.append((name, f"interface {interface}", f"invalid interface name '{interface}'"))
            if session.destination in session.sources:
                found.append((name, "output", f"Analyzer {name}: output {session.destination} is also an input"))
            if not session.destination:
                found.append((name, "output", f"Analyzer {name}: output must be configured"))
        if limit is not None and len(self.candidate) > limit:
            found.append((sorted(self.candidate)[-1], "input", f"Maximum number of analyzers ({limit}) exceeded"))
        return found

    def commit(self, line: str) -> str:
        problems = self.problems()
        if problems:
            return "".join(f"[edit {ANALYZER} {name}]\n  '{where}'\n    {message}\n"
                           for name, where, message in problems) + "error: configuration check-out failed"
        if line == "commit check":
            return "configuration check succeeds"
        self.state.sessions = self.candidate
        self.candidate = self.state.snapshot()
        self.state.save()                               # a Junos commit is persistent
        if "and-quit" in line:
            self.candidate = None
            return "commit complete\nExiting configuration mode"
        if "confirmed" in line:
            return ("configuration check succeeds\ncommit confirmed will be automatically rolled back in 10 minutes "
                    "unless confirmed\ncommit complete")
        return "commit complete"

    def leave(self) -> str:
        if compare(self.state.sessions, self.candidate):
            return self.ask("The configuration has been changed but not committed\n"
                            "Exit with uncommitted changes? [yes,no] (yes) ", self.leave_answer)
        self.candidate = None
        return "Exiting configuration mode"

    def leave_answer(self, answer: str) -> str:
        if answer in ("", "yes", "y"):
            self.candidate = None
            return "Exiting configuration mode"
        return ""

    def invalid(self, line: str, refused: Refused) -> str:
        word = "unknown command." if self.candidate is None else "syntax error."
        return self.caret(line, refused.word, len(self.prompt().splitlines()[-1])) + "\n" + word


def render(name: str, session: Session, vlan=str) -> str:
    """`show forwarding-options analyzer NAME`: extra values on `: x` lines, VLANs through `vlan` (ELS
    prints `default-switch/NAME` even for a VLAN configured by id, as on a real EX4300)."""
    lines = [field("Analyzer name", [name]), field("Mirror rate", ["1"]), field("Maximum packet length", ["0"]),
             field("State", ["up" if session.destination else "down"])]
    for title, side in (("Ingress", ("rx", "both")), ("Egress", ("tx", "both"))):
        ports = [p for p, d in session.sources.items() if d in side]
        vlans = [vlan(v) for v, d in session.vlans.items() if d in side]
        lines += [field(f"{title} monitored interfaces", ports)] if ports else []
        lines += [field(f"{title} monitored VLANs", vlans)] if vlans else []
    lines += [field("Output interface", [session.destination])] if session.destination else []
    return "\n".join(line for line in lines if line) + "\n\n"


def vlan_table(names: dict[int, str]) -> str:
    """`show vlans` on an ELS switch: one row per VLAN (its member interfaces would follow, indented)."""
    lines = ["", f"{'Routing instance':<24}{'VLAN name':<22}{'Tag':<13}Interfaces"]
    lines += [f"{'default-switch':<24}{name:<22}{vid:<13}" for vid, name in sorted(names.items())]
    return "\n".join(lines) + "\n\n{master:0}\n"


def field(title: str, values: list[str]) -> str:
    first, *more = values
    return "\n".join([f"  {title:<33}: {first}"] + [f"  {'':<33}: {value}" for value in more])


def stanza(name: str, session: Session) -> str:
    """The analyzer as `show configuration` prints it."""
    lines = [f"analyzer {name} {{", "    input {"]
    for side, directions in (("ingress", ("rx", "both")), ("egress", ("tx", "both"))):
        inputs = [f"interface {p};" for p, d in session.sources.items() if d in directions]
        inputs += [f"vlan {v};" for v, d in session.vlans.items() if d in directions]
        if inputs:
            lines += [f"        {side} {{"] + [f"            {item}" for item in inputs] + ["        }"]
    lines += ["    }"]
    if session.destination:
        lines += ["    output {", f"        interface {session.destination};", "    }"]
    return "\n".join(lines + ["}"]) + "\n"


def as_json(sessions: dict[str, Session]) -> str:
    """The analyzers in Junos's JSON encoding of configuration (`| display json`)."""
    analyzers = []
    for name, session in sessions.items():
        inputs = {}
        for side, directions in (("ingress", ("rx", "both")), ("egress", ("tx", "both"))):
            items = {"interface": [{"name": p} for p, d in session.sources.items() if d in directions],
                     "vlan": [{"name": str(v)} for v, d in session.vlans.items() if d in directions]}
            if any(items.values()):
                inputs[side] = {kind: entries for kind, entries in items.items() if entries}
        entry = {"name": name, "input": inputs}
        entry.update({"output": {"interface": [{"name": session.destination}]}} if session.destination else {})
        analyzers.append(entry)
    meta = {"junos:changed-seconds": "1765087200", "junos:changed-localtime": "2026-12-07 06:00:00 UTC"}
    body = {"configuration": {"@": meta, "forwarding-options": {"analyzer": analyzers}}} if analyzers else \
        {"configuration": {"@": meta}}
    return json.dumps(body, indent=4).replace('": ', '" : ')


def compare(running: dict[str, Session], candidate: dict[str, Session]) -> str:
    """`show | compare`: changed analyzers as removed and added blocks under `[edit forwarding-options]`."""
    blocks = []
    for name in sorted(set(running) | set(candidate)):
        old, new = running.get(name), candidate.get(name)
        if old == new:
            continue
        blocks += ["-   " + line for line in stanza(name, old).splitlines()] if old else []
        blocks += ["+   " + line for line in stanza(name, new).splitlines()] if new else []
    return "[edit forwarding-options]\n" + "\n".join(blocks) + "\n" if blocks else ""
