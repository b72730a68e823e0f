"""Several sensors, one PostgreSQL: two sensors import their captures through the CLI into the same
database; the API shows both sensors and each one's alerts."""
from __future__ import annotations

import os
import subprocess

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from appliance.settings import Settings
from appliance.store import open_store
from appliance.store.queries import create_token
from tests.conftest import APPLIANCE, DATA


def test_two_sensors_share_one_postgresql(pg_server, tmp_path):
    if pg_server is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    url = pg_server.url(pg_server.new_schema())
    for sensor, capture in (("span-east", "udp-srtp-fallback.pcap"), ("span-west", "tls-rtp.pcap")):
        env = {**os.environ, "APPLIANCE_DATABASE_URL": url, "APPLIANCE_SENSOR_ID": sensor,
               "APPLIANCE_DATA_DIR": str(tmp_path / sensor)}
        proc = subprocess.run([str(APPLIANCE), "import", str(DATA / "lab" / capture)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    settings = Settings(data_dir=tmp_path / "api", database_url=url)
    store = open_store(settings.store())
    with store.session() as session:
        token = create_token(session, "noc", "viewer").token
    with TestClient(create_app(settings, store=store)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        sensors = client.get("/api/v1/sensors", headers=headers).json()
        names = sorted(s["id"] for s in (sensors["items"] if isinstance(sensors, dict) else sensors))
        assert names == ["span-east", "span-west"]
        east = client.get("/api/v1/alerts", headers=headers, params={"sensor": "span-east", "limit": 100}).json()
        west = client.get("/api/v1/alerts", headers=headers, params={"sensor": "span-west", "limit": 100}).json()
        assert {a["type"] for a in east["items"]} >= {"srtp_downgrade", "sdes_keys_exposed"}
        assert {(a["type"], a["severity"]) for a in west["items"]} == {("cleartext_media", "critical")}
        everything = client.get("/api/v1/alerts", headers=headers, params={"limit": 100}).json()
        assert everything["total"] == east["total"] + west["total"]
    store.close()
