"""What the network-OS drivers share: sending configuration with a platform's error pattern, and the
small text helpers their regex parsers use (lists, ranges, directions, port spellings)."""
from __future__ import annotations

import re

from appliance.switches.drivers.base import ERROR_PATTERN, _first_line, _leave_config_mode, whole_line
from appliance.switches.errors import SwitchCommandError


def send_config(conn, commands: list[str], *, error_pattern: str = ERROR_PATTERN, leave=_leave_config_mode,
                **options) -> str:
    """`send_config_set` that raises SwitchCommandError, after `leave(conn)`, when a command is refused."""
    from netmiko.exceptions import ConfigInvalidException
    try:
        return conn.send_config_set(commands, error_pattern=whole_line(error_pattern), read_timeout=30, **options)
    except ConfigInvalidException as exc:
        leave(conn)
        raise SwitchCommandError(f"the switch refused a command: {_first_line(str(exc))}") from exc


def leave_with_end(conn) -> None:
    """Back to exec mode from any configuration context (`end`), whatever the driver's mode check says."""
    try:
        conn.send_command("end", expect_string=r"[>#]\s*$")
    except Exception:                       # the connection may be gone; the caller's error says why
        pass


def items(text: str) -> list[str]:
    """`Gi1/0/5, Gi1/0/6` or `Eth1/5 Eth1/6` -> the names."""
    return [item for item in re.split(r"[\s,]+", text.strip()) if item]


def expand_ports(text: str) -> list[str]:
    """Cisco compresses port lists: `Gi1/0/5-6,Gi1/0/8` -> Gi1/0/5, Gi1/0/6, Gi1/0/8."""
    ports = []
    for item in items(text):
        found = re.match(r"^(.*?)(\d+)-(\d+)$", item)
        if found and not found.group(1).endswith("-"):
            ports += [f"{found.group(1)}{n}" for n in range(int(found.group(2)), int(found.group(3)) + 1)]
        else:
            ports.append(item)
    return ports


def vlan_ids(text: str) -> list[int]:
    """`100,200-202` -> [100, 200, 201, 202]; words that are not VLAN ids are skipped."""
    found = []
    for item in items(text):
        low, _, high = item.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            found += range(int(low), int(high or low) + 1)
    return found


def merge(directions: dict, key, direction: str) -> None:
    """Record `key` with `direction`; rx and tx of the same key make both."""
    old = directions.get(key)
    directions[key] = direction if old in (None, direction) else "both"


def direction_word(label: str) -> str | None:
    """`RX Only`, `Rx`, `rx`, `in`, `Ingress` -> rx; `Both` -> both; None for anything else."""
    word = label.strip().lower().split()[0] if label.strip() else ""
    return {"rx": "rx", "in": "rx", "ingress": "rx", "tx": "tx", "out": "tx", "egress": "tx",
            "both": "both"}.get(word)


def abbreviate(port: str, names: dict[str, str]) -> str:
    """`GigabitEthernet1/0/5`, `gi1/0/5`, `Gig 1/0/5` -> `Gi1/0/5` with `names` {full name: short form};
    a prefix matches when it starts exactly one full name (or is a short form). Unknown names pass."""
    found = re.match(r"^\s*([A-Za-z][A-Za-z-]*?)\s*(\d[\d/.:]*)\s*$", port)
    if not found:
        return port.strip()
    prefix, number = found.group(1).lower(), found.group(2)
    shorts = {short.lower(): short for short in names.values()}
    if prefix in shorts:
        return shorts[prefix] + number
    matches = {short for full, short in names.items() if full.lower().startswith(prefix)}
    return (matches.pop() + number) if len(matches) == 1 else port.strip()


def port_sources(directions: dict) -> tuple:
    """{port: direction} -> sorted PortSource tuple (a stable order for comparing and printing)."""
    from appliance.switches.model import PortSource
    return tuple(sorted(PortSource(port, direction) for port, direction in directions.items()))


def vlan_sources(directions: dict) -> tuple:
    from appliance.switches.model import VlanSource
    return tuple(sorted(VlanSource(vid, direction) for vid, direction in directions.items()))
