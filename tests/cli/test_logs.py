"""Structured logs: one JSON (or logfmt) line per event with level, logger and event, the journal's
priority prefix under systemd, and no secret in any line of a real `appliance serve` that delivers
webhooks, retries a dead receiver and answers authenticated requests."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer

import httpx

from appliance.logs import EventFormatter, Scrubber, configure_logging
from appliance.settings import Settings
from tests.conftest import APPLIANCE, DATA
from tests.notify.receivers import LOOPBACK_ENV
from tests.test_service import Receiver, free_port
from tests.conftest import wait_healthy


class Hooks(Receiver):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hooks.received.append(self.path)
        self.send_response(204)
        self.end_headers()


def record(message: str, *args, level=logging.WARNING, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("appliance.test", level, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def test_json_lines_carry_level_logger_event_and_fields():
    line = EventFormatter("json").format(record("delivery %d failed", 7, delivery=7, result="retry"))
    event = json.loads(line)
    assert event["level"] == "warning" and event["logger"] == "appliance.test"
    assert event["event"] == "delivery 7 failed" and event["delivery"] == 7 and event["result"] == "retry"
    assert event["ts"].endswith("Z")


def test_logfmt_quotes_what_needs_quoting():
    line = EventFormatter("logfmt").format(record("collector exited", interface="eth1"))
    assert 'level=warning logger=appliance.test event="collector exited"' in line and "interface=eth1" in line


def test_journald_gets_the_syslog_priority(tmp_path, monkeypatch):
    with open(tmp_path / "journal", "w") as stream:
        info = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
        configure_logging("info", "json", stream=stream)
        try:
            logging.getLogger("appliance.x").warning("mirror silent")
            logging.getLogger("appliance.x").error("store down")
        finally:
            configure_logging("warning", "json", stream=io.StringIO())
    lines = (tmp_path / "journal").read_text().splitlines()
    assert lines[0].startswith('<4>{') and lines[1].startswith('<3>{')


def test_scrubber_and_settings_name_the_secrets():
    settings = Settings.from_env({"APPLIANCE_SECRET_KEY": "k1-secret-value,k2-old-value", "APPLIANCE_DATA_DIR": "/x",
                                  "APPLIANCE_DATABASE_URL": "postgresql://app:db-pass-123@db/appliance"})
    assert set(settings.secrets()) == {"k1-secret-value", "k2-old-value", "db-pass-123"}
    scrub = Scrubber(settings.secrets())
    text = scrub("url postgresql://app:db-pass-123@db/x, key k2-old-value, Authorization: Bearer tok.en-1, "
                 "https://u:pw9@h/p")
    assert "db-pass-123" not in text and "k2-old-value" not in text and "tok.en-1" not in text and "pw9" not in text


def test_serve_logs_deliveries_and_never_a_secret(tmp_path):
    port, hook_port, dead_port = free_port(), free_port(), free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", hook_port), Hooks)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env |= {"APPLIANCE_DATA_DIR": str(tmp_path / "data"), "APPLIANCE_SENSOR_ID": "lab",
            "APPLIANCE_LOG_LEVEL": "debug", **LOOPBACK_ENV}           # the receivers are on loopback
    key = subprocess.run([str(APPLIANCE), "secret-key"], capture_output=True, text=True, env=env).stdout.strip()
    env["APPLIANCE_SECRET_KEY"] = key
    hook_secret, path_secret = "hmac-shared-secret-42", "T00000000/B00000000/path-token-xyz"
    env["HOOK_SECRET"] = hook_secret

    def cli(*args):
        proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc

    token = cli("token", "create", "noc", "--role", "viewer").stdout.strip().splitlines()[-1]
    cli("webhook", "add", f"http://127.0.0.1:{hook_port}/hooks/{path_secret}", "--secret-env", "HOOK_SECRET")
    cli("webhook", "add", f"http://127.0.0.1:{dead_port}/hooks/{path_secret}", "--secret-env", "HOOK_SECRET")
    service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, service)
        cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
        assert httpx.get(f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert httpx.get(f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        deadline = time.monotonic() + 60
        while len(Hooks.received) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)                                        # the dead receiver's first attempts
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
        receiver.shutdown()
    events = [json.loads(line) for line in err.splitlines() if line.strip()]     # every line is one JSON object
    assert all({"ts", "level", "logger", "event"} <= set(e) for e in events)
    results = {e["result"] for e in events if e.get("logger") == "appliance.notify.dispatcher" and "result" in e}
    assert {"delivered", "retry"} <= results, results
    assert any(e["event"].startswith("serving http://") for e in events)
    for secret in (key, hook_secret, path_secret, token, "path-token-xyz"):
        assert secret not in err, f"a secret reached the log: {secret[:6]}…"
