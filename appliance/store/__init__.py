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
tokens, retention, crypto (secret encryption), importer (captures into the store), errors.
Nothing here opens a database at import time."""
from appliance.store.engine import Store, StoreSettings, open_store

__all__ = ["Store", "StoreSettings", "open_store"]
