"""Cisco IOS-XE Catalyst dialect: `sw1>` -> enable -> `sw1#`, `monitor session N source|destination`
one-liners (or the `type local` context `sw1(config-mon-local)#`), `show monitor session N|all`,
`show running-config | include monitor`, `write memory` -> `[OK]`. Errors as
`% Invalid input detected at '^' marker.`; the knobs refuse a port/VLAN mix or a session over the limit."""
from __future__ import annotations

import re

from tests.switch.emulator.cisco import DIRECTION, CiscoLike
from tests.switch.emulator.dialect import Refused, natural
from tests.switch.emulator.state import Session

PORTS = {"gigabitethernet": ("Gi", "1/0/", 48), "tengigabitethernet": ("Te", "1/1/", 4)}
LABELS = (("RX Only", "rx"), ("TX Only", "tx"), ("Both", "both"))


def port(text: str) -> str:
    """`GigabitEthernet1/0/5`, `gi1/0/5`, `Gig1/0/5` -> `Gi1/0/5`; Refused for ports this switch lacks."""
    found = re.fullmatch(r"([A-Za-z]+)(\d+/\d+/)(\d+)", text)
    if found:
        for full, (short, slot, count) in PORTS.items():
            name = found.group(1).lower()
            if (full.startswith(name) and len(name) >= 2) and found.group(2) == slot \
                    and 1 <= int(found.group(3)) <= count:
                return f"{short}{slot}{found.group(3)}"
    raise Refused(text)


class Ios(CiscoLike):
    save_commands = ("write memory", "write mem", "wr", "copy running-config startup-config")
    saved = "Building configuration...\n[OK]"

    def config_global(self, line: str) -> str | None:
        found = re.fullmatch(r"monitor session (\d+) (source|destination) (.*)", line)
        if found:
            return self.session_line(found.group(1), f"{found.group(2)} {found.group(3)}")
        found = re.fullmatch(r"monitor session (\d+) type local", line)
        if found:
            self.new_session(found.group(1))
            self.context, self.target = "config-mon-local", found.group(1)
            return ""
        found = re.fullmatch(r"no monitor session (\d+|all|local)", line)
        if found:
            for key in list(self.sessions) if found.group(1) in ("all", "local") else [found.group(1)]:
                self.sessions.pop(key, None)
            return ""
        found = re.fullmatch(r"interface (\S+)", line)
        if found:
            self.context, self.target = "config-if", port(found.group(1))
            return ""
        return super().config_global(line)

    def config_context(self, line: str) -> str | None:
        if self.context == "config-mon-local" and re.match(r"(source|destination) ", line):
            return self.session_line(self.target, line)
        if self.context == "config-if" and re.match(r"(no )?(description|switchport|shutdown)\b", line):
            return ""
        return None

    def new_session(self, key: str) -> None:
        if self.state.full(self.sessions, key):
            raise Refused(message=f"% Platform can support a maximum of {self.state.max_sessions} local sessions")
        self.sessions.setdefault(key, Session())

    def session_line(self, key: str, rest: str) -> str:
        """`source interface P [dir]`, `source vlan V [dir]`, `destination interface P [encapsulation ...]`."""
        found = re.fullmatch(r"source interface (\S+)" + DIRECTION, rest)
        if found:
            name = port(found.group(1))
            self.new_session(key)
            self.mix_check(key, "interface")
            self.sessions[key].sources[name] = found.group(2) or "both"
            return ""
        found = re.fullmatch(r"source vlan (\d+)" + DIRECTION, rest)
        if found and 1 <= int(found.group(1)) <= 4094:
            self.new_session(key)
            self.mix_check(key, "vlan")
            self.sessions[key].vlans[int(found.group(1))] = found.group(2) or "both"
            return ""
        found = re.fullmatch(r"destination interface (\S+)(?: encapsulation (?:replicate|dot1q))?", rest)
        if found:
            name = port(found.group(1))
            self.new_session(key)
            self.sessions[key].destination = name
            return ""
        raise Refused(rest.split()[-1] if rest.split() else "")

    def mix_check(self, key: str, kind: str) -> None:
        session = self.sessions[key]
        other = session.vlans if kind == "interface" else session.sources
        if self.state.refuse_mix and other:
            raise Refused(message=f"% Session {key} already has source "
                          f"{'VLANs' if kind == 'interface' else 'interfaces'}: this platform does not "
                          f"mix source interfaces and source VLANs in one session")

    def invalid(self, line: str, refused: Refused) -> str:
        if refused.message:
            return refused.message
        return self.caret(line, refused.word, len(self.prompt())) + "\n% Invalid input detected at '^' marker.\n"

    def show(self, command: str) -> str | None:
        found = re.fullmatch(r"show monitor(?: session (\d+|all|local))?(?: detail)?", command)
        if found:
            keys = sorted(self.state.sessions, key=int) if found.group(1) in (None, "all", "local") \
                else [k for k in [found.group(1)] if k in self.state.sessions]
            draw = LAYOUTS[self.state.layout or "catalyst"]
            return "\n".join(draw(key, self.state.sessions[key]) for key in keys)
        return super().show(command)

    def running_config(self) -> str:
        lines = [f"hostname {self.state.hostname}", "!"]
        for key in sorted(self.state.sessions, key=int):
            session = self.state.sessions[key]
            block = self.state.layout == "xe17"         # IOS-XE 17 keeps a `type local` session as a block
            prefix = " " if block else f"monitor session {key} "
            lines += [f"monitor session {key} type local"] if block else []
            for kind, found in (("interface", session.sources), ("vlan", session.vlans)):
                lines += [f"{prefix}source {kind} {name}" + ("" if d == "both" else f" {d}")
                          for name, d in found.items()]
            if session.destination:
                lines.append(f"{prefix}destination interface {session.destination}")
        return "\n".join(lines + ["end"]) + "\n"


def render(key: str, session: Session) -> str:
    """`show monitor session N` in the layout of genieparser's iosxe ShowMonitor golden files."""
    lines = [f"Session {key}", "-" * len(f"Session {key}"), "Type                   : Local Session"]
    for title, found in (("Source Ports", session.sources), ("Source VLANs", session.vlans)):
        if found:
            lines.append(f"{title:<23}:")
            for label, direction in LABELS:
                names = [str(n) for n, d in found.items() if d == direction]
                if names:
                    lines.append(f"    {label:<19}: {compress(names)}")
    if session.destination:
        lines += [f"Destination Ports      : {session.destination}", "    Encapsulation      : Native",
                  "          Ingress      : Disabled"]
    return "\n".join(lines) + "\n"


def render_xe17(key: str, session: Session) -> str:
    """IOS-XE 17 (genieparser iosxe ShowMonitor golden_output6): every source list and direction,
    `None` where empty, `Description : -`, and the filter/RSPAN/ACL lines after the destination."""
    pad = 25
    lines = [f"Session {key}", "-" * len(f"Session {key}"), f"{'Type':<{pad}}: Local Session",
             f"{'Description':<{pad}}: {session.description or '-'}"]
    for title, found in (("Source Ports", session.sources), ("Source Subinterfaces", {}),
                         ("Source VLANs", session.vlans)):
        lines.append(f"{title:<{pad}}:")
        for label, direction in LABELS:
            names = [str(n) for n, d in found.items() if d == direction]
            lines.append(f"    {label:<{pad - 4}}: {compress(names) if names else 'None'}")
    lines += [f"{'Source Drop-cause':<{pad}}: None", f"{'Source EFPs':<{pad}}:"]
    lines += [f"    {label:<{pad - 4}}: None" for label, _ in LABELS]
    lines += [f"{'Source RSPAN VLAN':<{pad}}: None", f"{'Destination Ports':<{pad}}: {session.destination or 'None'}",
              "    Encapsulation        : Native", "          Ingress        : Disabled"]
    lines += [f"{title:<{pad}}: None" for title in ("Filter VLANs", "Filter SGT", "Dest RSPAN VLAN",
                                                     "IP Access-group", "MAC Access-group", "IPv6 Access-group")]
    return "\n".join(lines) + "\n"


def render_c9300(key: str, session: Session) -> str:
    """A Catalyst 9300 through pyATS (genieparser iosxe ShowMonitor golden_output5): no rule under
    the header, unpadded keys, a blank line after `Source Ports :`, direction lines at the left margin."""
    lines = [f"Session {key}", "Type : Local Session"]
    for title, found in (("Source Ports", session.sources), ("Source VLANs", session.vlans)):
        if found:
            lines += [f"{title} :", ""]
            for label, direction in LABELS:
                names = [str(n) for n, d in found.items() if d == direction]
                if names:
                    lines.append(f"{label:<21}: {compress(names)}")
    if session.destination:
        lines += [f"Destination Ports : {session.destination}", "", "Encapsulation        : Native",
                  "      Ingress        : Disabled"]
    return "\n".join(lines) + "\n"


LAYOUTS = {"catalyst": render, "xe17": render_xe17, "c9300": render_c9300}


def compress(names: list[str]) -> str:
    """IOS writes runs of ports as ranges: Gi1/0/5, Gi1/0/6, Gi1/0/8 -> `Gi1/0/5-6,Gi1/0/8`."""
    runs = []
    for name in sorted(names, key=natural):
        prefix, number = re.fullmatch(r"(.*?)(\d+)", name).groups()
        if runs and runs[-1][0] == prefix and runs[-1][2] == int(number) - 1:
            runs[-1][2] = int(number)
        else:
            runs.append([prefix, int(number), int(number)])
    return ",".join(f"{p}{a}" if a == b else f"{p}{a}-{b}" for p, a, b in runs)
