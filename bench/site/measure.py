"""Readings taken while the site runs: the appliance's own counters through its API, the wire's drop
counters, the collector's CPU and memory, and the dashboard's first paint in Chromium."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

import httpx

from .netns import enter, sh


def in_namespace(ns: str, fn):
    """fn() run on a thread that entered `ns`; its result (or exception) returned here."""
    box: dict = {}

    def run() -> None:
        enter(ns)
        try:
            box["value"] = fn()
        except Exception as exc:                    # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def sensor_counters(ns: str, base: str, token: str, sensor: str = "site") -> tuple[int, int]:
    def read():
        rows = httpx.get(base + "/api/v1/sensors", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        row = next((r for r in rows if r.get("id") == sensor), {})
        return int(row.get("packets") or 0), int(row.get("drops") or 0)
    return in_namespace(ns, read)


def list_total(ns: str, base: str, token: str, name: str) -> int:
    def read():
        body = httpx.get(f"{base}/api/v1/{name}", params={"limit": 1},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        return int(body.get("total") or len(body.get("items", []))) if isinstance(body, dict) else len(body)
    return in_namespace(ns, read)


def withdrawn(ns: str, base: str, token: str) -> list:
    """(endpoint, type) of the incidents the sensor itself resolved: every finding behind them was
    withdrawn by a later verdict (an alert on a proxy's copy of keys whose author turned up, say)."""
    def read():
        keys, params = [], {"state": "resolved", "limit": 500}
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while True:
                body = http.get("/api/v1/alerts", params=params).json()
                keys += [(a["endpoint"], a["type"]) for a in body["items"] if a.get("resolved_by") == "sensor"]
                if not body.get("next_cursor"):
                    return sorted(keys)
                params = {**params, "cursor": body["next_cursor"]}
    return in_namespace(ns, read)


def link_stats(ns: str, iface: str) -> dict:
    out = sh("ip", "netns", "exec", ns, "ip", "-s", "-j", "link", "show", "dev", iface, check=False).stdout
    try:
        return json.loads(out)[0]["stats64"]
    except (ValueError, LookupError):
        return {"rx": {}, "tx": {}}


def wire_drops(link) -> int:
    """Frames lost between the sender and the monitor port's sockets: the sending veth counts a frame
    the peer's backlog refused as its own tx drop; the receiving end counts rx drops."""
    sent, seen = link_stats(link.sender_ns, link.sender_if), link_stats(link.monitor_ns, link.monitor_if)
    return int(sent["tx"].get("dropped", 0)) + int(seen["rx"].get("dropped", 0))


def delivered(link) -> int:
    """Frames the monitor port received."""
    return int(link_stats(link.monitor_ns, link.monitor_if)["rx"].get("packets", 0))


_PAINT = r"""
import json, sys, time
from playwright.sync_api import sync_playwright
base, token = sys.argv[1], sys.argv[2]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run"])
    page = browser.new_page()
    started = time.perf_counter()
    page.goto(base + "/")
    page.wait_for_selector("input[name=token]")
    paint = page.evaluate("() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
    page.fill("input[name=token]", token)
    signed = time.perf_counter()
    page.click("#login-submit")
    page.wait_for_selector("#app:not(.hidden)", timeout=60000)
    page.wait_for_selector("tbody tr", timeout=60000)      # no string eval: the page's CSP refuses it
    print(json.dumps({"first_paint_ms": paint, "signed_in_view_ms": (time.perf_counter() - signed) * 1000}))
    browser.close()
"""


def dashboard_paint(ns: str, base: str, token: str) -> dict:
    """First contentful paint of the sign-in page and the time from sign-in to the first rows shown."""
    try:
        done = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", _PAINT, base, token],
                              capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 180 s"}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}
