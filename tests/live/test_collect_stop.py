"""Stopping the collector the way systemd and `appliance run` do (SIGTERM) loses nothing: the store
writes still waiting behind the alerts (appliance/store_backlog.py) and the final report are written,
and the process exits 0 with its closing line, as with Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.api.conftest import LAB
from tests.conftest import APPLIANCE
from tests.live.netns import replay_link

pytestmark = pytest.mark.lab
CALL = LAB / "tcp-pcmu.pcap"


def rows(db, query: str) -> set[tuple]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute(query).fetchall())


def test_sigterm_writes_what_waits_and_the_report(tmp_path):
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_SENSOR_ID": "stop-1"}
    subprocess.run([str(APPLIANCE), "db", "upgrade"], env=env, check=True, capture_output=True)
    offline = json.loads(subprocess.run([str(APPLIANCE), "analyze", "--no-progress", str(CALL)], env=env,
                                        check=True, capture_output=True, text=True).stdout)
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(["ip", "netns", "exec", mon, str(APPLIANCE), "collect", "--interface",
                                      monitor_if, "--store", "--workers", "2"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not collector.stderr.readline().startswith("appliance: capturing"):
                assert time.monotonic() < deadline and collector.poll() is None, "the collector did not start"
            subprocess.run(["ip", "netns", "exec", src, "tcpreplay", "-q", "--pps", "400", "-i", replay_if, str(CALL)],
                           check=True, capture_output=True, timeout=60)
            time.sleep(0.3)                                 # the last frames through the ring
            os.kill(collector.pid, signal.SIGTERM)
            _, stderr = collector.communicate(timeout=60)
        finally:
            if collector.poll() is None:
                collector.kill()
                collector.wait()
    assert collector.returncode == 0, stderr
    assert f"appliance: live:{monitor_if}: " in stderr and " 0 dropped" in stderr, stderr
    db = tmp_path / "appliance.db"
    media = {(s["src"], s["src_port"], s["dst"], s["dst_port"], int(s["encrypted"]))
             for s in offline["streams"] if s["kind"] == "rtp"}
    assert media and rows(db, "SELECT src, src_port, dst, dst_port, encrypted FROM streams WHERE kind = 'rtp'") == media
    assert rows(db, "SELECT type, endpoint FROM alerts") == {(a["type"], a["endpoint"]) for a in offline["alerts"]}
    assert rows(db, "SELECT packets FROM sensors WHERE id = 'stop-1'") == {(offline["captures"][0]["packets"],)}
