"""What the NOC sees, measured from beside the appliance (threads inside the monitor namespace):

* `IncidentWatcher` reads the alert list through the API every POLL_S and records the wall time at
  which each (endpoint, type) first became readable: an incident, whether the store keeps one row per
  phone and cause or one per stream (both are grouped here by (endpoint, type));
* `WebhookReceiver` is the loopback HTTP server the appliance posts to: it records when each
  (endpoint, type) first arrived. It answers HTTP/1.1 and keeps connections alive, as the receivers
  the appliance posts to in a NOC do (Alertmanager, Slack's and Teams' front ends, SIEM HTTP
  collectors): a receiver that closes every connection (http.server's HTTP/1.0 default) costs the
  dispatcher a TCP connect per alert, which no real receiver does;
* `ApiTimer` times the incident and endpoint lists (the NOC's two main reads) while traffic runs.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from .netns import enter
from .score import incident_key

POLL_S = 0.1
PAGE = 50                 # newest first: a page holding one incident read before ends the poll


class IncidentWatcher(threading.Thread):
    def __init__(self, ns: str, base: str, token: str):
        super().__init__(name="incident-watcher", daemon=True)
        self.ns, self.base, self.token = ns, base, token
        self.first_seen: dict[tuple[str, str], float] = {}
        self.traffic_time: dict[tuple[str, str], float] = {}     # the store's first_seen (packet time)
        self.max_id = 0
        self.stop = threading.Event()
        self.errors = 0

    def run(self) -> None:
        enter(self.ns)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=10) as http:
            while not self.stop.is_set():
                try:
                    self._poll(http)
                except httpx.HTTPError:
                    self.errors += 1
                self.stop.wait(POLL_S)
            self._poll(http)

    def _poll(self, http: httpx.Client) -> None:
        """Newest first; follow the cursor until a page holds only what was read before."""
        params: dict = {"limit": PAGE}
        newest = self.max_id
        while True:
            page = http.get("/api/v1/alerts", params=params)
            page.raise_for_status()
            body = page.json()
            now = time.time()
            fresh = [item for item in body["items"] if item["id"] > self.max_id]
            for item in fresh:
                key = incident_key(item)
                self.first_seen.setdefault(key, now)
                if isinstance(item.get("first_seen"), (int, float)):
                    self.traffic_time.setdefault(key, item["first_seen"])
                newest = max(newest, item["id"])
            if len(fresh) < len(body["items"]) or not body.get("next_cursor"):
                break
            params = {"limit": PAGE, "cursor": body["next_cursor"]}
        self.max_id = newest


class WebhookReceiver:
    def __init__(self, ns: str, port: int):
        self.ns, self.port = ns, port
        self.first_seen: dict[tuple[str, str], float] = {}
        self.posts = 0
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="webhook-receiver", daemon=True)
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(10)

    def _serve(self) -> None:
        enter(self.ns)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"           # keep-alive, as real receivers

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                try:
                    receiver.first_seen.setdefault(incident_key(json.loads(body)), now)
                except (ValueError, AttributeError, KeyError, TypeError):
                    pass
                receiver.posts += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.ready.set()
        self.server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        if self.server:
            self.server.shutdown()


class ApiTimer(threading.Thread):
    """Times GET /api/v1/alerts and /api/v1/endpoints (first page, 100 rows) in turn, every 0.25 s;
    `take()` returns and clears the samples (seconds) gathered since the last call."""

    def __init__(self, ns: str, base: str, token: str):
        super().__init__(name="api-timer", daemon=True)
        self.ns, self.base, self.token = ns, base, token
        self.samples: dict[str, list[float]] = {"alerts": [], "endpoints": []}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        enter(self.ns)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=30) as http:
            while not self.stop.is_set():
                for name in ("alerts", "endpoints"):
                    started = time.perf_counter()
                    try:
                        http.get(f"/api/v1/{name}", params={"limit": 100}).raise_for_status()
                    except httpx.HTTPError:
                        continue
                    with self.lock:
                        self.samples[name].append(time.perf_counter() - started)
                self.stop.wait(0.25)

    def take(self) -> dict[str, list[float]]:
        with self.lock:
            taken, self.samples = self.samples, {"alerts": [], "endpoints": []}
        return taken


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
