"""Opening the store: the engine and its sessions, created when asked (never at import).

SQLite (the default, `<data_dir>/appliance.db`) runs in WAL mode with foreign keys on and a busy
timeout, and writing sessions start with BEGIN IMMEDIATE so two processes (collector, API) queue for
the write lock instead of failing on a stale read snapshot. PostgreSQL URLs are normalised to the
psycopg 3 driver."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from appliance.store.crypto import SecretBox
from appliance.store.errors import ConfigError
from appliance.store.settings import StoreSettings

PG_DRIVER = "postgresql+psycopg"
DB_FILE = "appliance.db"


def database_url(settings: StoreSettings) -> URL:
    if not settings.url:
        return make_url(f"sqlite:///{Path(settings.data_dir) / DB_FILE}")
    url = make_url(settings.url)
    if url.get_backend_name() in ("postgres", "postgresql") and url.drivername != PG_DRIVER:
        url = url.set(drivername=PG_DRIVER)
    return url


def open_store(settings: StoreSettings) -> Store:
    url = database_url(settings)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=settings.echo)
        _sqlite_pragmas(engine, settings.busy_timeout_ms)
    else:
        engine = create_engine(url, echo=settings.echo, pool_pre_ping=True)
    return Store(settings, engine)


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None      # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """The engine and two session factories: writing (the default) and read-only."""

    def __init__(self, settings: StoreSettings, engine: Engine):
        self.settings = settings
        self.engine = engine
        writer = engine.execution_options(sqlite_immediate=True) if self.dialect == "sqlite" else engine
        self._writer = sessionmaker(writer, expire_on_commit=False)
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._box: SecretBox | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        """One transaction, committed when the block ends and rolled back when it raises. A read-only
        session is never committed (and on SQLite does not queue for the write lock)."""
        session = self.read_only_session() if readonly else self._writer()
        try:
            if readonly:
                yield session
            else:
                with session.begin():
                    yield session
        finally:
            session.close()

    def read_only_session(self) -> Session:
        """A read-only session for the caller to close (what `session(readonly=True)` yields and closes)."""
        return self._reader()

    @property
    def secrets(self) -> SecretBox:
        if self._box is None:
            if not self.settings.secret_key:
                raise ConfigError("no secret key is configured to encrypt webhook secrets: set "
                                  "APPLIANCE_SECRET_KEY (`appliance secret-key` makes one)")
            self._box = SecretBox(self.settings.secret_key)
        return self._box

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
