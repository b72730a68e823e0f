"""HEP v3 export to Homer (issue 8): `hep` joins the webhook formats, so the CHECK on webhooks.format
changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08

PostgreSQL drops and re-adds the constraint. SQLite cannot alter a CHECK: batch mode recreates the
webhooks table (copy, drop, rename). The store runs SQLite with foreign_keys=ON and migrates inside one
transaction (where that pragma cannot be switched off), so dropping the old webhooks table would
cascade-delete every delivery (deliveries.webhook_id ... ON DELETE CASCADE): the deliveries are kept
in a temporary table across the recreate and put back with their ids, states and attempts.

The downgrade refuses while `hep` webhooks exist (remove them first: `appliance webhook remove ID`)
rather than deleting them and their deliveries behind the operator's back.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = ("generic", "slack", "teams", "alertmanager", "syslog", "cef")
NEW = OLD + ("hep",)
NAME = "ck_webhooks_format"
KEPT = "_deliveries_0003"


def _condition(formats: tuple[str, ...]) -> str:
    return f"format IN ({', '.join(repr(f) for f in formats)})"


def _set_formats(formats: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(NAME), "webhooks", type_="check")
        op.create_check_constraint(op.f(NAME), "webhooks", _condition(formats))
        return
    op.execute(f"CREATE TEMP TABLE {KEPT} AS SELECT * FROM deliveries")
    with op.batch_alter_table("webhooks", recreate="always") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), _condition(formats))
    op.execute(f"DELETE FROM deliveries WHERE id IN (SELECT id FROM {KEPT})")     # none left; for safety
    op.execute(f"INSERT INTO deliveries SELECT * FROM {KEPT}")
    op.execute(f"DROP TABLE {KEPT}")


def upgrade() -> None:
    _set_formats(NEW)


def downgrade() -> None:
    hep = op.get_bind().execute(sa.text("SELECT count(*) FROM webhooks WHERE format = 'hep'")).scalar()
    if hep:
        raise RuntimeError(f"{hep} hep webhook(s) exist: remove them before downgrading below 0003")
    _set_formats(OLD)
