"""Incidents (issue 15): an alert row becomes an incident per phone and cause, holding its occurrences
(`alert_occurrences`, one per offending stream or call) and its history (`alert_events`).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07

Upgrade: the alerts of one sensor with the same identity (type and endpoint; plus the peer, i.e. the
server, for cleartext_signaling; plus the cause named in the summary for weak_tls) are grouped: the
oldest row stays as the incident, every row becomes one of its occurrences (its dedup key, severity,
peer, stream, call, summary, evidence and times), the others' deliveries and evidence frames move to
the incident and the rows go. The incident counts its occurrences, spans their times, takes the worst
severity and the latest occurrence's fields, and stays active if any of the group was (open before
acknowledged). Its history starts with "opened" at its first occurrence.

Downgrade: the occurrences of an incident become alert rows again, one per occurrence key (the
incident's state, the key's latest fields and times, counted); the latest one's stays on the incident
row. Deliveries and
frames stay with the incident row.

Like 0001, it imports nothing from the application: the identity rule is the one of
`appliance.store.incidents.identity` at this revision, written out here.
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEVERITIES = ("critical", "high", "medium", "low", "info")
STATE_ORDER = ("open", "acknowledged", "resolved")
COLUMNS = ("id", "sensor_id", "type", "severity", "endpoint", "peer", "stream", "call_id", "summary", "evidence",
           "device_class", "dedup_key", "state", "first_seen", "last_seen", "count", "acknowledged_by",
           "acknowledged_at", "resolved_by", "resolved_at", "comment")


def _id(name: str = "id", **kwargs) -> sa.Column:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), **kwargs)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def _digest(key: list) -> str:
    return hashlib.sha256(json.dumps(key, separators=(",", ":"), default=str).encode("utf-8")).hexdigest()


def _identity(row) -> list:
    if row.type == "cleartext_signaling":
        return [row.type, row.endpoint, row.peer]
    if row.type == "weak_tls":
        return [row.type, row.endpoint, row.summary.split(": ", 1)[-1]]
    return [row.type, row.endpoint]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:     # ADD COLUMN only: no table copy on SQLite
        batch.add_column(sa.Column("resolved_reason", sa.Text(), nullable=True))
        batch.add_column(_ts("last_notified_at", nullable=True))
        batch.add_column(_ts("recorded_at", nullable=True))
    op.create_table(
        "alert_occurrences", _id(nullable=False), _id("alert_id", nullable=False),
        sa.Column("sensor_id", sa.String(64), nullable=False), sa.Column("key", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False), sa.Column("peer", sa.String(45), nullable=True),
        sa.Column("stream", sa.String(200), nullable=True), sa.Column("call_id", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False), sa.Column("evidence", sa.JSON(), nullable=False),
        _ts("first_seen"), _ts("last_seen"), _ts("recorded_at"),
        _fk("alert_occurrences", "alert_id", "alerts"), _fk("alert_occurrences", "sensor_id", "sensors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_occurrences")))
    op.create_index(op.f("ix_alert_occurrences_alert_id_key"), "alert_occurrences", ["alert_id", "key"])
    op.create_index(op.f("ix_alert_occurrences_first_seen"), "alert_occurrences", ["first_seen"])
    op.create_index(op.f("ix_alert_occurrences_sensor_id"), "alert_occurrences", ["sensor_id"])
    op.create_table(
        "alert_events", _id(nullable=False), _id("alert_id", nullable=False), _ts("at"),
        sa.Column("event", sa.String(16), nullable=False), sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True), _fk("alert_events", "alert_id", "alerts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")))
    op.create_index(op.f("ix_alert_events_alert_id_id"), "alert_events", ["alert_id", "id"])
    _group_alerts(op.get_bind())


def _tables(bind) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    return {name: sa.Table(name, meta, autoload_with=bind)
            for name in ("alerts", "alert_occurrences", "alert_events", "deliveries", "evidence_packets",
                         "alert_comments")}


def _group_alerts(bind) -> None:
    t = _tables(bind)
    alerts = t["alerts"]
    groups: dict[tuple, list] = {}
    for row in bind.execute(sa.select(alerts).order_by(alerts.c.id)):
        groups.setdefault((row.sensor_id, _digest(_identity(row))), []).append(row)
    for (_, key), rows in groups.items():
        keeper, latest = rows[0], max(rows, key=lambda r: (r.first_seen, r.id))
        bind.execute(t["alert_occurrences"].insert(), [
            {"alert_id": keeper.id, "sensor_id": r.sensor_id, "key": r.dedup_key, "severity": r.severity,
             "peer": r.peer, "stream": r.stream, "call_id": r.call_id, "summary": r.summary,
             "evidence": _json(r.evidence), "first_seen": r.first_seen, "last_seen": r.last_seen,
             "recorded_at": r.last_seen} for r in rows])
        others = [r.id for r in rows[1:]]
        if others:
            for table in ("deliveries", "evidence_packets", "alert_comments"):    # comments (0005) stay too
                bind.execute(t[table].update().where(t[table].c.alert_id.in_(others)).values(alert_id=keeper.id))
            bind.execute(alerts.delete().where(alerts.c.id.in_(others)))
        state = min((r.state for r in rows), key=STATE_ORDER.index)
        active = [r for r in rows if r.state == state]
        bind.execute(alerts.update().where(alerts.c.id == keeper.id).values(
            dedup_key=key, count=len(rows), state=state, first_seen=min(r.first_seen for r in rows),
            last_seen=max(r.last_seen for r in rows), severity=min((r.severity for r in rows), key=_rank),
            peer=latest.peer, stream=latest.stream, call_id=latest.call_id, summary=latest.summary,
            evidence=_json(latest.evidence), acknowledged_by=active[0].acknowledged_by,
            acknowledged_at=active[0].acknowledged_at, resolved_by=active[0].resolved_by,
            resolved_at=active[0].resolved_at, recorded_at=max(r.last_seen for r in rows)))
        bind.execute(t["alert_events"].insert().values(alert_id=keeper.id, at=min(r.first_seen for r in rows),
                                                       event="opened"))


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def downgrade() -> None:
    _split_incidents(op.get_bind())
    op.drop_index(op.f("ix_alert_events_alert_id_id"), table_name="alert_events")
    op.drop_table("alert_events")
    for index in ("ix_alert_occurrences_sensor_id", "ix_alert_occurrences_first_seen",
                  "ix_alert_occurrences_alert_id_key"):
        op.drop_index(op.f(index), table_name="alert_occurrences")
    op.drop_table("alert_occurrences")
    for column in ("recorded_at", "last_notified_at", "resolved_reason"):
        # SQLite >= 3.35 drops a column in place; batch mode would copy the table and, with foreign
        # keys on inside the migration's transaction, cascade-delete its deliveries and frames
        op.execute(f"ALTER TABLE alerts DROP COLUMN {column}")


def _split_incidents(bind) -> None:
    t = _tables(bind)
    alerts, occurrences = t["alerts"], t["alert_occurrences"]
    for incident in bind.execute(sa.select(alerts)).all():
        rows = bind.execute(sa.select(occurrences).where(occurrences.c.alert_id == incident.id)
                            .order_by(occurrences.c.first_seen, occurrences.c.id)).all()
        if not rows:
            continue
        by_key: dict[str, list] = {}
        for row in rows:                        # one alert per (sensor, dedup key): re-firings count
            by_key.setdefault(row.key, []).append(row)
        latest = rows[-1]
        base = {name: getattr(incident, name) for name in COLUMNS if name != "id"}
        bind.execute(alerts.update().where(alerts.c.id == incident.id).values(
            **_from_occurrence(latest), count=len(by_key.pop(latest.key))))
        if by_key:
            bind.execute(alerts.insert(), [{**base, **_from_occurrence(same[-1]), "count": len(same)}
                                           for same in by_key.values()])


def _from_occurrence(row) -> dict:
    return {"dedup_key": row.key, "severity": row.severity, "peer": row.peer, "stream": row.stream,
            "call_id": row.call_id, "summary": row.summary, "evidence": _json(row.evidence),
            "first_seen": row.first_seen, "last_seen": row.last_seen}
