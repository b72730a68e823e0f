"""Type=notify and the watchdog, against a real notify socket (what systemd listens on): READY=1 once
`appliance serve` answers, then WATCHDOG=1 at half WatchdogSec; nothing fed when the health check fails;
a collector started by `run` does not inherit the socket. And the units ask for it and are hardened
(systemd-analyze security --offline)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time

import httpx
import pytest

from appliance.sdnotify import Heartbeat, Notifier, without_systemd
from tests.conftest import APPLIANCE
from tests.deploy.test_units import DEPLOY, analyze, fake_root, instance, unit_settings  # noqa: F401 (fixture)
from tests.test_service import free_port

LONG_RUNNING = ["appliance-api.service", "appliance-collector@.service"]


@pytest.fixture()
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(0.2)
    yield sock, str(tmp_path / "notify")
    sock.close()


def messages(sock, seconds: float) -> list[str]:
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    return got


def test_ready_then_watchdog_only_while_healthy(notify_socket):
    sock, path = notify_socket
    healthy, ready, stop = threading.Event(), threading.Event(), threading.Event()
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": str(os.getpid())})
    assert notifier.interval == pytest.approx(0.1)
    notifier.serve(ready=ready.is_set, healthy=healthy.is_set, stop=stop)
    try:
        assert messages(sock, 0.5) == [], "nothing before ready"
        ready.set()
        unhealthy = messages(sock, 0.6)
        assert unhealthy[0].startswith("READY=1") and "WATCHDOG=1" not in unhealthy
        healthy.set()
        assert messages(sock, 0.6).count("WATCHDOG=1") >= 3
    finally:
        stop.set()


def test_no_systemd_no_notification_and_children_do_not_inherit():
    assert Notifier({}).send("READY=1") is False
    assert Notifier({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}).interval is None     # another process's
    env = without_systemd({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1", "WATCHDOG_PID": "2", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
    beat, now = Heartbeat(clock=lambda: now[0]), [100.0]
    assert not beat.started() and beat() is False and beat.fresh(5)
    now[0] = 106.0
    assert not beat.fresh(5)


def test_serve_notifies_ready_and_feeds_the_watchdog(notify_socket, tmp_path):
    sock, path = notify_socket
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env |= {"APPLIANCE_DATA_DIR": str(tmp_path / "data"), "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}
    service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        first, deadline = [], time.monotonic() + 90
        while not first and time.monotonic() < deadline:
            first = messages(sock, 0.5)
            assert service.poll() is None
        assert first and first[0].startswith("READY=1"), first
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200, "ready means serving"
        assert messages(sock, 2.5).count("WATCHDOG=1") >= 3
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.mark.parametrize("unit", LONG_RUNNING)
def test_long_running_units_use_notify_and_a_watchdog(unit):
    svc = unit_settings(DEPLOY / "systemd" / unit)["Service"]
    assert svc["Type"] == ["notify"] and svc["NotifyAccess"] == ["main"]
    assert re.fullmatch(r"\d+s", svc["WatchdogSec"][0])
    assert svc["ProcSubset"] == ["pid"] and svc["ProtectProc"] == ["invisible"]
    assert svc["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]


@pytest.mark.parametrize("unit", LONG_RUNNING)
def test_systemd_analyze_security_finds_the_hardening(fake_root, unit):  # noqa: F811 (fixture)
    proc = analyze(fake_root, "security", "--offline=yes", instance(DEPLOY / "systemd" / unit))
    passed = {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("✓")}
    assert {"ProcSubset=", "SystemCallFilter=~@privileged", "SystemCallFilter=~@resources", "RemoveIPC=",
            "PrivateMounts=", "ProtectProc="} <= passed, proc.stdout
    exposure = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout).group(1))
    assert exposure < 2.0, proc.stdout
