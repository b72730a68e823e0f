"""The emulated switch's state: its monitor sessions (running and saved), monitor-mode ports, and the
knobs that make it refuse things the way real platforms do."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass
class Session:
    sources: dict[str, str] = field(default_factory=dict)      # port (platform spelling) -> rx|tx|both
    vlans: dict[int, str] = field(default_factory=dict)
    destination: str = ""
    description: str = ""                                      # NX-OS description, AOS-CX comment
    enabled: bool = True                                       # NX-OS creates sessions shut


@dataclass
class SwitchState:
    hostname: str = "sw1"
    sessions: dict[str, Session] = field(default_factory=dict)  # "7" or "VOIPWATCH" -> session
    startup: dict[str, Session] = field(default_factory=dict)
    monitor_ports: set[str] = field(default_factory=set)         # NX-OS `switchport monitor`
    saves: int = 0
    max_sessions: int | None = None     # knob: a platform's session limit
    refuse_mix: bool = False            # knob: IOS 2960/3750 refuse source ports and VLANs in one session
    log: list[str] = field(default_factory=list)                 # every command line received
    layout: str = ""                    # knob: which real device's show layout to print ("" = the dialect's first)
    vlan_names: dict[int, str] = field(default_factory=lambda: {1: "default", 100: "VOICE", 200: "DATA"})

    def preload(self, key: str, *, sources: dict | None = None, vlans: dict | None = None,
                destination: str = "", description: str = "", enabled: bool = True) -> Session:
        """Knob: a session somebody else configured (by default with no VOIPWATCH marker)."""
        session = Session(dict(sources or {}), dict(vlans or {}), destination, description, enabled)
        self.sessions[key] = session
        return session

    def snapshot(self) -> dict[str, Session]:
        return copy.deepcopy(self.sessions)

    def save(self) -> None:
        self.startup = self.snapshot()
        self.saves += 1

    def full(self, sessions: dict[str, Session], key: str) -> bool:
        """Would a new session `key` exceed the session limit?"""
        return key not in sessions and self.max_sessions is not None and len(sessions) >= self.max_sessions
