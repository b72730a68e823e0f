"""Counters kept in the store (issue 16's metrics kit): incidents opened, re-opened and resolved, streams
by verdict, so /metrics exports counters that never drop when retention purges rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Upgrade: the `counters` table (name, labels as canonical JSON, value), seeded from the rows the store
still holds (what retention already purged is not counted):
  incidents_opened{sensor,type,severity}   one per incident, at its first occurrence's severity
  incidents_reopened{sensor,type}          its "reopened" history entries
  incidents_resolved{sensor,type,how}      its "resolved" history entries (auto when no one resolved it),
                                           and resolved incidents older than the history (0006)
  streams{sensor,kind,verdict}             streams with a verdict (encrypted or cleartext)
Downgrade: drop the table.

Like 0001, it imports nothing from the application: the label format is the one of
`appliance.store.counters.canonical` at this revision, written out here.
"""
from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("labels", sa.String(500), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", "labels", name=op.f("pk_counters")))
    seeds = _seeds(op.get_bind())
    if seeds:
        op.bulk_insert(counters, [{"name": name, "labels": labels, "value": value}
                                  for (name, labels), value in sorted(seeds.items())])


def downgrade() -> None:
    op.drop_table("counters")


def _labels(**labels) -> str:
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"))


def _seeds(bind) -> Counter:
    seeds: Counter = Counter()
    for sensor, type_, severity, count in bind.execute(sa.text(
            "SELECT a.sensor_id, a.type, COALESCE((SELECT o.severity FROM alert_occurrences o WHERE o.alert_id = a.id "
            "ORDER BY o.id LIMIT 1), a.severity), count(*) FROM alerts a GROUP BY 1, 2, 3")):
        seeds["incidents_opened", _labels(sensor=sensor, type=type_, severity=severity)] += count
    for sensor, type_, count in bind.execute(sa.text(
            "SELECT a.sensor_id, a.type, count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
            "WHERE e.event = 'reopened' GROUP BY 1, 2")):
        seeds["incidents_reopened", _labels(sensor=sensor, type=type_)] += count
    for sensor, type_, manual, count in bind.execute(sa.text(
            "SELECT a.sensor_id, a.type, e.actor IS NOT NULL, count(*) FROM alert_events e "
            "JOIN alerts a ON a.id = e.alert_id WHERE e.event = 'resolved' GROUP BY 1, 2, 3 "
            "UNION ALL SELECT a.sensor_id, a.type, a.resolved_by IS NOT NULL, count(*) FROM alerts a "
            "WHERE a.state = 'resolved' AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id "
            "AND e.event = 'resolved') GROUP BY 1, 2, 3")):
        seeds["incidents_resolved", _labels(sensor=sensor, type=type_, how="manual" if manual else "auto")] += count
    for sensor, kind, encrypted, count in bind.execute(sa.text(
            "SELECT sensor_id, kind, encrypted, count(*) FROM streams WHERE encrypted IS NOT NULL GROUP BY 1, 2, 3")):
        seeds["streams", _labels(sensor=sensor, kind=kind, verdict="encrypted" if encrypted else "cleartext")] += count
    return seeds
