"""Incidents: what the NOC is told about. The policy raises one alert per offending stream, call or
signaling session (CONTRACT); the store groups them per phone and cause (Zeek's notice identity,
Alertmanager's grouping) so fifteen cleartext calls of one phone are one incident with fifteen
occurrences and one notification.

Identity, per sensor (IPs are a site's own): the endpoint and the alert type, plus the server for
`cleartext_signaling` and the cause (the findings named in the summary) for `weak_tls`, the one type
with several causes.

Lifecycle: open -> acknowledged -> resolved, or open -> resolved; every change is an `AlertEvent`.
An occurrence on an acknowledged incident only updates it; on a resolved one it re-opens it. An
incident resolves itself when its phone has been seen making only compliant calls for
`IncidentSettings.auto_resolve_after` seconds of traffic time (the reason is recorded).

Withdrawal: the sensor's policy may take a finding back (a later verdict proved the stream encrypted,
without media, or too unsure; keys a proxy forwarded: `appliance.alerts.Withdrawal`). Its occurrence is
removed and the history says which and why (event `withdrawn`, actor `sensor`); the incident then reads
as its latest occurrence left (its severity the worst of those left), or, when none is left, is resolved
by the sensor (`resolved_by` "sensor", the reason recorded, counted as how=withdrawn) whether it was open
or acknowledged: an operator's acknowledgement does not make a disproved finding true, and
the receivers told of it must hear that it ended (the outbox's event `withdrawn`, to every receiver). An incident already resolved (by an operator, or
automatically) stays as it was resolved: only its occurrence goes.

Notifications (the outbox) go out on open, re-open and a worse severity, and as a reminder every
`remind_every` seconds while an incident stays open (unacknowledged) — never one per call.

Opening, re-opening and resolving also count (`counters`: incidents opened by type and severity,
re-opened by type, resolved by type and how, manual or auto), in the change's transaction."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.alerts import (CLEARTEXT_MEDIA, CLEARTEXT_SIGNALING, SDES_KEYS_EXPOSED, SEVERITIES, SRTP_DOWNGRADE,
                              WEAK_TLS)
from appliance.store import counters
from appliance.store.incident_settings import IncidentSettings  # noqa: F401  (re-exported)
from appliance.store.models import Alert, AlertEvent, Occurrence

ACTIVE = ("open", "acknowledged")
# what a compliant observation clears: encrypted media clears the media incidents of its sender,
# media keyed without SDES also the exposed keys, SIP over TLS the cleartext signaling to that server
MEDIA_TYPES = (CLEARTEXT_MEDIA, SRTP_DOWNGRADE)
KEYED_MEDIA_TYPES = MEDIA_TYPES + (SDES_KEYS_EXPOSED,)
UNEXPOSED_KEYING = ("dtls-srtp", "zrtp")
SENSOR = "sensor"          # who resolves an incident whose every occurrence the sensor withdrew




def identity(alert_type: str, endpoint: str, peer: str | None, summary: str) -> tuple:
    if alert_type == CLEARTEXT_SIGNALING:
        return alert_type, endpoint, peer
    if alert_type == WEAK_TLS:
        return alert_type, endpoint, summary.split(": ", 1)[-1]
    return alert_type, endpoint


def incident_key(alert_type: str, endpoint: str, peer: str | None, summary: str) -> str:
    return digest(identity(alert_type, endpoint, peer, summary))


def digest(key) -> str:
    """A stable string for an identity: the SHA-256 of the tuple as canonical JSON."""
    text = json.dumps(list(key), separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_RANK = {name: index for index, name in enumerate(SEVERITIES)}


def worse(severity: str, than: str) -> bool:
    return _RANK.get(severity, len(_RANK)) < _RANK.get(than, len(_RANK))


def record(session: Session, row: Alert, event: str, at: datetime, actor: str | None = None,
           detail: str | None = None) -> None:
    session.add(AlertEvent(alert_id=row.id, at=at, event=event, actor=actor, detail=detail))


def opened(session: Session, row: Alert, at: datetime) -> None:
    """A new incident (already flushed, so it has its id) starts its history and is counted."""
    session.add(opened_event(session, row, at))


def opened_event(session: Session, row: Alert, at: datetime) -> AlertEvent:
    """The history row of a new incident (with its id), counted; the caller stores the row."""
    counters.add(session, counters.INCIDENTS_OPENED, sensor=row.sensor_id, type=row.type, severity=row.severity)
    return AlertEvent(alert_id=row.id, at=at, event="opened")


def reopen(session: Session, row: Alert, at: datetime) -> None:
    row.state = "open"
    row.acknowledged_by = row.acknowledged_at = row.resolved_by = row.resolved_at = row.resolved_reason = None
    record(session, row, "reopened", at)
    counters.add(session, counters.INCIDENTS_REOPENED, sensor=row.sensor_id, type=row.type)


def resolve(session: Session, row: Alert, at: datetime, who: str | None, reason: str | None = None,
            how: str | None = None) -> bool:
    """Resolve an active incident; False when it already was. Counted by `how` (default: auto when
    nobody resolved it, else manual)."""
    if row.state == "resolved":
        return False
    row.state, row.resolved_by, row.resolved_at, row.resolved_reason = "resolved", who, at, reason
    record(session, row, "resolved", at, who, reason)
    counters.add(session, counters.INCIDENTS_RESOLVED, sensor=row.sensor_id, type=row.type,
                 how=how or ("auto" if who is None else "manual"))
    return True


def withdraw(session: Session, row: Alert, occurrence: Occurrence, at: datetime, reason: str) -> bool:
    """The sensor takes back one occurrence of `row` (its finding proved wrong, `reason`): it goes, the
    history says so; the incident reads as its latest occurrence left or, with none left, is resolved
    by the sensor if it was active. Returns whether it resolved (the caller notifies)."""
    session.delete(occurrence)
    session.flush()
    row.count = max(0, row.count - 1)
    record(session, row, "withdrawn", at, SENSOR, reason)
    latest = session.scalars(select(Occurrence).where(Occurrence.alert_id == row.id)
                             .order_by(Occurrence.id.desc()).limit(1)).one_or_none()
    if latest is not None:
        row.peer, row.stream, row.call_id = latest.peer, latest.stream, latest.call_id
        row.summary, row.evidence = latest.summary, list(latest.evidence)
        left = session.scalars(select(Occurrence.severity).distinct().where(Occurrence.alert_id == row.id))
        row.severity = min(left, key=lambda severity: _RANK.get(severity, len(_RANK)))   # the worst left
        return False
    return resolve(session, row, at, SENSOR, f"withdrawn by the sensor: {reason}", how="withdrawn")


def acknowledge(session: Session, row: Alert, at: datetime, who: str) -> bool:
    if row.state != "open":
        return False
    row.state, row.acknowledged_by, row.acknowledged_at = "acknowledged", who, at
    record(session, row, "acknowledged", at, who)
    return True


def resolvable(row: Alert, types: tuple[str, ...], seen: datetime, settings: IncidentSettings,
               peer: str | None = None) -> bool:
    """Whether `compliant` would resolve `row` (an incident of the endpoint, as the session holds it):
    its query's condition, asked of a row already loaded."""
    horizon = seen - timedelta(seconds=settings.auto_resolve_after)
    return (row.state in ACTIVE and row.type in types and row.last_seen <= horizon
            and (peer is None or row.peer == peer))


def compliant(session: Session, sensor: str, endpoint: str, types: tuple[str, ...], seen: datetime,
              settings: IncidentSettings, peer: str | None = None, what: str = "compliant traffic") -> list[Alert]:
    """Resolve the active incidents of `types` on `endpoint` whose last occurrence is at least
    `auto_resolve_after` before `seen` (a compliant observation's traffic time). Returns them.
    (`resolvable` is the same condition for a row in hand: keep them in step.)"""
    horizon = seen - timedelta(seconds=settings.auto_resolve_after)
    query = select(Alert).where(Alert.sensor_id == sensor, Alert.endpoint == endpoint, Alert.type.in_(types),
                                Alert.state.in_(ACTIVE), Alert.last_seen <= horizon)
    if peer is not None:
        query = query.where(Alert.peer == peer)
    # in the order SQLite's plan has always given them (its index on state and last_seen, then rowid):
    # PostgreSQL's, unordered, followed where the rows' updates had put them in its heap
    query = query.order_by(Alert.state, Alert.last_seen, Alert.id)
    resolved = []
    for row in session.scalars(query):
        hours = (seen - row.last_seen).total_seconds() / 3600
        reason = f"auto: only {what} from {endpoint} for {hours:.1f} h since the last occurrence"
        if resolve(session, row, seen, None, reason):
            resolved.append(row)
    return resolved
