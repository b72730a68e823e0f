"""SPAN control (issue 6): a switch's enable-secret reference and session number, source VLANs and
the last verification of a SPAN session, and an audit trail of every SPAN action (who, when, what,
with what outcome).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Columns are added nullable or with a server default, so SQLite takes them with plain ALTER TABLE.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("switches", sa.Column("secret_ref", sa.String(200), nullable=True))
    op.add_column("switches", sa.Column("session_number", sa.Integer(), nullable=False, server_default="7"))
    op.add_column("span_sessions", sa.Column("source_vlans", sa.JSON(), nullable=True))
    op.add_column("span_sessions", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("span_sessions", sa.Column("verified_ok", sa.Boolean(), nullable=True))
    op.add_column("span_sessions", sa.Column("last_error", sa.Text(), nullable=True))
    op.create_table(
        "span_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("switch_name", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("session", sa.JSON(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_span_actions")))
    op.create_index(op.f("ix_span_actions_switch_name_at"), "span_actions", ["switch_name", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_span_actions_switch_name_at"), table_name="span_actions")
    op.drop_table("span_actions")
    with op.batch_alter_table("span_sessions") as batch:
        for column in ("last_error", "verified_ok", "verified_at", "source_vlans"):
            batch.drop_column(column)
    # SQLite recreates `switches` to drop its columns, and with foreign keys on, dropping the old table
    # cascades to span_sessions: keep them aside and put them back (the ids do not change).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE _span_sessions_0002 AS SELECT * FROM span_sessions")
    with op.batch_alter_table("switches") as batch:
        batch.drop_column("session_number")
        batch.drop_column("secret_ref")
    if sqlite:
        op.execute("DELETE FROM span_sessions WHERE id IN (SELECT id FROM _span_sessions_0002)")
        op.execute("INSERT INTO span_sessions SELECT * FROM _span_sessions_0002")
        op.execute("DROP TABLE _span_sessions_0002")
