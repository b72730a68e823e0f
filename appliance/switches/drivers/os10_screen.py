"""Dell OS10 `show monitor session N|all`: a table with one row per source (tests/switch/fixtures/
dell_os10). Its columns differ between releases (10.4 `S.Id Source Destination Dir SrcIP DstIP DSCP
TTL State Reason`, 10.5 adds `Mode` and `Gre-Protocol`), a cell may be empty (no destination yet),
and guides print the rows out of line with the header. So a row is read by its words, with the
header telling which columns exist, and an empty Source or Destination placed by where its one
port stands. A line that is not the header, the rule or such a row is refused."""
from __future__ import annotations

import re

from appliance.switches.drivers.screen import Draft, framing, refuse

PLATFORM = "dell_os10"
HEADER = re.compile(r"^\s*S\.Id\s+Source\s+Destination\s+Dir\b.*\bState\s+Reason\s*$", re.I)
RULE = re.compile(r"^\s*-{10,}\s*$")
ROW = re.compile(r"^\s*(\d+)\s+(.*)$")
DIRECTIONS = ("rx", "tx", "both")


class Table:
    def __init__(self, header: str):
        self.header = header
        self.mode = re.search(r"\bMode\b", header) is not None
        self.gre = re.search(r"\bGre-Protocol\b", header) is not None
        self.source_at, self.destination_at = header.index("Source"), header.index("Destination")

    def row(self, line: str, draft: Draft, port_name) -> None:
        words = line.split()
        at = next((n for n, word in enumerate(words) if word.lower() in DIRECTIONS), None)
        if at is None or at > 3:
            raise refuse(PLATFORM, line, "no rx/tx/both column")
        source, destination = self._ends(line, words[1:at])
        fixed = 4 + self.mode + self.gre
        rest = words[at + 1:]
        if len(rest) < fixed + 1 or rest[fixed].lower() not in ("true", "false"):
            raise refuse(PLATFORM, line, "the columns after Dir are not the header's")
        mode, addresses = (rest[0] if self.mode else "port"), rest[self.mode:self.mode + 2]
        direction = words[at].lower()
        if source:
            vlan = re.match(r"(?i)^vlan\s*(\d+)$", source)
            draft.vlan(int(vlan.group(1)), direction) if vlan else draft.port(port_name(source), direction)
        if destination and port_name(destination) not in draft.destinations:
            draft.destinations.append(port_name(destination))
        if any(address.upper() != "N/A" for address in addresses):
            draft.unmanaged(f"a remote (ERSPAN) session to {addresses[1]}")
        if mode.lower() not in ("port", "n/a"):
            draft.filter("mode", mode)
        state, reason = rest[fixed].lower(), " ".join(rest[fixed + 1:])
        draft.extra["state"] = f"{state} ({reason})" if reason else state

    def _ends(self, line: str, cells: list[str]) -> tuple[str, str]:
        """Source and Destination; one word alone goes to the column whose heading it stands nearer."""
        if len(cells) == 2:
            return cells[0], cells[1]
        if not cells:
            return "", ""
        at = line.index(cells[0])
        nearer_source = abs(at - self.source_at) <= abs(at - self.destination_at)
        return (cells[0], "") if nearer_source else ("", cells[0])


def sessions(text: str, port_name) -> dict[int, Draft]:
    found, table = {}, None
    for line in text.splitlines():
        if HEADER.match(line):
            table = Table(line)
        elif framing(line) or RULE.match(line):
            continue
        elif table is not None and ROW.match(line):
            number = int(ROW.match(line).group(1))
            table.row(line, found.setdefault(number, Draft(str(number))), port_name)
        else:
            raise refuse(PLATFORM, line, "not a row of the monitor session table")
    return found
