"""Issue 17: a live sensor's finding that a later verdict proves wrong ends resolved in the store. Events go
through the coordinator's own code (collect.wired: policy, sink, backlog; collect._coordinate: groups of
worker messages, alerts first, group commits through the buffered recorder) into a real store, and the
API lists the incidents as resolved by the sensor. One call's media is proved encrypted within the
group that raised its alerts, another's several groups later; the SDP's exposed keys stay open. On
SQLite and PostgreSQL."""
from __future__ import annotations

import queue
import threading

import pytest
from sqlalchemy import select

from api.app import create_app
from appliance.collect import CollectSettings, _coordinate, wired
from appliance.store import queries
from appliance.store.buffered import BufferedRecorder
from appliance.store.group import GroupCommit
from appliance.store.models import Alert, Delivery
from appliance.store.recorder import Recorder
from collectors.events import SdpObserved, SignalingObserved, StreamVerdict
from tests.api.conftest import TestClient
from tests.store.helpers import T0, Clock

ALERTS = "/api/v1/alerts"
SENSOR = "live-1"
PBX = "10.70.0.1"
MANY = 450                      # messages between the second call's verdicts: more than two groups' worth


def call(n: int, at: float) -> tuple[list, StreamVerdict]:
    """Phone 10.70.1.n calls through the PBX, offering SDES-keyed SRTP over SIP/UDP; its first RTP looks
    cleartext (cleartext_media, srtp_downgrade; the keys are exposed anyway). Returns those events and
    the verdict that later proves the stream encrypted."""
    phone, call_id = f"10.70.1.{n}", f"call-{n}@live"
    stream = f"udp:{phone}:4000-{PBX}:30000/rtp"
    offer = SdpObserved(call_id, PBX, phone, "udp", at, True, "INVITE", ("RTP/SAVP",), ("AES_CM_128_HMAC_SHA1_80",),
                        False, False, media=(f"{PBX}:30000",))
    guess = StreamVerdict(stream, phone, 4000, PBX, 30000, "udp", "rtp", False, None, "PCMU", call_id, 0.6,
                          ("payload: 3 constant bit positions",), at + 1, at + 1.2, 12, "payload", True)
    proof = StreamVerdict(stream, phone, 4000, PBX, 30000, "udp", "rtp", True, "sdes", None, call_id, 0.97,
                          ("payload: uniform bytes at every position",), at + 1, at + 3, 40, "payload", True)
    return [SignalingObserved("tls", phone, 5061, PBX, 5061, at, "phone/1.0"), offer, guess], proof


def tls_registrations(count: int, at: float) -> list:
    return [SignalingObserved("tls", f"10.71.{n // 250}.{n % 250}", 5061, PBX, 5061, at, "phone/1.0")
            for n in range(count)]


def run_coordinator(store, events: list) -> None:
    """The live coordinator over these worker messages, as `appliance collect --store --workers 2` runs it."""
    recorder = BufferedRecorder(Recorder(GroupCommit(store), SENSOR, clock=Clock(T0 + 60)))
    sink = wired(CollectSettings("mirror0", workers=2, sensor_id=SENSOR), recorder)
    messages: queue.Queue = queue.Queue()
    for event in events:
        messages.put(("event", 0, event))
    messages.put(("done", 0, None, {}))
    _coordinate(sink, messages, [], threading.Event(), lambda: False, 1)
    assert recorder.close().pending == 0


@pytest.fixture(params=["lab", "pg_lab"])
def filled(request):
    return request.getfixturevalue(request.param)


def test_a_withdrawn_finding_is_resolved_in_the_store_and_the_api_says_so(filled):
    with filled.store.session() as session:
        queries.create_webhook(session, filled.store.secrets, "http://am.example.net:9093", "alertmanager")
    first, first_proof = call(1, T0)
    second, second_proof = call(2, T0 + 10)
    run_coordinator(filled.store, first + [first_proof] + second + tls_registrations(MANY, T0 + 11) + [second_proof])
    with TestClient(create_app(filled.settings, filled.store)) as client:
        listed = client.get(ALERTS, params={"sensor": SENSOR, "limit": 50}, headers=filled.headers("viewer"))
        assert listed.status_code == 200
        by_type = {}
        for alert in listed.json()["items"]:
            by_type.setdefault(alert["type"], []).append(alert)
        assert {t: len(alerts) for t, alerts in by_type.items()} == \
            {"cleartext_media": 2, "srtp_downgrade": 2, "sdes_keys_exposed": 1}
        for alert in by_type["cleartext_media"] + by_type["srtp_downgrade"]:
            assert (alert["state"], alert["resolved_by"], alert["occurrences"]) == ("resolved", "sensor", 0)
            n = alert["endpoint"].rsplit(".", 1)[1]
            assert alert["resolved_reason"] == (f"withdrawn by the sensor: stream udp:10.70.1.{n}:4000-{PBX}:30000/rtp "
                                                "proved encrypted (SRTP, sdes keying) after 40 packets (payload)")
            history = client.get(f"{ALERTS}/{alert['id']}/history", headers=filled.headers("viewer")).json()
            assert [(h["event"], h["actor"]) for h in history] == [("opened", None), ("withdrawn", "sensor"),
                                                                   ("resolved", "sensor")]
        [keys] = by_type["sdes_keys_exposed"]                  # the PBX's keys did travel in cleartext
        assert (keys["endpoint"], keys["state"], keys["occurrences"]) == (PBX, "open", 2)
        resolved = client.get(ALERTS, params={"sensor": SENSOR, "state": "resolved"},
                              headers=filled.headers("viewer")).json()
        assert resolved["total"] == 4
    with filled.store.session(readonly=True) as session:          # the receivers hear each of them end
        sent = session.execute(select(Alert.type, Delivery.payload).join(Delivery, Delivery.alert_id == Alert.id)
                               .where(Alert.sensor_id == SENSOR)).all()
    assert sorted((t, p["event"], p["state"]) for t, p in sent if p["event"] == "withdrawn") == \
        [(t, "withdrawn", "resolved") for t in ("cleartext_media",) * 2 + ("srtp_downgrade",) * 2]
