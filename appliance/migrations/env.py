"""Alembic environment of the store. Run through `appliance.store.migrate` (`appliance db upgrade`),
which hands over an open connection in `config.attributes["connection"]`; a bare `alembic` run needs
`sqlalchemy.url` set on its Config (no URL is hard-coded in an alembic.ini)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from appliance.store.columns import UTCDateTime
from appliance.store.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so revisions do not import the application."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, render_item=render_item, compare_type=True, **kwargs)


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"),
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection in config.attributes or set sqlalchemy.url")
    with create_engine(url, poolclass=pool.NullPool).begin() as connection:
        _run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
