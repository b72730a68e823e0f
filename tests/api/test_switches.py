"""Switches and SPAN through the API: admins register switches (secrets stay in the appliance's
environment, in APPLIANCE_SWITCH_* variables), operators apply, verify and remove the appliance's
session over real SSH (Netmiko) to an emulated Cisco CLI; viewers only look; every action is recorded with the token's name; a session
someone else configured is refused with 409; no secret reaches a response or the session log."""
from __future__ import annotations

import pytest

from tests.switch.emulator import DIALECTS, Emulator

SWITCHES = "/api/v1/switches"
PASSWORD_ENV, SECRET_ENV = "APPLIANCE_SWITCH_TEST_PASSWORD", "APPLIANCE_SWITCH_TEST_ENABLE"
SPAN = {"sources": ["GigabitEthernet1/0/5:both", "Gi1/0/6:rx"], "source_vlans": ["100:rx"],
        "destination": "Gi1/0/48"}


@pytest.fixture
def ios(monkeypatch):
    with Emulator(DIALECTS["cisco_ios"], "cisco_ios", password="pw-1x9Zq-secret", secret="en-7Hk2-secret") as switch:
        monkeypatch.setenv(PASSWORD_ENV, switch.password)
        monkeypatch.setenv(SECRET_ENV, switch.secret)
        yield switch


def _register(client, headers, switch, name="core1"):
    return client.post(SWITCHES, headers=headers, json={
        "name": name, "device_type": "cisco_ios", "host": "127.0.0.1", "port": switch.port, "username": switch.username,
        "password_env": PASSWORD_ENV, "secret_env": SECRET_ENV})


def test_operator_applies_verifies_and_removes_over_ssh(lab, client, ios):
    operator, viewer = lab.headers("operator"), lab.headers("viewer")
    created = _register(client, lab.headers("admin"), ios)
    assert created.status_code == 201, created.text
    assert created.json()["credential_ref"] == f"env:{PASSWORD_ENV}" and created.json()["session"] is None

    assert ios.state.saves == 0
    applied = client.put(f"{SWITCHES}/core1/span", headers=operator, json={**SPAN, "save": True})
    assert applied.status_code == 200, applied.text
    assert ios.state.saves == 1 and "7" in ios.state.startup                # saved only because asked
    assert applied.json()["matches"] is True and applied.json()["changed"] is True
    assert applied.json()["observed"]["destination"] in ("Gi1/0/48", "GigabitEthernet1/0/48")
    held = ios.state.sessions["7"]                                      # what the emulated switch now holds
    assert held.destination.endswith("1/0/48") and len(held.sources) == 2

    assert client.post(f"{SWITCHES}/core1/span/verify", headers=operator).json()["matches"] is True
    listed = client.get(SWITCHES, headers=viewer).json()
    assert listed[0]["session"]["state"] == "applied" and listed[0]["session"]["applied_by"] == "api:operator-user"
    assert listed[0]["session"]["verified_ok"] is True

    removed = client.delete(f"{SWITCHES}/core1/span", headers=operator)
    assert removed.json() == {"switch": "core1", "removed": True}
    assert "7" not in ios.state.sessions
    actions = client.get(f"{SWITCHES}/core1/actions", headers=viewer).json()
    assert actions[-1]["detail"] == "applied and saved"
    assert [(a["action"], a["ok"], a["actor"]) for a in actions] == [
        ("remove", True, "api:operator-user"), ("verify", True, "api:operator-user"),
        ("apply", True, "api:operator-user")]
    audit = client.get("/api/v1/audit", headers=lab.headers("admin"), params={"target": "switch:core1"}).json()
    assert [(e["action"], e["actor"], e["after"]["ok"] if e["action"].startswith("span") else None)
            for e in audit["items"]] == [("span.remove", "operator-user", True), ("span.verify", "operator-user", True),
                                         ("span.apply", "operator-user", True), ("switch.add", "admin-user", None)]
    assert audit["items"][0]["before"]["state"] == "applied"                 # what the removal undid
    every = "".join(r.text for r in (created, applied, removed)) + str(actions) + str(listed) + str(audit)
    assert ios.password not in every and ios.secret not in every
    log = (lab.settings.data_dir / "switch-logs" / "core1.log").read_text()
    assert "monitor session 7" in log                                   # the session log is kept ...
    assert ios.password not in log and ios.secret not in log            # ... without the secrets
    stored = b"".join(path.read_bytes() for path in lab.settings.data_dir.glob("*.db*"))
    assert stored and ios.password.encode() not in stored and ios.secret.encode() not in stored


def test_viewers_cannot_change_switches_or_spans(lab, client, ios):
    viewer = lab.headers("viewer")
    assert _register(client, viewer, ios).status_code == 403
    refused = _register(client, lab.headers("operator"), ios)         # it names where secrets are read from
    assert refused.status_code == 403 and "admin role" in refused.json()["detail"]
    assert _register(client, lab.headers("admin"), ios).status_code == 201
    for method, path in (("put", "/core1/span"), ("post", "/core1/span/verify"), ("delete", "/core1/span"),
                         ("delete", "/core1")):
        response = client.request(method.upper(), SWITCHES + path, headers=viewer, json=SPAN)
        assert response.status_code == 403, (method, path)
        assert "operator role" in response.json()["detail"]
    assert ios.state.log == []                                          # nobody dialled the switch


def test_plan_needs_no_connection(lab, client, ios):
    _register(client, lab.headers("admin"), ios)
    plan = client.post(f"{SWITCHES}/core1/span/plan", headers=lab.headers("viewer"), json=SPAN)
    assert plan.status_code == 200
    assert "monitor session 7 destination interface Gi1/0/48" in plan.json()["create"]
    assert ios.state.log == []


def test_a_session_someone_else_configured_is_refused(lab, client, ios):
    ios.state.preload("7", sources={"Gi1/0/9": "both"}, destination="Gi1/0/47")
    operator = lab.headers("operator")
    _register(client, lab.headers("admin"), ios)
    refused = client.put(f"{SWITCHES}/core1/span", headers=operator, json=SPAN)
    assert refused.status_code == 409
    assert "no record of creating it" in refused.json()["detail"]
    assert ios.state.sessions["7"].destination == "Gi1/0/47"             # untouched
    assert client.delete(f"{SWITCHES}/core1/span", headers=operator).status_code == 409
    assert "7" in ios.state.sessions


def test_bad_input_is_a_4xx_with_a_message(lab, client, ios):
    operator, admin = lab.headers("operator"), lab.headers("admin")
    both = client.post(SWITCHES, headers=admin, json={"name": "x", "device_type": "cisco_ios", "host": "h",
                                                      "username": "u", "password_env": "APPLIANCE_SWITCH_A",
                                                      "key_file": "k"})
    assert both.status_code == 422 and "exactly one of key_file or password_env" in both.text
    unknown = client.post(SWITCHES, headers=admin, json={"name": "x", "device_type": "cisco_nope", "host": "h",
                                                         "username": "u", "password_env": "APPLIANCE_SWITCH_A"})
    assert unknown.status_code == 422 and "body.device_type: Input should be 'cisco_ios'" in unknown.json()["detail"]
    assert _register(client, admin, ios).status_code == 201
    assert _register(client, admin, ios).status_code == 409
    shell = client.put(f"{SWITCHES}/core1/span", headers=operator, json={**SPAN, "destination": "Gi1/0/48;reload"})
    assert shell.status_code == 422
    missing = client.put(f"{SWITCHES}/nope/span", headers=operator, json=SPAN)
    assert missing.status_code == 404 and "no switch named 'nope'" in missing.json()["detail"]


def test_an_unset_password_variable_is_named_not_guessed(lab, client, ios, monkeypatch):
    operator = lab.headers("operator")
    _register(client, lab.headers("admin"), ios)
    monkeypatch.delenv(PASSWORD_ENV)
    failed = client.put(f"{SWITCHES}/core1/span", headers=operator, json=SPAN)
    assert failed.status_code == 422
    assert f"environment variable {PASSWORD_ENV}, which is not set" in failed.json()["detail"]


def test_applied_switch_cannot_be_forgotten(lab, client, ios):
    operator = lab.headers("operator")
    _register(client, lab.headers("admin"), ios)
    assert client.put(f"{SWITCHES}/core1/span", headers=operator, json=SPAN).json()["matches"] is True
    refused = client.delete(f"{SWITCHES}/core1", headers=operator)
    assert refused.status_code == 409 and "span remove core1" in refused.json()["detail"]
    client.delete(f"{SWITCHES}/core1/span", headers=operator)
    assert client.delete(f"{SWITCHES}/core1", headers=operator).status_code == 204


@pytest.mark.parametrize("field", ["password_env", "secret_env"])
@pytest.mark.parametrize("name", ["APPLIANCE_SECRET_KEY", "APPLIANCE_DATABASE_URL", "AWS_SECRET_ACCESS_KEY",
                                  "appliance_switch_lower", "APPLIANCE_SWITCH_CREDENTIALS_DIR"])
def test_secrets_outside_the_switch_namespace_are_refused(lab, client, ios, field, name):
    body = {"name": "x", "device_type": "cisco_ios", "host": "127.0.0.1", "port": ios.port, "username": "u",
            "password_env": PASSWORD_ENV, field: name}
    refused = client.post(SWITCHES, headers=lab.headers("admin"), json=body)
    assert refused.status_code == 422
    assert "only from environment variables named APPLIANCE_SWITCH_*" in refused.json()["detail"]
    assert client.get(SWITCHES, headers=lab.headers("viewer")).json() == []


@pytest.mark.parametrize("key_file", ["../appliance.db", "/etc/ssh/ssh_host_ed25519_key", "a/../../b"])
def test_key_files_outside_the_credentials_directory_are_refused(lab, client, key_file):
    body = {"name": "x", "device_type": "cisco_ios", "host": "127.0.0.1", "username": "u", "key_file": key_file}
    refused = client.post(SWITCHES, headers=lab.headers("admin"), json=body)
    assert refused.status_code == 422, refused.text
    assert "key_file" in refused.json()["detail"]


def test_a_key_file_is_named_in_the_credentials_directory(lab, client):
    body = {"name": "x", "device_type": "cisco_ios", "host": "127.0.0.1", "username": "u", "key_file": "core1.key"}
    created = client.post(SWITCHES, headers=lab.headers("admin"), json=body)
    assert created.status_code == 201, created.text
    where = lab.settings.switch_credentials().resolve() / "core1.key"
    assert created.json()["credential_ref"] == f"keyfile:{where}"


def test_a_stored_reference_outside_the_namespace_is_not_read(lab, client, ios, monkeypatch):
    """A row written before the namespace existed (or behind the API's back) is refused at connect time."""
    from appliance.store import switches as registry
    with lab.store.session() as session:
        registry.add_switch(session, "old", "cisco_ios", "127.0.0.1", port=ios.port, username=ios.username,
                            credential_ref="env:VW_OLD_PASSWORD")
    monkeypatch.setenv("VW_OLD_PASSWORD", ios.password)
    refused = client.put(f"{SWITCHES}/old/span", headers=lab.headers("operator"), json=SPAN)
    assert refused.status_code == 422 and "APPLIANCE_SWITCH_*" in refused.json()["detail"]
    assert ios.state.log == []
