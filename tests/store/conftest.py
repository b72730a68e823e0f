"""Store fixtures: every store test runs on SQLite (a file in tmp_path) and on PostgreSQL (database
`test` on 127.0.0.1:5432, one fresh schema per test session, dropped at the end; skipped when the
server is unreachable)."""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import text

from appliance.store import migrate
from appliance.store.crypto import generate_key
from appliance.store.engine import StoreSettings, open_store
from appliance.store.models import Base

PG_HOST, PG_PORT, PG_DB, PG_USERS = "127.0.0.1", 5432, "test", ("postgres", "root")
KEY = generate_key()


class PgServer:
    """Creates schemas on the test server and drops them at the end of the session."""

    def __init__(self, connection, user: str):
        self.connection, self.user, self.schemas = connection, user, []

    def new_schema(self) -> str:
        schema = f"s_{secrets.token_hex(6)}"
        self.connection.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return schema

    def url(self, schema: str) -> str:
        return f"postgresql://{self.user}@{PG_HOST}:{PG_PORT}/{PG_DB}?options=-csearch_path%3D{schema}"

    def close(self) -> None:
        for schema in self.schemas:
            self.connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.connection.close()


@pytest.fixture(scope="session")
def pg_server():
    import psycopg
    for user in PG_USERS:
        try:
            connection = psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3,
                                         autocommit=True)
            break
        except psycopg.OperationalError:
            continue
    else:
        yield None
        return
    server = PgServer(connection, user)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def pg_session_url(pg_server):
    """One migrated schema shared by the session's tests (emptied before each)."""
    if pg_server is None:
        return None
    url = pg_server.url(pg_server.new_schema())
    migrate.upgrade(StoreSettings(url, Path("/nonexistent")))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def fresh_settings(backend, tmp_path, pg_server):
    """Settings of an empty, never-migrated database."""
    if backend == "sqlite":
        return StoreSettings(None, tmp_path / "data", secret_key=KEY)
    if pg_server is None:
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    return StoreSettings(pg_server.url(pg_server.new_schema()), tmp_path, secret_key=KEY)


@pytest.fixture
def settings(backend, tmp_path, pg_server, pg_session_url):
    """Settings of a migrated, empty database."""
    if backend == "sqlite":
        settings = StoreSettings(None, tmp_path / "data", secret_key=KEY)
        migrate.upgrade(settings)
        return settings
    if pg_server is None:
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    settings = StoreSettings(pg_session_url, tmp_path, secret_key=KEY)
    store = open_store(settings)
    try:
        with store.engine.begin() as connection:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        store.close()
    return settings


@pytest.fixture
def store(settings):
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()
