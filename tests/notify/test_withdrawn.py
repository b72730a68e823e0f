"""A finding the sensor withdraws (issue 17) ends in the receivers that track state: a real Alertmanager on
127.0.0.1 shows the incident firing, then resolved once a later verdict proves the phone's media
encrypted. A person's receiver (generic webhook), told of the opening, is told of the withdrawal too
(event withdrawn, and why), where other resolutions go to state-tracking receivers only; a Slack message
says it was withdrawn, not the finding's severity again."""
from __future__ import annotations

import json
import time

from appliance.notify.delivery import Outgoing
from appliance.notify.formats import slack

from appliance.notify.dispatcher import Dispatcher
from appliance.policy import Policy
from appliance.store import queries
from appliance.store.recorder import Recorder
from collectors.events import StreamVerdict
from tests.notify.phones import PBX, PHONE
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.notify.test_alertmanager import active, alertmanager, pytestmark, wait_for  # noqa: F401
from tests.store.helpers import Clock


def verdict(at: float, encrypted: bool) -> StreamVerdict:
    return StreamVerdict(f"udp:{PHONE}:20002-{PBX}:30000/rtp", PHONE, 20002, PBX, 30000, "udp", "rtp", encrypted,
                         "sdes" if encrypted else None, "PCMU", "call-1", 0.95 if encrypted else 0.6,
                         ("payload: some verdict",), at, at + (3 if encrypted else 1), 40 if encrypted else 12,
                         "payload", True)


def test_alertmanager_hears_a_withdrawn_incident_resolve(store, alertmanager, receiver):  # noqa: F811
    with store.session() as session:
        queries.create_webhook(session, store.secrets, alertmanager, "alertmanager", name="prometheus-am")
        queries.create_webhook(session, store.secrets, receiver.url(), "generic", name="noc-people")
    start = time.time() - 60
    clock = Clock(start + 5)
    recorder = Recorder(store, "sensor-1", clock=clock)
    policy = Policy(on_alert=lambda alert: recorder.alert(alert, "hard_phone"), on_withdraw=recorder.withdraw)
    policy.observe(verdict(start, encrypted=False))
    clock.now = time.time()
    with Dispatcher(store, clock=clock, destinations=LOOPBACK_ALLOWED) as dispatcher:
        assert dispatcher.run_once() == 2                                       # the opening, to both
        firing = wait_for(lambda: active(alertmanager).get("cleartext_media"), "the incident to fire")
        assert firing["labels"]["endpoint"] == PHONE
        policy.observe(verdict(start, encrypted=True))                          # the sensor's better verdict
        assert dispatcher.run_once() == 2                                       # its end, to both
        wait_for(lambda: "cleartext_media" not in active(alertmanager), "the incident to resolve")
    opening, withdrawal = [json.loads(r.body) for r in receiver.to("/hook")]
    assert (opening["event"], opening["state"]) == ("new", "open")
    assert (withdrawal["event"], withdrawal["state"], withdrawal["id"]) == ("withdrawn", "resolved", opening["id"])
    assert withdrawal["resolved_reason"].startswith("withdrawn by the sensor: ")
    assert "proved encrypted" in withdrawal["resolved_reason"]
    message = slack(Outgoing(1, 1, "http://127.0.0.1/", "slack", "noc", withdrawal))
    assert message["blocks"][0]["text"]["text"] == f"WITHDRAWN: cleartext_media on {PHONE}"
    assert message["blocks"][2]["text"]["text"] == withdrawal["resolved_reason"]
