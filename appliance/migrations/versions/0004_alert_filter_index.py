"""An index on alerts (state, severity, type), the alert list's filters (issue 9, API load run).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09

GET /api/v1/alerts counts the matching rows for `total` on every page. With 100,000 alerts and a
filter on two of these columns (e.g. type=cleartext_media&state=open), SQLite found the rows through
ix_alerts_state_last_seen and read each one from the table to check the other column: ~80 ms per
count. Every combination of the three is now counted from this covering index (~4-11 ms), and a
filter on all three pages in id order straight from it.
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_alerts_state_severity_type"), "alerts", ["state", "severity", "type"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_state_severity_type"), table_name="alerts")
