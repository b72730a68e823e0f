"""HP ProCurve / Aruba AOS-S: `mirror N port P name VOIPWATCH` (the name is our marker), then the
sources' `monitor all in|out|both mirror N`; read back with `show monitor N`. AOS-S has mirror
sessions 1-4 only, so the model's session number 7 is mapped to mirror 4."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import Driver
from appliance.switches.drivers.cli import direction_word
from appliance.switches.drivers.screen import Draft, framing, refuse, strict_vlans
from appliance.switches.model import MirrorSession

WORDS = {"rx": "in", "tx": "out", "both": "both"}
SESSION = re.compile(r"^\s*Session\s*:\s*(\d+)(?:\s+Session Name\s*:\s*(.*?))?\s*$", re.I)
DESTINATION = re.compile(r"^\s*Mirror(?:ing)? Destination\s*:\s*(\S+)(?:\s+\(Port\))?\s*$", re.I)
SOURCE = re.compile(r"^\s*(Port|VLAN|Trunk)\s*:\s*(\S+)\s+(\w+)\s*$", re.I)
REMOTE = re.compile(r"^\s*(?:UDP Source Addr|UDP port|UDP Dest Addr)\s*:", re.I)
KNOWN = re.compile(r"(?ix)^\s*(?:Network\ Monitoring|Mirror\ Policy\s*:\s*\w+|Policy\s*:\s*\S+"
                   r"|Monitoring\ Sources\s+Direction|-{3,}(?:\s+-{3,})*"
                   r"|Sessions\s+Status\s+Type\s+Sources\s+Mirror-Policy"
                   r"|\d+\s+(?:not\ defined|active|inactive|not\ active)(?:\s+\S+)*)\s*$")
MIRRORS = range(1, 5)
FALLBACK = 4


class HpProcurve(Driver):
    device_type = "hp_procurve"
    has_marker = True
    notes = ("AOS-S numbers mirror sessions 1-4: a session number outside that range uses mirror 4",)

    def mirror(self, session: MirrorSession) -> int:
        return session.number if session.number in MIRRORS else FALLBACK

    def create_commands(self, session: MirrorSession) -> list[str]:
        number = self.mirror(session)
        return ([f"mirror {number} port {session.destination} name {session.name}"]
                + [f"interface {source.port} monitor all {WORDS[source.direction]} mirror {number}"
                   for source in session.sources]
                + [f"vlan {vlan.vlan} monitor all {WORDS[vlan.direction]} mirror {number}" for vlan in session.vlans])

    def remove_commands(self, session: MirrorSession) -> list[str]:
        number = self.mirror(session)
        return ([f"no interface {source.port} monitor all {WORDS[source.direction]} mirror {number}"
                 for source in session.sources]
                + [f"no vlan {vlan.vlan} monitor all {WORDS[vlan.direction]} mirror {number}"
                   for vlan in session.vlans]
                + [f"no mirror {number}"])

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"show monitor {self.mirror(session)}"]

    def save_commands(self) -> list[str]:
        return ["write memory"]

    def port_name(self, port: str) -> str:
        return re.sub(r"(?i)^\s*(?:port\s+|ethernet\s+)?", "", port).strip().upper()

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        draft = self._drafts(outputs).get(str(self.mirror(session)))
        return None if draft is None else draft.build(session.name, int(draft.key))

    def sessions(self, outputs: list[str]) -> dict[str, MirrorSession]:
        return {key: draft.build("", int(key)) for key, draft in self._drafts(outputs).items()}

    def _drafts(self, outputs: list[str]) -> dict[str, Draft]:
        """`show monitor [N]` line by line; the summary table of `show monitor` names no sources and
        is read as no session. A line it does not know is refused."""
        found, draft = {}, None
        for line in "\n".join(outputs).splitlines():
            if framing(line) or KNOWN.match(line):
                continue
            if header := SESSION.match(line):
                draft = found[header.group(1)] = Draft(header.group(1),
                                                       extra={"marker": (header.group(2) or "").strip().strip('"')})
            elif draft is None:
                raise refuse(self.device_type, line, "no `Session: N` before it")
            elif DESTINATION.match(line):
                draft.destinations.append(self.port_name(DESTINATION.match(line).group(1)))
            elif REMOTE.match(line):
                draft.unmanaged(f"a remote mirror ({line.strip()})")
            elif SOURCE.match(line):
                self._source(draft, line)
            else:
                raise refuse(self.device_type, line)
        return found

    def _source(self, draft: Draft, line: str) -> None:
        kind, name, word = SOURCE.match(line).groups()
        direction = direction_word(word)
        if direction is None:
            raise refuse(self.device_type, line, f"direction {word!r}")
        if kind.lower() == "vlan":
            for vid in strict_vlans(self.device_type, name):
                draft.vlan(vid, direction)
        else:
            draft.port(self.port_name(name), direction)
