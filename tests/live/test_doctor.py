"""`appliance doctor` in namespaces the tests create: a healthy mirror port (up, promiscuous, no IP,
traffic replayed into it, a migrated store, a webhook receiver that answers) passes every check; each
way of breaking it fails its own check with what to do, and the exit status says so."""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager

import pytest

from tests.api.conftest import LAB
from tests.conftest import APPLIANCE
from tests.notify.receivers import LOOPBACK_ENV
from tests.live.netns import need_root_and_netns, replay_link, sh

pytestmark = pytest.mark.lab
CALL = LAB / "udp-g722.pcap"


@pytest.fixture
def link():
    need_root_and_netns()
    with replay_link() as (mon, monitor_if, src, replay_if):
        sh("ip", "netns", "exec", mon, "ip", "link", "set", monitor_if, "promisc", "on")
        sh("ip", "netns", "exec", mon, "ethtool", "-K", monitor_if, "gro", "off", check=False)
        yield mon, monitor_if, src, replay_if


@contextmanager
def replaying(src: str, replay_if: str):
    """The lab call replayed into the link, over and over, until the block ends."""
    player = subprocess.Popen(["ip", "netns", "exec", src, "tcpreplay", "-q", "--pps", "400", "--loop", "0",
                               "-i", replay_if, str(CALL)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        player.terminate()
        player.wait(timeout=10)


@contextmanager
def receiver(ns: str):
    """A webhook receiver on the namespace's loopback (the doctor only connects to it)."""
    script = ("import http.server, sys; s = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler);"
              "print(s.server_address[1], flush=True); s.serve_forever()")
    server = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True)
    try:
        yield int(server.stdout.readline())
    finally:
        server.terminate()
        server.wait(timeout=10)


def doctor(ns: str, data_dir, *args: str, prefix=()) -> subprocess.CompletedProcess:
    """(The data dir goes in the environment, not through `env`: after setpriv drops root, only the
    kernel's own exec of the script could still reach an interpreter under /root.)"""
    return subprocess.run(["ip", "netns", "exec", ns, *prefix, str(APPLIANCE), "doctor", "--seconds", "2", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "APPLIANCE_DATA_DIR": str(data_dir), **LOOPBACK_ENV})


def appliance(ns: str, data_dir, *args: str) -> str:
    allow = [f"{name}={value}" for name, value in LOOPBACK_ENV.items()]       # the receivers are on loopback
    return sh("ip", "netns", "exec", ns, "env", f"APPLIANCE_DATA_DIR={data_dir}", *allow, str(APPLIANCE),
              *args).stdout


def lines(proc) -> dict[str, str]:
    """check name -> status"""
    found = {}
    for line in proc.stdout.splitlines()[:-1]:
        status, _, rest = line.partition(" ")
        found[rest.strip().split(":")[0]] = status
    return found


def test_a_healthy_mirror_passes_every_check(link, tmp_path):
    mon, monitor_if, src, replay_if = link
    appliance(mon, tmp_path, "db", "upgrade")
    with receiver(mon) as port:
        appliance(mon, tmp_path, "webhook", "add", f"http://127.0.0.1:{port}/hook")
        with replaying(src, replay_if):
            proc = doctor(mon, tmp_path, "--interface", monitor_if)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = lines(proc)
    assert checks["privileges"] == "ok" and checks[f"interface {monitor_if}"] == "ok"
    assert checks[f"interface {monitor_if} promiscuous"] == "ok" and checks[f"interface {monitor_if} addresses"] == "ok"
    assert checks[f"mirrored traffic on {monitor_if}"] == "ok" and checks["store"] == "ok"
    assert checks["webhook 1"] == "ok"
    traffic = next(line for line in proc.stdout.splitlines() if "mirrored traffic" in line)
    assert "from 2 host(s)" in traffic and "RTP stream(s)" in traffic
    assert proc.stdout.splitlines()[-1].endswith(", 0 failed")


def test_each_broken_part_fails_its_own_check(link, tmp_path):
    mon, monitor_if, src, replay_if = link
    silent = doctor(mon, tmp_path, "--interface", monitor_if)          # no traffic, store never migrated
    assert silent.returncode == 1
    assert lines(silent)[f"mirrored traffic on {monitor_if}"] == "FAIL"
    assert "nothing arrived in 2 s -> check the SPAN session" in silent.stdout
    assert lines(silent)["store"] == "FAIL" and "-> appliance db upgrade" in silent.stdout

    appliance(mon, tmp_path, "db", "upgrade")
    with receiver(mon) as port:
        pass                                                            # the receiver is gone again
    appliance(mon, tmp_path, "webhook", "add", f"http://127.0.0.1:{port}/hook")
    sh("ip", "netns", "exec", mon, "ip", "link", "set", monitor_if, "down")
    down = doctor(mon, tmp_path, "--interface", monitor_if)
    assert down.returncode == 1
    assert lines(down)[f"interface {monitor_if}"] == "FAIL" and "is down -> ip link set" in down.stdout
    assert lines(down)["webhook 1"] == "FAIL" and "refuses or does not answer" in down.stdout
    missing = doctor(mon, tmp_path, "--interface", "nosuch0")
    assert "FAIL interface nosuch0: does not exist" in missing.stdout and missing.returncode == 1


def test_without_capture_privileges_it_says_which_are_missing(link, tmp_path):
    mon, monitor_if, _, _ = link
    tmp_path.chmod(0o777)
    proc = doctor(mon, tmp_path, "--interface", monitor_if,
                  prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL privileges: missing CAP_NET_RAW and CAP_NET_ADMIN" in proc.stdout
    assert f"mirrored traffic on {monitor_if}" not in proc.stdout                # not tried without the rights
