"""Retention: forget what is older than the retention period. Kept whatever its age: open and
acknowledged alerts (incidents, with their occurrences and history), the streams (and evidence frames)
their occurrences point at, endpoints (the inventory),
pending deliveries, sensors, webhooks, tokens, switches."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select, text
from sqlalchemy.orm import Session

from appliance.store.columns import utcnow
from appliance.store.models import Alert, Call, Delivery, EvidencePacket, Occurrence, SignalingSession, Stream


def purge(session: Session, older_than: timedelta, now: datetime | None = None) -> dict[str, int]:
    """Delete resolved alerts resolved before the cut-off (with their deliveries and frames; their
    occurrences and history go by cascade), streams last seen before it that no occurrence of a
    remaining alert points at (with their frames), finished deliveries,
    calls and signaling sessions last seen before it. Returns rows deleted per table."""
    cutoff = (now or utcnow()) - older_than
    old_alerts = select(Alert.id).where(Alert.state == "resolved", Alert.resolved_at < cutoff)
    kept_alert = exists().where(Occurrence.sensor_id == Stream.sensor_id, Occurrence.stream == Stream.stream_id,
                                Alert.id == Occurrence.alert_id,
                                or_(Alert.state != "resolved", Alert.resolved_at >= cutoff))
    old_streams = select(Stream.id).where(Stream.last_seen < cutoff, ~kept_alert)
    finished = or_(and_(Delivery.state == "delivered", Delivery.delivered_at < cutoff),
                   and_(Delivery.state == "failed", Delivery.created_at < cutoff))
    steps = (
        ("evidence_packets", delete(EvidencePacket).where(or_(EvidencePacket.alert_id.in_(old_alerts),
                                                               EvidencePacket.stream_row_id.in_(old_streams)))),
        ("deliveries", delete(Delivery).where(or_(Delivery.alert_id.in_(old_alerts), finished))),
        ("streams", delete(Stream).where(Stream.id.in_(old_streams))),
        ("alerts", delete(Alert).where(Alert.id.in_(old_alerts))),
        ("calls", delete(Call).where(Call.last_seen < cutoff)),
        ("signaling_sessions", delete(SignalingSession).where(SignalingSession.last_seen < cutoff)),
    )
    counts = {}
    for table, statement in steps:
        counts[table] = session.execute(statement.execution_options(synchronize_session=False)).rowcount
    return counts


def refresh_statistics(session: Session) -> None:
    """SQLite plans queries from statistics only `ANALYZE` gathers: without them a page of open alerts
    sorts the whole table instead of walking the index (bench/README.md, 80-230 ms against 0.2 ms at
    100k alerts). PostgreSQL's autovacuum keeps its own; nothing to do there."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("ANALYZE"))
