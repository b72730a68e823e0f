"""An audit log of every change people make (issue 14), and alert comments kept as a history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

`audit_log`: who (the API token's name or the CLI user), when, through which door (api, cli), what
(token, webhook, switch, SPAN, alert changes), and the state before and after with secrets redacted.
`alert_comments`: every comment on an alert; `alerts.comment` keeps the latest, and each existing
one is carried over as the first of its alert's history (author: whoever last acted on the alert).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")     # as in 0001: nothing imported from the application

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")))
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])
    op.create_index(op.f("ix_audit_log_target_at"), "audit_log", ["target", "at"])
    op.create_index(op.f("ix_audit_log_actor_at"), "audit_log", ["actor", "at"])
    op.create_table(
        "alert_comments",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_comments_alert_id_alerts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_comments")))
    op.create_index(op.f("ix_alert_comments_alert_id"), "alert_comments", ["alert_id"])
    op.execute("INSERT INTO alert_comments (alert_id, author, at, text) "
               "SELECT id, COALESCE(resolved_by, acknowledged_by, 'unknown'), "
               "COALESCE(resolved_at, acknowledged_at, last_seen), comment FROM alerts WHERE comment IS NOT NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_comments_alert_id"), table_name="alert_comments")
    op.drop_table("alert_comments")
    for index in ("ix_audit_log_actor_at", "ix_audit_log_target_at", "ix_audit_log_action", "ix_audit_log_at"):
        op.drop_index(op.f(index), table_name="audit_log")
    op.drop_table("audit_log")
