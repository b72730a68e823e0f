"""A webhook receiver down for ten minutes while alerts keep coming (one every 30 s): nothing is given
up, and once it is back every alert arrives, once, in alert order, at the next retry. The dispatcher
and receiver are real (HTTP on loopback); the ten minutes are the dispatcher's clock."""
from __future__ import annotations

import json

from sqlalchemy import select

from appliance.notify import Dispatcher
from appliance.store import outbox, queries
from appliance.store.models import Delivery
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, HttpReceiver, free_port
from tests.store.conftest import backend, pg_server, pg_session_url, settings, store  # noqa: F401  (fixtures)
from tests.store.helpers import T0, Clock, policy_alert

OUTAGE = 600.0
EVERY = 30.0


def test_ten_minutes_down_then_everything_in_order(store):
    port = free_port()
    with store.session() as session:
        hook = queries.create_webhook(session, store.secrets, f"http://127.0.0.1:{port}/noc", secret="k").id
    clock = Clock(T0 + 60)
    recorder = Recorder(store, "sensor-1", clock=clock)
    dispatcher = Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock)
    start = clock.now
    n = 0
    while clock.now - start < OUTAGE:                                  # the receiver is down all this time
        n += 1
        recorder.alert(policy_alert(endpoint=f"10.9.{n // 250}.{n % 250 + 1}", first_seen=clock.now))
        dispatcher.run_once()
        clock.now += EVERY
    with store.session(readonly=True) as session:
        waiting = list(session.scalars(select(Delivery).where(Delivery.webhook_id == hook).order_by(Delivery.id)))
    assert len(waiting) == n == OUTAGE / EVERY and {d.state for d in waiting} == {"pending"}
    oldest = waiting[0]
    assert 1 < oldest.attempts <= 6 and "Connect" in oldest.last_error                 # retried, not given up
    assert all(d.attempts == 0 for d in waiting[1:])                   # the rest wait behind it, uncounted

    receiver = HttpReceiver(port=port)                                 # back after ten minutes
    try:
        clock.now = oldest.next_attempt_at.timestamp()                 # the next retry comes round
        while dispatcher.run_once():
            pass
        dispatcher.close()
        arrived = [json.loads(r.body)["id"] for r in receiver.to("/noc")]
    finally:
        receiver.stop()
    assert arrived == sorted(d.alert_id for d in waiting)              # every alert, once, in order
    with store.session(readonly=True) as session:
        assert {d.state for d in session.scalars(select(Delivery))} == {"delivered"}
    assert oldest.next_attempt_at.timestamp() - (start + OUTAGE) <= outbox.backoff(oldest.attempts).total_seconds()
