"""`appliance serve` end to end, as an operator runs it: a token from the CLI, captures imported
while the service runs, alerts over the REST API, and the webhook dispatcher posting to a real
receiver on loopback (the dispatcher runs in a process of its own; /metrics, in the serving process,
still counts its deliveries)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import standardwebhooks

from tests.conftest import APPLIANCE, DATA
from tests.notify.receivers import LOOPBACK_ENV, HttpReceiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_serve_api_and_webhooks(tmp_path):
    port, hook_port = free_port(), free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data"), "APPLIANCE_SENSOR_ID": "lab",
           "HOOK_SECRET": "k", **LOOPBACK_ENV}
    env.pop("APPLIANCE_DATABASE_URL", None)
    env["APPLIANCE_SECRET_KEY"] = subprocess.run([str(APPLIANCE), "secret-key"], capture_output=True,
                                                 text=True, env=env).stdout.strip()

    def cli(*args):
        proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    token = cli("token", "create", "noc", "--role", "viewer").strip().splitlines()[-1]
    cli("webhook", "add", f"http://127.0.0.1:{hook_port}/alerts", "--format", "generic", "--secret-env", "HOOK_SECRET")
    service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
        headers = {"Authorization": f"Bearer {token}"}
        alerts = httpx.get(f"{base}/api/v1/alerts", headers=headers, params={"type": "srtp_downgrade"}).json()
        assert [a["endpoint"] for a in alerts["items"]] == ["10.250.7.12"]    # B answered plain to A's SRTP offer
        assert httpx.get(f"{base}/api/v1/alerts").status_code == 401
        deadline = time.monotonic() + 30
        while len(Receiver.received) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        types = sorted(json.loads(body)["type"] for _, body in Receiver.received)
        assert "srtp_downgrade" in types and len(types) == 5
        verifier = standardwebhooks.Webhook(b"k")                # the secret's bytes: it is not whsec_ base64
        assert all(verifier.verify(body, headers)["type"] for headers, body in Receiver.received)
        metrics = httpx.get(f"{base}/metrics", headers=headers).text     # counted in the dispatcher's process
        assert 'appliance_deliveries_total{format="generic",result="delivered"} 5.0' in metrics
    finally:
        service.terminate()
        service.wait(timeout=30)
        receiver.shutdown()


def dispatcher_pid(serve_pid: int) -> int | None:
    """The dispatcher process `serve` spawned (multiprocessing's spawn; not its resource tracker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if parent == serve_pid and b"multiprocessing.spawn" in command:
            return int(entry.name)
    return None


def wait_until(check, what: str, guard: float = 90.0):
    """Poll `check` until it returns something true; the guard only keeps a broken service from hanging."""
    deadline = time.monotonic() + guard
    while not (found := check()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)
    return found


def test_a_killed_dispatcher_is_started_again_and_the_metrics_keep_counting(tmp_path):
    port, hook = free_port(), HttpReceiver()
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data"), "APPLIANCE_SENSOR_ID": "lab", **LOOPBACK_ENV}
    env.pop("APPLIANCE_DATABASE_URL", None)

    def cli(*args, sensor: str = "lab"):
        proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, timeout=120,
                              env=env | {"APPLIANCE_SENSOR_ID": sensor})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    token = cli("token", "create", "prometheus", "--role", "viewer").strip().splitlines()[-1]
    cli("webhook", "add", hook.url("/alerts"), "--format", "generic")
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}

    def delivered() -> str:
        return [line for line in httpx.get(f"{base}/metrics", headers=headers).text.splitlines()
                if line.startswith('appliance_deliveries_total{format="generic",result="delivered"}')][0]
    try:
        first = wait_until(lambda: dispatcher_pid(service.pid), "the dispatcher process")
        cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
        wait_until(lambda: len(hook.requests) >= 5, "the first five deliveries")
        os.kill(first, signal.SIGKILL)
        second = wait_until(lambda: (pid := dispatcher_pid(service.pid)) != first and pid, "a new dispatcher")
        cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"), sensor="lab2")   # five more incidents
        wait_until(lambda: len(hook.requests) >= 10, "five more deliveries")
        assert delivered().endswith(" 10.0")                    # counted since serve started, across the restart
    finally:
        service.send_signal(signal.SIGINT)                    # Ctrl-C: serve stops what it started
        code = service.wait(timeout=60)
        hook.stop()
    assert code in (0, 130)                                     # 130: ended by SIGINT
    assert "the webhook dispatcher exited (-9)" in log.read_text()
    assert not Path(f"/proc/{second}").exists()                 # serve ended the dispatcher it started
    sent = [json.loads(r.body)["id"] for r in hook.requests]
    assert len(sent) == 10 and sent == sorted(sent)             # once each, in alert order


def test_sigterm_stops_serve_through_its_cleanup(tmp_path):
    """systemd stops the service with SIGTERM: serve must end the dispatcher it started and wait for
    it, then exit 0 (uvicorn raised SIGTERM again after its shutdown, and the process died there)."""
    port = free_port()
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data"), "APPLIANCE_SENSOR_ID": "lab", **LOOPBACK_ENV}
    env.pop("APPLIANCE_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        dispatcher = wait_until(lambda: dispatcher_pid(service.pid), "the dispatcher process")
        wait_until(lambda: "serving http" in log.read_text(), "the API to listen")
    finally:
        service.terminate()
        code = service.wait(timeout=60)
    assert code == 0, log.read_text()[-2000:]
    assert not Path(f"/proc/{dispatcher}").exists(), "serve exited before the dispatcher it started"
    assert "stopping: SIGTERM" in log.read_text()
