"""The store unavailable for a minute while calls go on: the collector keeps capturing, keeps the
writes it could not make in order, and stores every one of them when PostgreSQL is back — every alert
it raised is in the store afterwards, those of the calls made during the outage included. The
outage is real: the collector reaches PostgreSQL through a relay the test cuts (tests/faults/pgproxy.py)."""
from __future__ import annotations

import json
import os
import subprocess
import time

import psycopg
import pytest

from tests.api.conftest import LAB
from tests.conftest import APPLIANCE
from tests.faults.pgproxy import PG_SOCKET, PgOutage
from tests.live.netns import replay_link, sh

pytestmark = pytest.mark.lab
OUTAGE = 60.0                                    # seconds: what the issue asks the collector to ride out
BEFORE, DURING, AFTER = LAB / "tcp-pcmu.pcap", [LAB / "udp-g722.pcap", LAB / "sipp-pcap.pcap"], LAB / "udp-pcmu.pcap"


@pytest.fixture
def database():
    if not PG_SOCKET.exists():
        pytest.skip("no local PostgreSQL socket")
    name = f"faults_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def stored_alerts(name: str) -> list[tuple]:
    with psycopg.connect(host="127.0.0.1", dbname=name, user="postgres") as conn:
        return conn.execute("SELECT a.type, a.endpoint, o.stream, o.severity, o.first_seen FROM alert_occurrences o "
                            "JOIN alerts a ON a.id = o.alert_id ORDER BY o.id").fetchall()


def replay(src: str, interface: str, capture) -> None:
    sh("ip", "netns", "exec", src, "tcpreplay", "-q", "--topspeed", "-i", interface, str(capture))


def wait_for(what, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


def test_a_minute_without_the_store_loses_no_alert(database, tmp_path):
    outage = PgOutage(tmp_path)
    outage.up()
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_SENSOR_ID": "faults-1",
           "APPLIANCE_DATABASE_URL": f"postgresql+psycopg://postgres@/{database}?host={outage.url_host}"}
    subprocess.run([str(APPLIANCE), "db", "upgrade"], env=env, check=True, capture_output=True)
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(["ip", "netns", "exec", mon, str(APPLIANCE), "collect", "--interface", monitor_if,
                                      "--store", "--workers", "1", "--duration", str(OUTAGE + 40)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for("the collector's start", lambda: collector.stderr.readline().startswith("appliance: capturing"))
            replay(src, replay_if, BEFORE)
            wait_for("the first alerts in the store", lambda: len(stored_alerts(database)) >= 3)
            before = stored_alerts(database)

            outage.down()                                        # PostgreSQL is gone ...
            down_at = time.monotonic()
            for capture in DURING:                               # ... while two more calls happen
                replay(src, replay_if, capture)
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
            assert len(stored_alerts(database)) == len(before)  # nothing could be written meanwhile
            outage.up()                                          # ... and it is back

            replay(src, replay_if, AFTER)
            out, err = collector.communicate(timeout=OUTAGE + 60)
        finally:
            if collector.poll() is None:
                collector.kill()
                collector.wait()
    outage.down()
    assert collector.returncode == 0, err
    raised = [json.loads(line) for line in out.splitlines()]
    stored = stored_alerts(database)
    assert {(a["type"], a["endpoint"], a["stream"]) for a in raised} == {(t, e, s) for t, e, s, _, _ in stored}
    assert len(stored) > len(before) + 2                         # the outage's calls' alerts are there too
    assert stored[:len(before)] == before                        # and the earlier ones untouched
    summary = next(line for line in err.splitlines() if line.startswith("appliance: store outages:"))
    assert "still waiting: 0; dropped (queue full): 0" in summary
    assert int(summary.split("writes that waited: ")[1].split(";")[0]) > 0
