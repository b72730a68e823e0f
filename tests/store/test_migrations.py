"""Alembic: the revisions create every table on SQLite and PostgreSQL, upgrading again is a no-op,
the schema matches the models, a store at an older revision keeps its rows when upgraded, and it
downgrades cleanly."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import pytest

from appliance.store import migrate
from appliance.store.engine import StoreSettings, open_store
from appliance.store.errors import ConfigError
from appliance.store.models import Base

TABLES = {"sensors", "endpoints", "calls", "streams", "signaling_sessions", "alerts", "evidence_packets",
          "switches", "span_sessions", "span_actions", "webhooks", "deliveries", "api_tokens"}


def tables(settings) -> set[str]:
    store = open_store(settings)
    try:
        return set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_upgrade_to_head_and_again_is_a_no_op(fresh_settings):
    assert migrate.current_revision(fresh_settings) is None
    head = migrate.head_revision(fresh_settings)
    assert migrate.upgrade(fresh_settings) == head
    assert tables(fresh_settings) == TABLES | {"alembic_version"}
    assert Base.metadata.tables.keys() == TABLES
    assert migrate.upgrade(fresh_settings) == head
    assert migrate.current_revision(fresh_settings) == head
    assert tables(fresh_settings) == TABLES | {"alembic_version"}


def test_schema_matches_the_models(settings):
    store = open_store(settings)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.close()


def test_a_0001_store_keeps_its_switches_through_0002(fresh_settings):
    migrate.upgrade(fresh_settings, "0001")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO switches (name, device_type, host, port, username, credential_ref, "
                                    "created_at) VALUES ('core1', 'cisco_ios', '192.0.2.1', 22, 'netops', "
                                    "'env:CORE1_PASSWORD', CURRENT_TIMESTAMP)"))
    finally:
        store.close()
    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)
    store = open_store(fresh_settings)
    try:
        with store.engine.connect() as connection:
            row = connection.execute(text("SELECT name, credential_ref, secret_ref, session_number FROM switches"))
            assert row.one() == ("core1", "env:CORE1_PASSWORD", None, 7)
    finally:
        store.close()


def test_downgrade_to_base_and_up_again(fresh_settings):
    migrate.upgrade(fresh_settings)
    store = open_store(fresh_settings)
    try:
        config = migrate.alembic_config(fresh_settings)
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
    finally:
        store.close()
    assert tables(fresh_settings) <= {"alembic_version"}
    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)


def test_migrations_folder_can_be_overridden(tmp_path):
    settings = StoreSettings(None, tmp_path, migrations_dir=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="no Alembic migrations"):
        migrate.upgrade(settings)
    assert migrate.migrations_dir(StoreSettings(None, tmp_path)).name == "migrations"
