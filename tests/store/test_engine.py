"""Opening the store: URL defaults and normalisation, SQLite pragmas, transactions, UTC timestamps,
and no engine at import time."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from appliance.store.engine import StoreSettings, database_url, open_store
from appliance.store.models import Sensor


def test_default_url_is_sqlite_in_the_data_dir(tmp_path):
    assert str(database_url(StoreSettings(None, tmp_path))) == f"sqlite:///{tmp_path}/appliance.db"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg2://u@h/db",
                                 "postgresql+psycopg://u@h/db"])
def test_postgresql_urls_use_psycopg3(url, tmp_path):
    assert database_url(StoreSettings(url, tmp_path)).drivername == "postgresql+psycopg"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    with open_store(StoreSettings(None, tmp_path / "new" / "dir", busy_timeout_ms=1234)) as store:
        with store.session() as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    assert (tmp_path / "new" / "dir" / "appliance.db").exists()


def test_a_session_commits_or_rolls_back(store):
    with pytest.raises(RuntimeError):
        with store.session() as session:
            session.add(Sensor(id="lost"))
            session.flush()
            raise RuntimeError
    with store.session() as session:
        session.add(Sensor(id="kept"))
    with store.session(readonly=True) as session:
        assert session.scalars(select(Sensor.id)).all() == ["kept"]


def test_timestamps_come_back_aware_utc(store):
    moment = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    with store.session() as session:
        session.add_all([Sensor(id="aware", first_seen=moment, last_seen=moment),
                         Sensor(id="naive", first_seen=moment.replace(tzinfo=None), last_seen=moment)])
    with store.session(readonly=True) as session:
        aware, naive = session.get(Sensor, "aware"), session.get(Sensor, "naive")
    assert aware.first_seen == moment and aware.first_seen.tzinfo == timezone.utc
    assert naive.first_seen == moment.replace(tzinfo=timezone.utc)      # naive is taken as UTC


def test_importing_the_store_opens_no_database():
    code = ("import sqlalchemy\n"
            "def boom(*a, **k): raise SystemExit('engine created at import')\n"
            "sqlalchemy.create_engine = boom\n"
            "import appliance.store, appliance.store.queries, appliance.store.recorder, appliance.store.migrate\n"
            "import appliance.store.importer, appliance.store.retention\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
