"""The live feed over a real socket (uvicorn on 127.0.0.1): a capture imported while a client is
connected arrives as `alert` events, a change (ack) is sent again, heartbeats flow, `?token=` and
`Last-Event-ID` work. Every read is bounded (httpx timeouts and a deadline per wait)."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx

from appliance.store.importer import import_captures
from tests.api.conftest import LAB

STREAM = "/api/v1/alerts/stream"
TIMEOUT = httpx.Timeout(5.0)


class Events:
    """Server-Sent Events read from a streaming response: (event, id, data) and comment lines."""

    def __init__(self, response: httpx.Response):
        self.lines = response.iter_lines()

    def __iter__(self) -> Iterator[dict]:
        event: dict = {}
        for line in self.lines:
            if not line:
                if "data" in event:
                    yield event
                event = {}
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                event[name] = value[1:] if value.startswith(" ") else value

    def heartbeat(self, seconds: float = 5.0) -> None:
        """Read until a comment line (the heartbeat) arrives."""
        deadline = time.monotonic() + seconds
        for line in self.lines:
            if line.startswith(":"):
                return
            assert time.monotonic() < deadline, "no heartbeat comment"
        raise AssertionError("the stream ended")

    def until(self, found: Callable[[dict], bool], seconds: float = 15.0) -> list[dict]:
        """Alerts received until `found(alert)` holds (every alert is kept); fails after `seconds`."""
        deadline, seen = time.monotonic() + seconds, []
        for event in self:
            assert event.get("event") == "alert", event
            alert = json.loads(event["data"])
            seen.append(alert | {"_event_id": int(event["id"])})
            if found(alert):
                return seen
            assert time.monotonic() < deadline, f"not found in {seconds} s; got {[a['id'] for a in seen]}"
        raise AssertionError("the stream ended")


def test_new_alerts_arrive_while_connected(lab, live):
    viewer, operator = lab.headers("viewer"), lab.headers("operator")
    with httpx.Client(base_url=live, timeout=TIMEOUT) as http:
        newest = http.get("/api/v1/alerts", params={"limit": 1}, headers=viewer).json()["items"][0]["id"]
        with http.stream("GET", STREAM, headers=viewer) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = Events(response)
            report = import_captures(lab.store, "lab-3", [str(LAB / "tls-rtp.pcap")])     # a new sensor: new alerts
            expected = {(a["type"], a["endpoint"]) for a in report["alerts"]}
            assert expected
            arrived: set[tuple[str, str]] = set()

            def all_arrived(alert: dict) -> bool:
                if alert["sensor"] == "lab-3":
                    arrived.add((alert["type"], alert["endpoint"]))
                return arrived >= expected
            seen = events.until(all_arrived)
            assert all(a["id"] > newest for a in seen), "only alerts newer than the connection are sent"
            assert all(a["_event_id"] >= a["id"] for a in seen)
            target = max(a["id"] for a in seen)
            acked = http.post(f"/api/v1/alerts/{target}/ack", json={"comment": "on it"}, headers=operator)
            assert acked.status_code == 200
            changed = events.until(lambda a: a["id"] == target and a["state"] == "acknowledged")
            assert changed[-1]["acknowledged_by"] == "operator-user" and changed[-1]["comment"] == "on it"
            events.heartbeat()


def test_heartbeat_on_a_quiet_stream(lab, live):
    with httpx.Client(base_url=live, timeout=TIMEOUT) as http, \
            http.stream("GET", STREAM, headers=lab.headers("viewer")) as response:
        assert response.status_code == 200
        Events(response).heartbeat()


def test_query_token_and_resume_after_last_event_id(lab, live):
    with httpx.Client(base_url=live, timeout=TIMEOUT) as http:
        alerts = http.get("/api/v1/alerts", headers=lab.headers("viewer")).json()["items"]
        resume_after = alerts[2]["id"]              # the two newest were "missed"
        headers = {"Last-Event-ID": str(resume_after)}
        with http.stream("GET", STREAM, params={"token": lab.tokens["viewer"]}, headers=headers) as response:
            assert response.status_code == 200
            events = Events(response)
            seen = events.until(lambda a: a["id"] == alerts[0]["id"])
            assert [a["id"] for a in seen] == sorted(a["id"] for a in alerts[:2])
        refused = http.get(STREAM, params={"token": lab.tokens["revoked"]})
        assert refused.status_code == 401 and "viewer role" in refused.json()["detail"]


def test_the_stream_ends_when_its_token_is_revoked(lab, live):
    with httpx.Client(base_url=live, timeout=TIMEOUT) as http:
        created = http.post("/api/v1/tokens", json={"name": "wallboard", "role": "viewer"},
                            headers=lab.headers("admin")).json()
        with http.stream("GET", STREAM, params={"token": created["token"]}) as response:
            assert response.status_code == 200
            assert http.delete(f"/api/v1/tokens/{created['id']}", headers=lab.headers("admin")).status_code == 200
            deadline = time.monotonic() + 5
            for _ in response.iter_lines():             # heartbeats until the server closes the stream
                assert time.monotonic() < deadline, "the stream outlived its revoked token"
