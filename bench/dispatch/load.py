"""The load of the dispatch bench: an alert storm written into the store as the collector writes it
(new incidents and their outbox rows, a group per transaction), and an API reader like bench/site's."""
from __future__ import annotations

import threading
import time

import httpx

from appliance.store import outbox
from appliance.store.columns import from_epoch, to_epoch
from appliance.store.models import Alert, Delivery, Sensor, Webhook

SENSOR = "bench"
EVIDENCE = ["sdp: RTP/AVP", "payload: G.711 amplitude distribution", "payload: 160-byte frames every 20 ms"]


def write_storm(store, count: int, group: int, every: float) -> dict[int, float]:
    """`count` new incidents with a delivery each to every enabled webhook, `group` per transaction, a
    transaction every `every` s (all in one when 0). Returns {delivery id: creation time, epoch s}."""
    from sqlalchemy import select
    with store.session() as session:
        if session.get(Sensor, SENSOR) is None:
            session.add(Sensor(id=SENSOR, name="bench site"))
        hooks = list(session.scalars(select(Webhook.id).where(Webhook.enabled.is_(True))))
    created: dict[int, float] = {}
    size = group if every > 0 else count
    for start in range(0, count, size):
        began = time.monotonic()
        created |= _write_group(store, range(start, min(count, start + size)), hooks)
        if every > 0:
            time.sleep(max(0.0, every - (time.monotonic() - began)))
    return created


def _write_group(store, numbers: range, hooks: list[int]) -> dict[int, float]:
    now = from_epoch(time.time())
    with store.session() as session:
        alerts = [_alert(n, now) for n in numbers]
        session.add_all(alerts)
        session.flush()
        rows: list[Delivery] = []
        for alert in alerts:
            rows += outbox.delivery_rows(session, alert, "new", now, hooks=hooks, site="bench site")
        session.add_all(rows)
        session.flush()
        return {row.id: to_epoch(row.created_at) for row in rows}


def _alert(n: int, now) -> Alert:
    endpoint = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    return Alert(sensor_id=SENSOR, type="cleartext_media", severity="high", endpoint=endpoint, peer="10.255.0.1",
                 stream=f"{endpoint}:16384->10.255.0.1:20000/udp", call_id=f"bench-{n}@pbx",
                 summary=f"cleartext RTP audio from {endpoint}", evidence=EVIDENCE, device_class="hard_phone",
                 dedup_key=f"bench-{n}", state="open", first_seen=now, last_seen=now, count=1, recorded_at=now)


class ApiPoller(threading.Thread):
    """GET /api/v1/alerts?limit=500 every 0.1 s (the first page: the newest 500 incidents)."""

    def __init__(self, base: str, token: str, every: float = 0.1, page: int = 500):
        super().__init__(name="api-poller", daemon=True)
        self.base, self.token, self.every, self.page = base, token, every, page
        self.stop = threading.Event()
        self.pages = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    http.get("/api/v1/alerts", params={"limit": self.page}).raise_for_status()
                    self.pages += 1
                except httpx.HTTPError:
                    pass
                self.stop.wait(self.every)
