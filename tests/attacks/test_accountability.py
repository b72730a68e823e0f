"""Finding 10: against a running `appliance serve`, an operator's changes are attributable and cannot
be hidden: acknowledging, commenting (twice: the first comment is not overwritten) and changing a
webhook all land in the audit log with the operator token's name and the state before and after;
the operator cannot read the log, only an admin can, and secrets are not in it."""
from __future__ import annotations

import json

import pytest

from tests.attacks.service import running
from tests.conftest import DATA


@pytest.fixture
def service(tmp_path):
    with running(tmp_path / "data") as service:
        service.cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
        yield service


def test_an_operator_cannot_overwrite_history_or_act_unseen(service):
    http, operator = service.http, service.headers("operator")
    alert = http.get("/api/v1/alerts", headers=operator, params={"limit": 1}).json()["items"][0]
    url = f"/api/v1/alerts/{alert['id']}"
    assert http.post(f"{url}/ack", headers=operator, json={"comment": "known phone, ignore"}).status_code == 200
    hidden = http.post(f"{url}/ack", headers=operator, json={"comment": "nothing to see"}).json()
    assert [c["text"] for c in hidden["comments"]] == ["known phone, ignore", "nothing to see"]
    hook = http.post("/api/v1/webhooks", headers=service.headers("admin"),
                     json={"url": "https://hooks.example.org/noc", "secret": "admin-secret-3Kp"}).json()
    assert http.patch(f"/api/v1/webhooks/{hook['id']}", headers=operator, json={"enabled": False}).status_code == 200

    refused = http.get("/api/v1/audit", headers=operator)
    assert refused.status_code == 403 and "admin role" in refused.json()["detail"]
    entries = http.get("/api/v1/audit", headers=service.headers("admin")).json()["items"]
    mine = [(e["action"], e["target"]) for e in entries if e["actor"] == "operator-user"]
    assert mine == [("webhook.update", f"webhook:{hook['id']}"), ("alert.comment", f"alert:{alert['id']}"),
                    ("alert.comment", f"alert:{alert['id']}"), ("alert.acknowledge", f"alert:{alert['id']}")]
    disabled = entries[0]
    assert (disabled["before"]["enabled"], disabled["after"]["enabled"]) == (True, False)
    assert "admin-secret-3Kp" not in json.dumps(entries)
    cli = json.loads(service.cli("audit", "--format", "json", "--actor", "operator-user").stdout)
    assert [(e["action"], e["target"]) for e in cli["items"]] == mine
