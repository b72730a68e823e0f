"""The collector killed mid-call (SIGKILL: no clean-up at all) and started again while the call goes
on: every alert stored before the kill is still there, unchanged, and the restarted collector picks
the call's media up again without its signalling — the same stream's alert fires again (count 2, a
later last_seen) instead of being lost or duplicated."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timezone

import pytest

from tests.api.conftest import LAB
from tests.conftest import APPLIANCE
from tests.live.netns import replay_link

pytestmark = pytest.mark.lab
CALL = LAB / "tcp-pcmu.pcap"            # 326 packets over 3 s; replayed at 25 packets/s it lasts 13 s


def alerts(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, type, endpoint, stream, count, first_seen, last_seen, evidence "
                            "FROM alerts ORDER BY id").fetchall()


def start(mon: str, monitor_if: str, env) -> subprocess.Popen:
    collector = subprocess.Popen(["ip", "netns", "exec", mon, str(APPLIANCE), "collect", "--interface", monitor_if,
                                  "--store", "--workers", "1"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if collector.stderr.readline().startswith("appliance: capturing"):
            return collector
    raise AssertionError("the collector did not start")


def test_killed_mid_call_and_restarted(tmp_path):
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_SENSOR_ID": "restart-1"}
    subprocess.run([str(APPLIANCE), "db", "upgrade"], env=env, check=True, capture_output=True)
    db = tmp_path / "appliance.db"
    with replay_link() as (mon, monitor_if, src, replay_if):
        first = start(mon, monitor_if, env)
        call = subprocess.Popen(["ip", "netns", "exec", src, "tcpreplay", "-q", "--pps", "25", "-i", replay_if,
                                 str(CALL)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        second = None
        try:
            deadline = time.monotonic() + 30
            while not any(row[1] == "cleartext_media" for row in alerts(db)) and time.monotonic() < deadline:
                time.sleep(0.2)
            before = alerts(db)
            assert any(row[1] == "cleartext_media" for row in before), "no media alert before the kill"
            os.kill(first.pid, signal.SIGKILL)                       # mid-call, no clean-up
            first.wait()
            killed_at = datetime.now(timezone.utc).replace(tzinfo=None)
            assert call.poll() is None, "the call ended before the kill: replay it slower"
            second = start(mon, monitor_if, env)
            call.wait(timeout=60)
            time.sleep(2)
            second.send_signal(signal.SIGINT)                        # a clean stop writes the last figures
            second.communicate(timeout=60)
        finally:
            for process in (first, call, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
    after = {row[0]: row for row in alerts(db)}
    for row in before:                                               # nothing stored before the kill is lost
        assert row[0] in after and after[row[0]][1:4] == row[1:4] and after[row[0]][5] == row[5]
    media = [after[row[0]] for row in before if row[1] == "cleartext_media"]
    picked_up = [row for row in media if row[4] >= 2 and datetime.fromisoformat(row[6]) > killed_at]
    assert picked_up, f"the restarted collector did not pick the call up again: {media}"
    assert len(after) == len({(row[1], row[2], row[3]) for row in after.values()})   # no duplicates
