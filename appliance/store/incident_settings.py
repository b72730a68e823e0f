"""How incidents behave over time (built from the settings at start-up; no database imports, so the CLI
can read its settings without loading SQLAlchemy)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentSettings:
    """When an open incident resolves itself and how often it is notified again."""
    auto_resolve_after: float = 86400.0     # seconds of only compliant traffic from the phone
    remind_every: float | None = None       # re-notify an open, unacknowledged incident this often
