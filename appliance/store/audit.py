"""The audit log: who changed what, when, and through which door, with the state before and after.

`record` is called by whoever makes a change (API routes, CLI commands, SPAN control), in the same
session, so the entry commits (or rolls back) with the change. `snapshot` turns a row into the
before/after dictionary: every column, timestamps as epoch seconds, and any column whose name says
it holds a secret (`secret`, `hash`, `password`, but not a `_ref` naming where one lives) reduced
to whether it is set. `entries` lists the log, newest first, with filters and paging."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from appliance.store.columns import to_epoch, utcnow
from appliance.store.models import AuditEntry

SECRET_COLUMN = re.compile(r"secret|hash|password")
REDACTED = "(redacted)"
DOORS = ("api", "cli")
MAX_LIMIT = 500


def record(session: Session, actor: str, action: str, target: str, before: dict | None = None,
           after: dict | None = None, *, via: str = "api", now: datetime | None = None) -> AuditEntry:
    entry = AuditEntry(at=now or utcnow(), actor=actor[:100], via=via, action=action, target=target[:200],
                       before=before, after=after)
    session.add(entry)
    return entry


def record_as(session: Session, who: str, action: str, target: str, before: dict | None = None,
              after: dict | None = None) -> AuditEntry:
    """`who` as SPAN control and the CLI name callers: `api:NAME`, `cli:USER` (or just `cli`)."""
    via, _, actor = who.partition(":")
    if via not in DOORS:
        via, actor = "api", who
    return record(session, actor or via, action, target, before, after, via=via)


def snapshot(row, fields: tuple[str, ...] | None = None) -> dict | None:
    """The row's columns (or only `fields`) for the log, secrets redacted; None for no row."""
    if row is None:
        return None
    names = fields or tuple(column.key for column in row.__table__.columns)
    return {name: _value(name, getattr(row, name)) for name in names}


def entries(session: Session, *, actor: str | None = None, action: str | None = None, target: str | None = None,
            since: datetime | None = None, until: datetime | None = None, limit: int = 100,
            offset: int = 0) -> tuple[list[AuditEntry], int]:
    """Matching entries, newest first, and how many match over all pages. `action` matches a whole
    action (`webhook.update`) or a family (`webhook`)."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where((AuditEntry.action == action) | AuditEntry.action.startswith(f"{action}."))
    if target:
        query = query.where(AuditEntry.target == target)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at <= until)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(_newest_first(query).limit(min(limit, MAX_LIMIT)).offset(offset)).all()
    return list(rows), total


def as_dict(entry: AuditEntry) -> dict:
    """An entry as the API and `appliance audit --format json` show it."""
    return {"id": entry.id, "at": to_epoch(entry.at), "actor": entry.actor, "via": entry.via, "action": entry.action,
            "target": entry.target, "before": entry.before, "after": entry.after}


def _newest_first(query: Select) -> Select:
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _value(name: str, value):
    if SECRET_COLUMN.search(name) and not name.endswith("_ref"):
        return REDACTED if value else None
    if isinstance(value, datetime):
        return to_epoch(value)
    return value
