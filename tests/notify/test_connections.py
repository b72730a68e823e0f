"""What a storm costs per delivery on the wire: to a receiver that keeps connections alive (as
Alertmanager, Slack, Teams and SIEM collectors do) the dispatcher sends every delivery over one
connection, and it resolves and checks the receiver's address once, not once per alert; to a receiver
that closes each connection everything still arrives, in order. Real receivers on loopback."""
from __future__ import annotations

import json

import pytest

from appliance.notify import Dispatcher
from appliance.notify.destinations import DestinationPolicy
from appliance.store import queries
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, HttpReceiver
from tests.store.helpers import Clock, policy_alert


class CountingPolicy(DestinationPolicy):
    """The loopback-allowing policy, counting its look-ups."""
    lookups: list = []

    def resolve(self, host, port, *args):
        CountingPolicy.lookups.append((host, port))
        return super().resolve(host, port, *args)


def storm(store, receiver: HttpReceiver, count: int, clock: Clock) -> list[int]:
    with store.session() as s:
        queries.create_webhook(s, store.secrets, receiver.url("/hook"), secret="k")
    recorder = Recorder(store, "sensor-1", clock=clock)
    return [recorder.alert(policy_alert(endpoint=f"10.9.0.{n + 1}")).alert_id for n in range(count)]


def drain(dispatcher: Dispatcher) -> None:
    while dispatcher.run_once():
        pass


@pytest.mark.parametrize("keepalive, connections", [(True, 1), (False, 20)], ids=["keep-alive", "closing"])
def test_a_storm_goes_out_in_order_over_as_few_connections_as_the_receiver_allows(store, keepalive, connections):
    """A keep-alive receiver gets the storm over one connection; one that closes every connection still
    gets everything, in order."""
    receiver, clock = HttpReceiver(keepalive=keepalive), Clock()
    try:
        alerts = storm(store, receiver, 20, clock)
        with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
            drain(dispatcher)
        requests = receiver.to("/hook")
    finally:
        receiver.stop()
    assert [json.loads(r.body)["id"] for r in requests] == alerts
    assert len({r.peer for r in requests}) == connections


def test_a_storm_resolves_and_checks_its_receiver_once(store):
    receiver, clock = HttpReceiver(keepalive=True), Clock()
    policy = CountingPolicy(LOOPBACK_ALLOWED.networks, LOOPBACK_ALLOWED.names)
    CountingPolicy.lookups.clear()
    try:
        storm(store, receiver, 20, clock)
        with Dispatcher(store, destinations=policy, clock=clock) as dispatcher:
            drain(dispatcher)
        assert len(receiver.to("/hook")) == 20
    finally:
        receiver.stop()
    assert CountingPolicy.lookups == [("127.0.0.1", receiver.port)]
