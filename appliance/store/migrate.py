"""Schema migrations through Alembic, run programmatically: the service calls `upgrade` at start and
`appliance db upgrade` calls it by hand. The migrations ship inside the package (`appliance/migrations`,
package data of the wheel), found through importlib.resources wherever the appliance is installed, or
wherever `StoreSettings.migrations_dir` says."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from appliance.store.engine import StoreSettings, open_store
from appliance.store.errors import ConfigError

PG_LOCK = 0x766F6970          # advisory lock: one upgrade at a time on PostgreSQL


def migrations_dir(settings: StoreSettings) -> Path:
    folder = settings.migrations_dir or Path(str(resources.files("appliance").joinpath("migrations")))
    if not (folder / "env.py").is_file():
        raise ConfigError(f"no Alembic migrations in {folder} (set the store's migrations_dir)")
    return folder


def alembic_config(settings: StoreSettings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(settings)))
    return config


def upgrade(settings: StoreSettings, revision: str = "head") -> str | None:
    """Bring the database to `revision` (a no-op when it is there); returns the revision it is at."""
    config = alembic_config(settings)
    store = open_store(settings)
    try:
        writer = store.engine.execution_options(sqlite_immediate=True)
        with writer.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        store.close()


def current_revision(settings: StoreSettings) -> str | None:
    """The revision the database is at (None: never migrated)."""
    store = open_store(settings)
    try:
        with store.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        store.close()


def head_revision(settings: StoreSettings) -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(alembic_config(settings)).get_current_head()


def new_revision(settings: StoreSettings, message: str, autogenerate: bool = True) -> None:
    """For developers: write a revision for model changes (the database must be at head)."""
    config = alembic_config(settings)
    store = open_store(settings)
    try:
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=autogenerate)
    finally:
        store.close()
