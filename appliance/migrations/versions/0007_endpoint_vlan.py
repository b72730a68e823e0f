"""Endpoints keep their VLAN (issue 15, fleet compliance grouped by VLAN): the 802.1Q VLAN id the
collector saw on an endpoint's frames (the report's optional `endpoints[].vlan`), null when its frames
were untagged or it was never seen on the wire itself.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Upgrade adds the nullable column (existing endpoints stay null until a report tags them); downgrade
drops it (SQLite recreates the table; nothing references `endpoints`, so no row elsewhere is touched).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("endpoints", sa.Column("vlan", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        batch.drop_column("vlan")
