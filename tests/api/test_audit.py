"""The audit log through the API (admin only): every change to tokens, webhooks, switches and
alerts is recorded with the token's name, the time and the state before and after; secrets never
appear in it; filters and paging work; and `appliance audit` shows the same log from the CLI."""
from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import APPLIANCE

AUDIT = "/api/v1/audit"


def log(client, lab, **params) -> dict:
    answer = client.get(AUDIT, headers=lab.headers("admin"), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_changes_are_recorded_with_who_and_before_after_without_secrets(lab, client, monkeypatch):
    admin, operator = lab.headers("admin"), lab.headers("operator")
    token = client.post("/api/v1/tokens", headers=admin, json={"name": "grafana", "role": "viewer"}).json()
    client.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    hook = client.post("/api/v1/webhooks", headers=operator,
                       json={"url": "https://hooks.example.org/noc", "secret": "hook-secret-9Qx"}).json()
    client.patch(f"/api/v1/webhooks/{hook['id']}", headers=operator, json={"name": "noc", "secret": "second-7Lm"})
    client.delete(f"/api/v1/webhooks/{hook['id']}", headers=operator)
    switch = {"name": "core1", "device_type": "cisco_ios", "host": "192.0.2.1", "username": "netops",
              "password_env": "APPLIANCE_SWITCH_CORE1_PASSWORD"}
    assert client.post("/api/v1/switches", headers=admin, json=switch).status_code == 201
    assert client.delete("/api/v1/switches/core1", headers=operator).status_code == 204

    entries = log(client, lab)["items"]
    assert [(e["action"], e["actor"], e["via"]) for e in reversed(entries)] == [
        ("token.create", "admin-user", "api"), ("token.revoke", "admin-user", "api"),
        ("webhook.create", "operator-user", "api"), ("webhook.update", "operator-user", "api"),
        ("webhook.delete", "operator-user", "api"), ("switch.add", "admin-user", "api"),
        ("switch.remove", "operator-user", "api")]
    update = next(e for e in entries if e["action"] == "webhook.update")
    assert (update["before"]["name"], update["after"]["name"]) == (None, "noc")
    assert update["after"]["secret_encrypted"] == "(redacted)"
    revoke = next(e for e in entries if e["action"] == "token.revoke")
    assert revoke["before"]["revoked_at"] is None and revoke["after"]["revoked_at"] is not None
    assert revoke["after"]["token_hash"] == "(redacted)"
    text = json.dumps(entries)
    assert "hook-secret-9Qx" not in text and "second-7Lm" not in text and token["token"] not in text
    added = next(e for e in entries if e["action"] == "switch.add")
    assert added["after"]["credential_ref"] == "env:APPLIANCE_SWITCH_CORE1_PASSWORD"     # where, not what


def test_alert_actions_and_each_comment_are_recorded(lab, client):
    operator = lab.headers("operator")
    alert = client.get("/api/v1/alerts", params={"type": "cleartext_media", "limit": 1}, headers=operator).json()
    url = f"/api/v1/alerts/{alert['items'][0]['id']}"
    client.post(f"{url}/ack", headers=operator, json={"comment": "first look"})
    client.post(f"{url}/ack", headers=operator, json={"comment": "user called back"})
    client.post(f"{url}/resolve", headers=lab.headers("admin"))
    target = f"alert:{alert['items'][0]['id']}"
    entries = list(reversed(log(client, lab, target=target)["items"]))
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("alert.acknowledge", "operator-user"), ("alert.comment", "operator-user"),
        ("alert.comment", "operator-user"), ("alert.resolve", "admin-user")]
    assert [e["after"]["comment"] for e in entries if e["action"] == "alert.comment"] == [
        "first look", "user called back"]
    assert (entries[0]["before"]["state"], entries[0]["after"]["state"]) == ("open", "acknowledged")


def test_filters_and_paging(lab, client):
    admin = lab.headers("admin")
    for n in range(5):
        client.post("/api/v1/tokens", headers=admin, json={"name": f"t{n}", "role": "viewer"})
    client.post("/api/v1/webhooks", headers=admin, json={"url": "https://hooks.example.org/x"})
    assert log(client, lab, action="token")["total"] == 5
    assert log(client, lab, action="webhook.create")["total"] == 1
    assert log(client, lab, actor="nobody")["total"] == 0
    first, second = log(client, lab, limit=4), log(client, lab, limit=4, offset=4)
    assert first["total"] == second["total"] == 6 and len(first["items"]) == 4 and len(second["items"]) == 2
    assert {e["id"] for e in first["items"]}.isdisjoint(e["id"] for e in second["items"])
    bad = client.get(AUDIT, headers=admin, params={"limit": 0})
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]


def test_only_admins_read_the_log(lab, client):
    for identity, status in (("none", 401), ("viewer", 403), ("operator", 403)):
        refused = client.get(AUDIT, headers=lab.headers(identity))
        assert refused.status_code == status and "admin role" in refused.json()["detail"]


def test_the_cli_records_and_shows_the_log(lab, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}, "USER": "netops",
           "LOGNAME": "netops", "APPLIANCE_DATA_DIR": str(lab.settings.data_dir),
           "APPLIANCE_SECRET_KEY": lab.settings.secret_key}
    lab.store.close()

    def cli(*args: str) -> str:
        proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    cli("token", "create", "ci", "--role", "viewer")
    cli("switch", "add", "edge1", "--device-type", "cisco_ios", "--host", "192.0.2.9", "--username", "u",
        "--password-env", "APPLIANCE_SWITCH_EDGE1_PASSWORD")
    shown = json.loads(cli("audit", "--format", "json"))
    assert [(e["action"], e["via"], e["target"]) for e in shown["items"]] == [
        ("switch.add", "cli", "switch:edge1"), ("token.create", "cli", shown["items"][1]["target"])]
    assert shown["items"][1]["after"]["name"] == "ci" and shown["total"] == 2
    assert {e["actor"] for e in shown["items"]} == {"netops"}                       # the user who ran it
    assert "switch.add" in cli("audit", "--action", "switch") and "token" not in cli("audit", "--action", "switch")
