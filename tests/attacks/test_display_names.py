"""Finding 5 against a running `appliance serve`: a caller whose display name (legal inside quotes,
RFC 3261) holds another URI, angle brackets, commas and semicolons cannot make calls or alerts show
anything but the real URIs. The call is generated (plain RTP, so it alerts), imported with the CLI
and read back over the API."""
from __future__ import annotations

import json

import pytest

from tests.attacks.service import running
from tests.synth.capture import CallSpec, build_call

HOSTILE_CALLER = 'IT Helpdesk <sip:reset-password@evil.example>; "call me", <tel:+999>'
HOSTILE_CALLEE = 'a>b <sip:ceo@evil.example>;tag=x, \\'


@pytest.fixture
def service(tmp_path):
    capture = build_call(CallSpec(caller_display=HOSTILE_CALLER, callee_display=HOSTILE_CALLEE, seed=14)) \
        .write(tmp_path / "hostile.pcap")
    with running(tmp_path / "data") as service:
        service.cli("import", str(capture))
        yield service


def test_calls_and_alerts_keep_the_real_uris(service):
    viewer = service.headers("viewer")
    calls = service.http.get("/api/v1/calls", headers=viewer).json()["items"]
    assert [(c["from"], c["to"]) for c in calls] == [("sip:alice@10.1.0.10", "sip:bob@10.2.0.20")]
    alerts = service.http.get("/api/v1/alerts", headers=viewer).json()["items"]
    assert alerts and {a["type"] for a in alerts} >= {"cleartext_media"}
    shown = json.dumps(calls) + json.dumps(alerts)
    assert "evil.example" not in shown and "+999" not in shown
