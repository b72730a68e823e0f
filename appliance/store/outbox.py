"""The webhook outbox: a `deliveries` row per enabled webhook is written in the same transaction as a
new, re-opened or escalated incident (`incidents`), so no alert is lost and none is sent that was
rolled back; the dispatcher claims due rows, sends them, and marks them delivered or failed (with
exponential back-off). Resolutions and periodic refreshes go only to receivers that track state
(Alertmanager); reminders (optional) to every receiver.

Claiming locks the rows with FOR UPDATE SKIP LOCKED on PostgreSQL (several dispatchers never take the
same row) and leases them by moving `next_attempt_at`, so the HTTP call happens outside the lock."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from appliance.store.columns import to_epoch, utcnow
from appliance.store.errors import NotFound
from appliance.store.models import Alert, Delivery, Sensor, Webhook

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=2)
MAX_ERROR = 2000


NOTIFYING = ("new", "reopened", "escalated", "reminder")
STATE_ONLY = ("resolved", "refresh")       # for receivers that track state (Alertmanager), not people
WITHDRAWN = "withdrawn"                    # the sensor took its finding back: people who were told hear it too
STATE_FORMATS = ("alertmanager",)


def alert_payload(alert: Alert, event: str) -> dict:
    """The contract's alert fields (those of the latest occurrence) plus the incident's identity and
    lifecycle; `event` is new|reopened|escalated|reminder|withdrawn (or resolved|refresh for
    Alertmanager); `count` is the number of occurrences. A withdrawn incident is resolved, and
    `resolved_reason` says why the sensor took its finding back."""
    return {"event": event, "id": alert.id, "sensor": alert.sensor_id, "state": alert.state, "count": alert.count,
            "type": alert.type, "severity": alert.severity, "endpoint": alert.endpoint, "peer": alert.peer,
            "stream": alert.stream, "call_id": alert.call_id, "summary": alert.summary,
            "evidence": list(alert.evidence), "device_class": alert.device_class,
            "first_seen": to_epoch(alert.first_seen), "last_seen": to_epoch(alert.last_seen),
            "resolved_at": to_epoch(alert.resolved_at), "resolved_reason": alert.resolved_reason}


def receivers(session: Session, event: str, webhooks: list[int] | None = None) -> list[int]:
    """The webhooks an `event` goes to: every enabled one (or those of `webhooks`); a state-only event
    only to the receivers that track state."""
    query = select(Webhook.id).where(Webhook.enabled.is_(True))
    if event in STATE_ONLY:
        query = query.where(Webhook.format.in_(STATE_FORMATS))
    if webhooks is not None:
        query = query.where(Webhook.id.in_(webhooks))
    return list(session.scalars(query).all())


def enqueue(session: Session, alert: Alert, event: str, now: datetime | None = None,
            webhooks: list[int] | None = None, hooks: list[int] | None = None, site: str | None = None) -> int:
    """One pending delivery per receiver of the event (`receivers`, unless the caller knows them:
    `hooks`). The alert must have its id (flushed). `site`: the sensor's name or id (`site_of`), when
    the caller knows it. Returns how many."""
    rows = delivery_rows(session, alert, event, now, webhooks, hooks, site)
    session.add_all(rows)
    return len(rows)


def delivery_rows(session: Session, alert: Alert, event: str, now: datetime | None = None,
                  webhooks: list[int] | None = None, hooks: list[int] | None = None,
                  site: str | None = None) -> list[Delivery]:
    """`enqueue`'s rows, not yet stored (the alert is marked notified)."""
    now = now or utcnow()
    payload = alert_payload(alert, event)
    payload["site"] = site or site_of(session, alert.sensor_id)
    hooks = receivers(session, event, webhooks) if hooks is None else hooks
    if event in NOTIFYING:
        alert.last_notified_at = now
    return [Delivery(webhook_id=hook, alert_id=alert.id, payload=payload, state="pending", attempts=0,
                     next_attempt_at=now, created_at=now) for hook in hooks]


def site_of(session: Session, sensor_id: str) -> str:
    """The `site` of a sensor's alerts: its name, else its id."""
    sensor = session.get(Sensor, sensor_id)
    return (sensor.name if sensor is not None else None) or sensor_id


def enqueue_periodic(session: Session, now: datetime, remind_every: float | None,
                     refresh_every: float | None) -> int:
    """Reminders for incidents open (unacknowledged) and not notified for `remind_every` s; and, for
    Alertmanager, the active incidents not sent for `refresh_every` s (it forgets an alert that is not
    re-sent within its resolve_timeout). Returns the deliveries written."""
    written = 0
    if remind_every:
        due = select(Alert).where(Alert.state == "open",
                                  Alert.last_notified_at <= now - timedelta(seconds=remind_every))
        for alert in session.scalars(due.limit(500)):
            written += enqueue(session, alert, "reminder", now)
    if refresh_every:
        hooks = session.scalars(select(Webhook.id).where(Webhook.enabled.is_(True),
                                                         Webhook.format.in_(STATE_FORMATS))).all()
        for hook in hooks:
            recent = select(Delivery.alert_id).where(Delivery.webhook_id == hook,
                                                     Delivery.created_at > now - timedelta(seconds=refresh_every))
            stale = select(Alert).where(Alert.state.in_(("open", "acknowledged")), Alert.id.not_in(recent))
            for alert in session.scalars(stale.limit(500)):
                written += enqueue(session, alert, "refresh", now, [hook])
    return written


def any_due(session: Session, now: datetime | None = None) -> bool:
    """Is a pending delivery due? A read: an idle dispatcher's look at the outbox takes no write lock
    (on SQLite every writing session queues for it, the collector's group commits included)."""
    query = select(Delivery.id).where(Delivery.state == "pending", Delivery.next_attempt_at <= (now or utcnow()))
    return session.scalar(query.limit(1)) is not None


def due_deliveries(session: Session, now: datetime | None = None, limit: int = 50,
                   lease: timedelta = LEASE) -> list[Delivery]:
    """Claim up to `limit` pending deliveries that are due (webhook loaded), leased for `lease`."""
    now = now or utcnow()
    query = (select(Delivery).join(Delivery.webhook)
             .where(Delivery.state == "pending", Delivery.next_attempt_at <= now, Webhook.enabled.is_(True))
             .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
             .options(selectinload(Delivery.webhook)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Delivery)
    rows = list(session.scalars(query))
    if rows:                                    # one statement, not an ORM flush of an UPDATE per row
        until = now + lease
        session.execute(update(Delivery).where(Delivery.id.in_([row.id for row in rows]))
                        .values(next_attempt_at=until).execution_options(synchronize_session=False))
        for row in rows:
            set_committed_value(row, "next_attempt_at", until)
    return rows


def mark_delivered(session: Session, delivery_id: int, now: datetime | None = None) -> Delivery:
    row = _get(session, delivery_id)
    row.state, row.delivered_at, row.last_error = "delivered", now or utcnow(), None
    row.attempts += 1
    return row


def mark_all_delivered(session: Session, sent: list[tuple[int, datetime]]) -> None:
    """Mark each (delivery id, when it was sent) delivered, in one statement: the dispatcher sends a
    webhook's due deliveries in turn and records them together (a missing row, its webhook deleted
    meanwhile, is skipped)."""
    if sent:
        statement = (update(Delivery.__table__).where(Delivery.__table__.c.id == bindparam("row_id"))
                     .values(state="delivered", delivered_at=bindparam("sent_at"), last_error=None,
                             attempts=Delivery.__table__.c.attempts + 1))
        session.execute(statement, [{"row_id": row_id, "sent_at": at} for row_id, at in sent])


def mark_failed(session: Session, delivery_id: int, error: str, now: datetime | None = None,
                max_attempts: int = MAX_ATTEMPTS) -> Delivery:
    """Count the attempt; retry after a growing pause, or give up (state failed) after `max_attempts`."""
    row = _get(session, delivery_id)
    row.attempts += 1
    row.last_error = error[:MAX_ERROR]
    if row.attempts >= max_attempts:
        row.state = "failed"
    else:
        row.next_attempt_at = (now or utcnow()) + backoff(row.attempts)
    return row


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour."""
    return min(BACKOFF_BASE * (2 ** min(max(0, attempts - 1), 16)), BACKOFF_CAP)


def _get(session: Session, delivery_id: int) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return row
