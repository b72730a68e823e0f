"""HTTP deliveries end to end: alerts recorded in the store (the outbox), a Dispatcher, and real
receivers on 127.0.0.1. Time is an injected clock, so retries are driven without sleeping."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.notify import Dispatcher
from appliance.notify.dispatcher import PERMANENT_ATTEMPTS
from appliance.store import outbox, queries
from appliance.store.columns import from_epoch
from appliance.store.importer import import_captures
from appliance.store.models import Delivery
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, HttpReceiver
from tests.store.helpers import T0, Clock, policy_alert

CAPTURE = Path(__file__).resolve().parents[1] / "data" / "lab" / "udp-srtp-fallback.pcap"
SECRET = "s3cret-signing-key"


def add_hook(store, url: str, format: str = "generic", secret: str | None = None, name: str | None = None) -> int:
    with store.session() as s:
        return queries.create_webhook(s, store.secrets, url, format, secret=secret, name=name).id


def record(store, clock, count: int, start: int = 0) -> list[int]:
    recorder = Recorder(store, "sensor-1", clock=clock)
    return [recorder.alert(policy_alert(endpoint=f"10.0.0.{n}", summary=f"cleartext RTP #{n}")).alert_id
            for n in range(start, start + count)]


def deliveries(store, webhook_id: int) -> list[Delivery]:
    with store.session(readonly=True) as s:
        return list(s.scalars(select(Delivery).where(Delivery.webhook_id == webhook_id).order_by(Delivery.id)))


def alert_ids(requests) -> list[int]:
    return [json.loads(r.body)["id"] for r in requests]


def test_generic_payload_arrives_signed(store, receiver):
    hook = add_hook(store, receiver.url("/generic"), secret=SECRET)
    clock = Clock()
    [alert_id] = record(store, clock, 1)
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
    [request] = receiver.to("/generic")
    [row] = deliveries(store, hook)
    assert request.headers["webhook-id"] == f"msg_{row.id}"
    assert request.headers["webhook-timestamp"] == str(int(clock.now))
    signed = f"msg_{row.id}.{int(clock.now)}.".encode() + request.body        # Standard Webhooks: id.timestamp.body
    expected = "v1," + base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(request.headers["webhook-signature"], expected)
    assert request.headers["x-appliance-delivery"] == str(row.id)
    assert request.headers["content-type"].startswith("application/json")
    body = json.loads(request.body)
    assert body == {"type": "cleartext_media", "severity": "high", "endpoint": "10.0.0.0", "peer": "10.0.0.2",
                    "stream": "udp:10.0.0.0:4000-10.0.0.2:5000/rtp", "call_id": None, "summary": "cleartext RTP #0",
                    "evidence": ["payload: PCMU"], "first_seen": T0, "device_class": "unknown",
                    "id": alert_id, "sensor": "sensor-1", "state": "open", "count": 1, "last_seen": T0,
                    "event": "new", "resolved_reason": None}
    assert (row.state, row.attempts, row.last_error) == ("delivered", 1, None)
    assert row.delivered_at == from_epoch(clock.now)


def test_chat_and_alertmanager_payloads_from_a_capture(store, receiver):
    add_hook(store, receiver.url("/slack"), "slack")
    add_hook(store, receiver.url("/teams"), "teams")
    add_hook(store, receiver.url("/am"), "alertmanager", name="noc-am")
    report = import_captures(store, "lab", [str(CAPTURE)])
    with store.session(readonly=True) as session:
        alerts = queries.list_alerts(session).total          # incidents: one message each, not one per stream
    assert 1 <= alerts <= len(report["alerts"])
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, external_url="https://appliance.example/") as dispatcher:
        assert dispatcher.run_once() == 3 * alerts
    slack, teams, am = (receiver.to(p) for p in ("/slack", "/teams", "/am/api/v2/alerts"))
    assert len(slack) == len(teams) == len(am) == alerts
    first = report["alerts"][0]

    message = json.loads(slack[0].body)
    assert first["type"] in message["text"] and first["endpoint"] in message["text"]
    assert [b["type"] for b in message["blocks"]][:4] == ["header", "context", "section", "section"]
    assert message["blocks"][0]["text"]["type"] == "plain_text"
    assert all(f["type"] == "plain_text" for f in message["blocks"][3]["fields"])
    assert message["blocks"][-1]["elements"][0]["url"].startswith("https://appliance.example/alerts/")

    card = json.loads(teams[0].body)
    assert card["type"] == "message"
    [attachment] = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert (content["type"], content["version"]) == ("AdaptiveCard", "1.4")
    facts = {b["inlines"][0]["text"]: b["inlines"][1]["text"] for b in content["body"]
             if b["type"] == "RichTextBlock" and len(b["inlines"]) == 2}
    assert (facts["Type: "], facts["Endpoint: "]) == (first["type"], first["endpoint"])

    [entry] = json.loads(am[0].body)                # postable alerts for <base>/api/v2/alerts
    assert set(entry) == {"labels", "annotations", "startsAt", "generatorURL"}     # firing: no endsAt
    assert entry["labels"]["alertname"] == entry["labels"]["type"] == first["type"]
    assert (entry["labels"]["severity"], entry["labels"]["endpoint"]) == (first["severity"], first["endpoint"])
    assert entry["labels"]["sensor"] == entry["labels"]["site"] == "lab"
    assert entry["annotations"]["dashboard"].startswith("https://appliance.example/alerts/")
    assert entry["annotations"]["summary"] and entry["annotations"]["description"]
    assert datetime.fromisoformat(entry["startsAt"].replace("Z", "+00:00")).timestamp() == pytest.approx(
        first["first_seen"], abs=0.001)
    assert len({json.dumps(json.loads(r.body)[0]["labels"], sort_keys=True) for r in am}) == alerts  # one each


def test_retried_until_accepted_and_later_alerts_wait(store):
    clock = Clock()
    receiver = HttpReceiver(lambda n, request: (503, {}) if n < 3 else (200, {}))
    try:
        hook = add_hook(store, receiver.url(), secret=SECRET)
        record(store, clock, 2)
        dispatcher = Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock)
        first, second = (d.id for d in deliveries(store, hook))
        for attempt in range(1, 4):
            assert dispatcher.run_once() == 1                       # the second waits behind the first
            row = deliveries(store, hook)[0]
            assert (row.state, row.attempts) == ("pending", attempt)
            assert row.last_error.startswith("HTTP 503")
            assert row.next_attempt_at == from_epoch(clock.now) + outbox.backoff(attempt)
            assert deliveries(store, hook)[1].next_attempt_at == row.next_attempt_at   # held, not counted
            clock.now += 1
            assert dispatcher.run_once() == 0                       # nothing due before the back-off ends
            clock.now = row.next_attempt_at.timestamp()
        assert dispatcher.run_once() == 2
        dispatcher.close()
        rows = deliveries(store, hook)
        assert [(r.state, r.attempts, r.last_error) for r in rows] == [("delivered", 4, None), ("delivered", 1, None)]
        requests = receiver.to("/hook")
        assert [r.headers["x-appliance-delivery"] for r in requests] == [str(first)] * 4 + [str(second)]
        assert len({r.body for r in requests[:4]}) == 1              # the same signed body on every retry
    finally:
        receiver.stop()


def test_a_failure_mid_round_keeps_those_sent_before_it_and_holds_those_after(store):
    """The deliveries sent in a round are recorded together: a receiver that fails on the third of five
    leaves the first two delivered (each with its own send time), the third pending with its attempt
    counted, and the last two waiting behind it, not attempted."""
    clock = Clock()
    receiver = HttpReceiver(lambda n, request: (500, {}) if n == 2 else (200, {}))
    try:
        hook = add_hook(store, receiver.url())
        record(store, clock, 5)
        with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
            assert dispatcher.run_once() == 3
            rows = deliveries(store, hook)
            assert [(r.state, r.attempts) for r in rows] == [("delivered", 1), ("delivered", 1), ("pending", 1),
                                                             ("pending", 0), ("pending", 0)]
            assert rows[0].delivered_at == rows[1].delivered_at == from_epoch(clock.now)
            assert rows[2].last_error.startswith("HTTP 500")
            assert rows[3].next_attempt_at == rows[4].next_attempt_at == rows[2].next_attempt_at
            clock.now = rows[2].next_attempt_at.timestamp()
            assert dispatcher.run_once() == 3
        assert [(r.state, r.attempts) for r in deliveries(store, hook)] == [
            ("delivered", 1), ("delivered", 1), ("delivered", 2), ("delivered", 1), ("delivered", 1)]
        assert alert_ids(receiver.to("/hook")) == [r.alert_id for r in deliveries(store, hook)][:3] + \
            [r.alert_id for r in deliveries(store, hook)][2:]
    finally:
        receiver.stop()


def test_a_slow_receiver_gets_its_claim_back_before_the_lease_ends(store):
    """A round claims many deliveries; what a slow receiver has not taken within half the lease is given
    back, due at once and not counted as an attempt, so no other dispatcher can take it while it is still
    being sent, and the next round sends it, in order."""
    clock = Clock()
    receiver = HttpReceiver(delay=0.3)
    try:
        hook = add_hook(store, receiver.url())
        record(store, clock, 6)
        with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock, lease=timedelta(seconds=1)) as dispatcher:
            sent = dispatcher.run_once()
            assert 1 <= sent < 6
            rows = deliveries(store, hook)
            assert [r.state for r in rows] == ["delivered"] * sent + ["pending"] * (6 - sent)
            assert all(r.attempts == 0 and r.next_attempt_at == from_epoch(clock.now) for r in rows[sent:])
            while dispatcher.run_once():
                pass
        assert [r.state for r in deliveries(store, hook)] == ["delivered"] * 6
        assert alert_ids(receiver.to("/hook")) == [r.alert_id for r in deliveries(store, hook)]
    finally:
        receiver.stop()


def test_client_errors_are_given_up_sooner_and_do_not_block(store):
    clock = Clock()
    receiver = HttpReceiver(lambda n, request: (404, {}) if json.loads(request.body)["summary"].endswith("#0")
                            else (200, {}))
    try:
        hook = add_hook(store, receiver.url())
        record(store, clock, 2)
        with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
            for _ in range(PERMANENT_ATTEMPTS):
                dispatcher.run_once()
                clock.now += 3600
            assert dispatcher.run_once() == 0
        rows = deliveries(store, hook)
        assert (rows[0].state, rows[0].attempts) == ("failed", PERMANENT_ATTEMPTS)
        assert rows[0].last_error.startswith("HTTP 404")
        assert (rows[1].state, rows[1].attempts) == ("delivered", 1)
        summaries = [json.loads(r.body)["summary"] for r in receiver.to("/hook")]
        assert [s[-2:] for s in summaries] == ["#0"] * PERMANENT_ATTEMPTS + ["#1"]
    finally:
        receiver.stop()


def test_retry_after_and_timeouts_are_retried(store):
    clock = Clock()
    slow = HttpReceiver(delay=1.0)
    busy = HttpReceiver(lambda n, request: (429, {"Retry-After": "600"}) if n == 0 else (200, {}))
    try:
        slow_hook, busy_hook = add_hook(store, slow.url()), add_hook(store, busy.url())
        record(store, clock, 1)
        with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock, timeout=0.2) as dispatcher:
            assert dispatcher.run_once() == 2
        [timed_out], [throttled] = deliveries(store, slow_hook), deliveries(store, busy_hook)
        assert (timed_out.state, timed_out.attempts) == ("pending", 1)
        assert timed_out.last_error.startswith("timed out")
        assert (throttled.state, throttled.attempts) == ("pending", 1)
        assert throttled.last_error.startswith("HTTP 429")
        assert throttled.next_attempt_at == from_epoch(clock.now) + timedelta(seconds=600)
    finally:
        slow.stop()
        busy.stop()


def test_logs_carry_neither_secret_nor_url_token(store, receiver, caplog):
    token = "T000/B000/XXXXsecretpath"
    add_hook(store, receiver.url(f"/services/{token}"), secret=SECRET)
    down = HttpReceiver()
    down_url = down.url(f"/services/{token}")
    down.stop()
    add_hook(store, down_url, "slack")
    clock = Clock()
    record(store, clock, 1)
    with caplog.at_level(logging.DEBUG), Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 2
    assert "delivered" in caplog.text and "failed" in caplog.text
    assert token not in caplog.text and SECRET not in caplog.text
    assert "cleartext RTP" not in caplog.text                      # no payloads either
