"""`appliance first-run` (what `make run` calls), as a newcomer runs it: a store, the recorded lab calls
imported, an admin token that works against the API, the dashboard served on 127.0.0.1; and a second
run that imports nothing twice and replaces the token."""
from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import subprocess
import threading
import time
import warnings

import httpx

from api.app import create_app
from appliance.firstrun import LAB_SENSOR, prepare
from appliance.settings import Settings
from tests.conftest import APPLIANCE
from tests.dashboard.conftest import LAB

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN_LINE = re.compile(r"^ {6}(\S{20,})$", re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    return env | {"APPLIANCE_DATA_DIR": str(data)}


def read_until(proc: subprocess.Popen, marker: str, seconds: float = 120) -> str:
    """stdout up to the line containing `marker` (read in a thread so a silent process cannot hang us)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    out, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            assert proc.poll() is None, f"first-run exited with {proc.returncode}: {''.join(out)}"
            continue
        out.append(line)
        if marker in line:
            return "".join(out)
    raise AssertionError(f"no {marker!r} within {seconds} s: {''.join(out)}")


def test_first_run_serves_the_lab_calls_and_a_second_run_repeats_nothing(tmp_path):
    data, port = tmp_path / "data", free_port()
    env = environment(data)
    proc = subprocess.Popen([str(APPLIANCE), "first-run", "--port", str(port)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = read_until(proc, "dashboard:")
        assert f"dashboard:  http://127.0.0.1:{port}/" in out
        imported = re.search(r"imported 14 recorded real-client capture\(s\) .*: (\d+) streams, (\d+) alerts", out)
        assert imported, out
        assert "no interface set" in out and "previous first-run token" not in out
        token = TOKEN_LINE.search(out).group(1)
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the service did not come up"
            time.sleep(0.2)
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            assert http.get("/api/v1/tokens").status_code == 200                 # an admin token
            alerts = http.get("/api/v1/alerts", params={"sensor": LAB_SENSOR, "limit": 500}).json()
            incidents = alerts["items"]                   # the same phones' calls: grouped per phone and cause
            occurrences = sum(a["occurrences"] for a in incidents)
            assert alerts["total"] == len(incidents) < occurrences == int(imported.group(2))
            assert {a["type"] for a in alerts["items"]} >= {"cleartext_media", "srtp_downgrade", "sdes_keys_exposed"}
            page = http.get("/")
            assert page.status_code == 200 and 'name="token"' in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (data / "appliance.db").exists()

    again = subprocess.run([str(APPLIANCE), "first-run", "--no-serve"], env=env, text=True, capture_output=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert "14 capture(s) already imported by an earlier run" in again.stdout
    assert "the previous first-run token is now revoked" in again.stdout
    second = TOKEN_LINE.search(again.stdout).group(1)
    assert second != token
    with TestClient(create_app(Settings(data_dir=data))) as client:
        assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {second}"},
                          params={"sensor": LAB_SENSOR}).json()["total"] == alerts["total"]
        assert client.get("/api/v1/alerts", headers=headers).status_code == 401       # the first token is revoked
        tokens = client.get("/api/v1/tokens", params={"include_revoked": True},
                            headers={"Authorization": f"Bearer {second}"}).json()
        log = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {second}"}).json()["items"]
    assert [t["name"] for t in tokens] == ["first-run", "first-run"]
    assert [(e["action"], e["via"]) for e in log] == [("token.create", "cli"), ("token.revoke", "cli"),
                                                      ("token.create", "cli")]


def test_only_new_captures_are_imported_and_a_wiped_store_is_filled_again(tmp_path):
    folder, data = tmp_path / "captures", tmp_path / "data"
    folder.mkdir()
    shutil.copy(LAB / "udp-pcmu.pcap", folder)
    settings = Settings(data_dir=data)
    first = prepare(settings, folder)
    assert first.imported == ["udp-pcmu.pcap"] and first.alerts > 0 and first.revoked == 0

    shutil.copy(LAB / "udp-srtp-fallback.pcap", folder)
    second = prepare(settings, folder)
    assert second.imported == ["udp-srtp-fallback.pcap"] and second.skipped == ["udp-pcmu.pcap"]
    assert second.revoked == 1

    third = prepare(settings, folder)
    assert third.imported == [] and sorted(third.skipped) == ["udp-pcmu.pcap", "udp-srtp-fallback.pcap"]

    (data / "appliance.db").unlink()                        # a wiped store: the record no longer holds
    for extra in data.glob("appliance.db-*"):
        extra.unlink()
    fourth = prepare(settings, folder)
    assert sorted(fourth.imported) == ["udp-pcmu.pcap", "udp-srtp-fallback.pcap"] and fourth.revoked == 0
