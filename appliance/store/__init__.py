"""The store (issue 5): SQLAlchemy models of what sensors saw and what the NOC did about it, on
SQLite (default, `<data_dir>/appliance.db`) or PostgreSQL, migrated by Alembic.

    settings = StoreSettings(url=None, data_dir=Path("/var/lib/appliance"), secret_key=...)
    migrate.upgrade(settings)                    # at service start / `appliance db upgrade`
    store = open_store(settings)
    recorder = Recorder(store, "sensor-1")       # collector events and policy alerts in
    with store.session() as session:             # the API's reads and changes
        page = queries.list_alerts(session, state="open")

Modules: models (tables), engine (settings, Store), migrate (Alembic), recorder (events and alerts
in), inventory (report upserts), posture, queries (API reads), outbox (webhook deliveries), webhooks,
tokens, retention, counters (cumulative counts for /metrics), crypto (secret encryption), importer
(captures into the store), errors.
Nothing here opens a database at import time, and importing the package imports no SQLAlchemy (the
names below load on first use), so commands that never touch the store start fast."""
from appliance.store.settings import StoreSettings

__all__ = ["Store", "StoreSettings", "open_store"]


def __getattr__(name: str):
    if name in ("Store", "open_store"):
        from appliance.store import engine
        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
