"""Syslog deliveries: RFC 5424 (alert in structured data) and CEF, sent by the Dispatcher to collectors
on loopback UDP and TCP (octet counting), parsed back with independent parsers."""
from __future__ import annotations

from datetime import datetime

import pytest

from appliance.notify import Dispatcher
from appliance.notify.delivery import Outgoing
from appliance.notify.errors import DeliveryError
from appliance.notify.syslog import SD_ID, SyslogNotifier, cef, rfc5424
from appliance.store import queries
from appliance.store.recorder import Recorder
from tests.notify.parse import parse_cef, parse_rfc5424
from tests.notify.receivers import LOOPBACK_ALLOWED, free_port
from tests.store.helpers import T0, Clock, policy_alert

NASTY = 'odd | chars = here \\ and "quotes" ] and\nnewline'


def alert(**overrides) -> dict:
    base = {"event": "new", "id": 7, "sensor": "sensor-1", "state": "open", "count": 2, "type": "sdes_keys_exposed",
            "severity": "critical", "endpoint": "10.0.0.5", "peer": "10.0.0.6", "stream": None,
            "call_id": "abc@pbx", "summary": "SRTP keys in cleartext SIP", "evidence": ["sdp: a=crypto"],
            "device_class": "hard_phone", "first_seen": T0, "last_seen": T0 + 5.25}
    return base | overrides


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_rfc5424_and_cef_reach_a_collector(store, transport, request):
    collector = request.getfixturevalue(f"syslog_{transport}")
    with store.session() as s:
        queries.create_webhook(s, store.secrets, collector.url("facility=local4"), "syslog")
        queries.create_webhook(s, store.secrets, collector.url(), "cef")
    clock = Clock()
    recorder = Recorder(store, "sensor-1", clock=clock)
    ids = [recorder.alert(policy_alert(endpoint=f"10.0.0.{n}", summary=f"cleartext RTP #{n}",
                                       evidence=("sdp: RTP/AVP", f"payload: PCMU [{n}]"))).alert_id for n in range(2)]
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock, hostname="appliance-1") as dispatcher:
        assert dispatcher.run_once() == 4
    messages = [parse_rfc5424(m) for m in collector.wait(4)]
    assert len(messages) == 4
    syslog = [m for m in messages if m["sd"]]
    cefs = [m for m in messages if not m["sd"]]
    assert len(syslog) == len(cefs) == 2

    for n, message in enumerate(sorted(syslog, key=lambda m: m["msg"])):
        assert (message["facility"], message["severity"]) == (20, 3)        # local4, high -> err
        assert (message["hostname"], message["app"], message["procid"]) == ("appliance-1", "appliance", "-")
        assert message["msgid"] == "cleartext_media"
        assert datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00")).timestamp() == T0   # traffic time
        params = message["sd"][SD_ID]
        fields = dict(params)
        assert fields["id"] == str(ids[n]) and fields["endpoint"] == f"10.0.0.{n}"
        assert (fields["type"], fields["severity"], fields["sensor"]) == ("cleartext_media", "high", "sensor-1")
        assert [v for k, v in params if k == "evidence"] == ["sdp: RTP/AVP", f"payload: PCMU [{n}]"]
        assert message["msg"] == f"cleartext RTP #{n}" and not message["bom"]

    for message in cefs:
        assert (message["facility"], message["severity"]) == (16, 3)        # local0 by default
        header, ext = parse_cef(message["msg"])
        assert header[:5] == ["CEF:0", "voip-appliance", "VoIP Encryption Monitor", header[3], "cleartext_media"]
        assert header[5].startswith("cleartext RTP #") and header[6] == "8"
        n = int(header[5][-1])
        assert (ext["src"], ext["dst"], ext["externalId"], ext["cnt"]) == (f"10.0.0.{n}", "10.0.0.2", str(ids[n]), "1")
        assert ext["deviceExternalId"] == "sensor-1" and ext["dvchost"] == "appliance-1"
        assert int(ext["start"]) == round(T0 * 1000)
        assert ext["msg"] == f"sdp: RTP/AVP; payload: PCMU [{n}]"


def test_escaping_survives_the_round_trip():
    nasty = alert(summary=NASTY, evidence=[NASTY, "x=1"], call_id=NASTY, endpoint="2001:db8::5", peer=None)
    message = parse_rfc5424(rfc5424(nasty, "host name"))
    fields = message["sd"][SD_ID]
    assert dict(fields)["callId"] == NASTY.replace("\n", " ")
    assert [v for k, v in fields if k == "evidence"] == [NASTY.replace("\n", " "), "x=1"]
    assert message["msg"] == NASTY and message["hostname"] == "host_name"
    assert message["severity"] == 2 and message["msgid"] == "sdes_keys_exposed"

    header, ext = parse_cef(cef(nasty, "appliance-1"))
    assert header[5] == NASTY.replace("\n", " ") and header[6] == "10"
    assert ext["cs2Label"] == "callId" and ext["cs2"] == NASTY
    assert ext["msg"] == f"{NASTY}; x=1"
    assert (ext["c6a2"], ext["c6a2Label"]) == ("2001:db8::5", "Source IPv6 Address")
    assert "src" not in ext and "dst" not in ext

    unicode = parse_rfc5424(rfc5424(alert(summary="Schlüssel im Klartext"), "h"))
    assert unicode["bom"] and unicode["msg"] == "Schlüssel im Klartext"


def test_tcp_collector_down_is_a_retryable_failure():
    item = Outgoing(1, 1, f"syslog+tcp://127.0.0.1:{free_port()}", "syslog", "siem", alert())
    with pytest.raises(DeliveryError) as caught:
        SyslogNotifier(timeout=1.0, destinations=LOOPBACK_ALLOWED).send(item)
    assert not caught.value.permanent and "refused" in str(caught.value).lower()
    with pytest.raises(DeliveryError) as caught:
        SyslogNotifier().send(Outgoing(1, 1, "syslog+udp://127.0.0.1:514?facility=nope", "syslog", "siem", alert()))
    assert caught.value.permanent
