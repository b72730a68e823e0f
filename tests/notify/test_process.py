"""The dispatcher in a process of its own (appliance.notify.process), as `serve` starts it: deliveries
go out in alert order per receiver, the tally /metrics exports (counted in the dispatcher's process)
is read in this one, and a dispatcher stopped in the middle of a storm gives back what it claimed, so
the next one sends the rest: nothing lost, nothing twice, order kept. Real receivers on loopback."""
from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from appliance.notify.process import CONTEXT, DispatcherProcess
from appliance.notify.results import DeliveryResults
from appliance.settings import Settings
from appliance.store import open_store, queries
from appliance.store.columns import utcnow
from appliance.store.models import Delivery
from appliance.store.recorder import Recorder
from tests.notify.receivers import HttpReceiver, Request
from tests.store.helpers import policy_alert

HANG_GUARD = 120.0          # s: only so a broken dispatcher fails the test instead of hanging it


def service_settings(store_settings) -> Settings:
    """The service's settings for the test's store, loopback receivers allowed."""
    env = {"APPLIANCE_DATA_DIR": str(store_settings.data_dir), "APPLIANCE_SECRET_KEY": store_settings.secret_key,
           "APPLIANCE_NOTIFY_ALLOW": "127.0.0.0/8,::1/128"}
    if store_settings.url:
        env["APPLIANCE_DATABASE_URL"] = store_settings.url
    return Settings.from_env(env, cwd=store_settings.data_dir)


def wait_for(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not done():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def ids(requests: list[Request]) -> list[int]:
    return [json.loads(r.body)["id"] for r in requests]


def storm(store, count: int) -> list[int]:
    """`count` new incidents (a delivery to every webhook each); their ids, in order."""
    recorder = Recorder(store, "sensor-1")
    return [recorder.alert(policy_alert(endpoint=f"10.9.{n // 200}.{n % 200 + 1}")).alert_id for n in range(count)]


def delivered(store) -> int:
    with store.session(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Delivery).where(Delivery.state == "delivered"))


@pytest.fixture
def slow_receiver():
    server = HttpReceiver(delay=0.02)
    try:
        yield server
    finally:
        server.stop()


def test_the_dispatcher_process_sends_in_order_and_the_serving_process_reads_its_tally(settings, receiver):
    results = DeliveryResults()
    with open_store(settings) as store:
        with store.session() as s:
            for path in ("/a", "/b"):
                queries.create_webhook(s, store.secrets, receiver.url(path), secret="k")
        alerts = storm(store, 40)
        process = DispatcherProcess(service_settings(settings), results.share(CONTEXT))
        try:
            wait_for(lambda: delivered(store) == 80, "80 deliveries")
        finally:
            process.terminate()
            code = process.wait(30)
    assert code == 0                                                    # stopped, not killed
    assert ids(receiver.to("/a")) == alerts and ids(receiver.to("/b")) == alerts
    assert results.snapshot() == {("generic", "delivered"): 80}


def test_a_dispatcher_stopped_mid_storm_gives_back_its_claim_and_the_next_sends_the_rest(settings, slow_receiver):
    results = DeliveryResults()
    shared = results.share(CONTEXT)
    with open_store(settings) as store:
        with store.session() as s:
            queries.create_webhook(s, store.secrets, slow_receiver.url("/hook"))
        alerts = storm(store, 60)
        service = service_settings(settings)
        first = DispatcherProcess(service, shared)
        try:
            wait_for(lambda: len(slow_receiver.requests) >= 5, "the first deliveries")
        finally:
            first.terminate()
            assert first.wait(30) == 0
        with store.session(readonly=True) as s:
            left = list(s.scalars(select(Delivery).where(Delivery.state == "pending")))
        assert left, "stopped before the end of the storm"
        assert all(row.next_attempt_at <= utcnow() for row in left)    # given back, not leased for minutes
        assert delivered(store) == len(slow_receiver.requests)         # the one in flight was marked too

        second = DispatcherProcess(service, shared)                     # a restart
        try:
            wait_for(lambda: delivered(store) == 60, "the rest")
        finally:
            second.terminate()
            second.wait(30)
    assert ids(slow_receiver.to("/hook")) == alerts                     # all, once, in order
    assert results.snapshot() == {("generic", "delivered"): 60}         # both processes' counts


def test_a_dispatcher_that_cannot_start_exits_with_1_to_be_restarted(tmp_path):
    settings = Settings.from_env({"APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_DATABASE_URL": "nosuchdb://x"},
                                 cwd=tmp_path)
    process = DispatcherProcess(settings, DeliveryResults().share(CONTEXT))
    assert process.wait(HANG_GUARD) == 1                # not 0: the supervisor logs it and starts another
