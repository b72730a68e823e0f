"""The `alertmanager` format against a real Alertmanager (Debian's prometheus-alertmanager, started here
on 127.0.0.1 with a temporary configuration and storage): the appliance's incidents appear as alerts
with their labels, are grouped by Alertmanager's route (per endpoint), are re-sent while active, and
resolve when the incident does."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import httpx
import pytest

from appliance.notify.dispatcher import Dispatcher
from appliance.store import queries
from appliance.store.incidents import IncidentSettings
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.notify.phones import PBX, PHONE, Phone
from tests.notify.receivers import free_port
from tests.store.helpers import Clock

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
ALLOW = "127.0.0.0/8,::1"
CONFIG = """
route:
  receiver: noc
  group_by: [endpoint]
  group_wait: 1h
  group_interval: 1h
receivers:
  - name: noc
"""

pytestmark = pytest.mark.skipif(not os.access(BINARY, os.X_OK), reason="prometheus-alertmanager is not installed")


@pytest.fixture
def alertmanager(tmp_path, monkeypatch):
    monkeypatch.setenv("APPLIANCE_NOTIFY_ALLOW", ALLOW)
    (tmp_path / "alertmanager.yml").write_text(CONFIG)
    port = free_port()
    process = subprocess.Popen(
        [BINARY, f"--config.file={tmp_path / 'alertmanager.yml'}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "APPLIANCE_NOTIFY_ALLOW": ALLOW})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base, process), "Alertmanager to be ready")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(base: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"alertmanager exited: {process.stderr.read().decode(errors='replace')[-500:]}")
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(condition, what: str, timeout: float = 20.0):
    """Poll until `condition()` is truthy (Alertmanager ingests asynchronously); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def active(base: str) -> dict[str, dict]:
    """Alertmanager's active alerts by alertname (resolved ones are not listed)."""
    alerts = httpx.get(f"{base}/api/v2/alerts", params={"active": "true"}, timeout=5).json()
    return {a["labels"]["alertname"]: a for a in alerts if a["status"]["state"] == "active"}


def test_incidents_appear_group_and_resolve_in_alertmanager(store, alertmanager):
    with store.session() as session:
        queries.create_webhook(session, store.secrets, alertmanager, "alertmanager", name="prometheus-am")
    start = time.time() - 60
    clock = Clock(start)
    phone = Phone(store, clock, IncidentSettings())
    phone.register(start)                                 # SIP over UDP: cleartext_signaling
    for n in range(3):                                    # three cleartext calls: one cleartext_media incident
        phone.call(start + 10 * n, encrypted=False)
    clock.now = time.time()
    with Dispatcher(store, clock=clock, external_url="https://appliance.example/", refresh_every=120,
                    destinations=LOOPBACK_ALLOWED) as dispatcher:
        assert dispatcher.run_once() == 2                 # two incidents, one post each (not one per call)
        alerts = wait_for(lambda: len(active(alertmanager)) == 2 and active(alertmanager), "two active alerts")
        media = alerts["cleartext_media"]
        assert media["labels"] == {"alertname": "cleartext_media", "type": "cleartext_media",
                                        "endpoint": PHONE, "severity": "high", "sensor": "sensor-1",
                                        "site": "sensor-1", "device_class": "hard_phone"}
        assert media["annotations"]["occurrences"] == "1" and PHONE in media["annotations"]["summary"]  # as opened
        assert media["annotations"]["dashboard"].startswith("https://appliance.example/alerts/")
        assert alerts["cleartext_signaling"]["labels"]["endpoint"] == PHONE
        assert PBX in alerts["cleartext_signaling"]["annotations"]["summary"]

        groups = httpx.get(f"{alertmanager}/api/v2/alerts/groups", timeout=5).json()
        [group] = groups                                  # the route groups by endpoint: one group, both alerts
        assert group["labels"] == {"endpoint": PHONE} and group["receiver"]["name"] == "noc"
        assert sorted(a["labels"]["alertname"] for a in group["alerts"]) == ["cleartext_media",
                                                                             "cleartext_signaling"]

        clock.now += 121                                  # past the refresh interval: both are sent again, as now
        assert dispatcher.run_once() == 2
        wait_for(lambda: active(alertmanager)["cleartext_media"]["annotations"]["occurrences"] == "3", "a refresh")

        media_id = next(a.id for a in _incidents(store) if a.type == "cleartext_media")
        with store.session() as session:
            queries.resolve(session, media_id, "alice", "re-provisioned with SRTP")
        assert dispatcher.run_once() == 1
        wait_for(lambda: set(active(alertmanager)) == {"cleartext_signaling"}, "cleartext_media to resolve")


def _incidents(store):
    with store.session(readonly=True) as session:
        return queries.list_alerts(session, limit=10).items
