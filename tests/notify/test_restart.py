"""A receiver that is down while the dispatcher runs, a dispatcher that is thrown away (a restart: new
Store, new Dispatcher on the same database), the receiver coming up: every alert arrives afterwards,
once, in alert order per receiver; a healthy receiver is never held up by the one that is down."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from appliance.notify import Dispatcher
from appliance.store import open_store, queries
from appliance.store.importer import import_captures
from appliance.store.models import Delivery
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, HttpReceiver, free_port
from tests.store.helpers import Clock, policy_alert

CAPTURE = Path(__file__).resolve().parents[1] / "data" / "lab" / "udp-srtp-fallback.pcap"


def received(receiver: HttpReceiver, path: str) -> list[int]:
    return [json.loads(r.body)["id"] for r in receiver.to(path)]


def test_nothing_is_lost_across_a_restart_and_order_is_kept(settings, receiver):
    first_store = open_store(settings)
    down_port = free_port()
    with first_store.session() as s:
        queries.create_webhook(s, first_store.secrets, receiver.url("/up"), secret="k")
        down_hook = queries.create_webhook(s, first_store.secrets, f"http://127.0.0.1:{down_port}/down",
                                           secret="k").id
    report = import_captures(first_store, "lab", [str(CAPTURE)])              # real alerts, real clock
    clock = Clock(max(a["first_seen"] for a in report["alerts"]) + 10 ** 6)   # well after the import
    recorder = Recorder(first_store, "sensor-1", clock=clock)
    recorder.alert(policy_alert(endpoint="10.9.0.1"))

    dispatcher = Dispatcher(first_store, destinations=LOOPBACK_ALLOWED, clock=clock)
    dispatcher.run_once()                                      # "up" takes all; "down" refuses the first
    for _ in range(3):                                         # retries while still down
        clock.now += 3600
        dispatcher.run_once()
    for n in range(2, 4):                                      # alerts keep coming while it is down
        recorder.alert(policy_alert(endpoint=f"10.9.0.{n}"))
        dispatcher.run_once()
    dispatcher.close()
    first_store.close()                                        # the process goes away

    with open_store(settings) as store:
        with store.session(readonly=True) as s:
            rows = list(s.scalars(select(Delivery).order_by(Delivery.id)))
        alerts = sorted({r.alert_id for r in rows})
        assert len(alerts) == len(report["alerts"]) + 3
        down = [r for r in rows if r.webhook_id == down_hook]
        assert all(r.state == "pending" for r in down)
        assert down[0].attempts == 4 and all(r.attempts == 0 for r in down[1:])     # the rest only waited
        assert "Connect" in down[0].last_error
        assert received(receiver, "/up") == alerts                                  # not held up, in order

        late = HttpReceiver(port=down_port)                    # the receiver comes up
        try:
            clock.now += 3600
            with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock,
                            batch=4) as restarted:             # small batches: several rounds
                while restarted.run_once():
                    pass
            assert received(late, "/down") == alerts                                # all, once, in order
        finally:
            late.stop()
        with store.session(readonly=True) as s:
            assert {r.state for r in s.scalars(select(Delivery))} == {"delivered"}
    assert received(receiver, "/up") == alerts                                      # no duplicates either
