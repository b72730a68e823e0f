"""Finding 1: an operator must not turn a "switch password" into any secret of the process. Against a
running `appliance serve` and a real SSH server on loopback that records every password offered:
an operator cannot register a switch at all (admin only), an admin cannot name a variable outside
APPLIANCE_SWITCH_* (the store's secret key, the database URL), and nothing reaches the SSH server;
a switch registered the allowed way still takes the operator's SPAN change."""
from __future__ import annotations

import pytest

from tests.attacks.service import running
from tests.switch.emulator import DIALECTS, Emulator

SWITCHES = "/api/v1/switches"
APPLY = {"sources": ["Gi1/0/5"], "destination": "Gi1/0/48"}
ALLOWED, ENABLE = "APPLIANCE_SWITCH_CORE1_PASSWORD", "APPLIANCE_SWITCH_CORE1_ENABLE"


@pytest.fixture
def ssh():
    with Emulator(DIALECTS["cisco_ios"], "cisco_ios", password="switch-pw-4Tq9", secret="enable-8Rw2") as server:
        yield server


@pytest.fixture
def service(tmp_path, ssh):
    with running(tmp_path / "data", **{ALLOWED: ssh.password, ENABLE: ssh.secret}) as service:
        yield service


def switch(ssh, name: str, **credential) -> dict:
    return {"name": name, "device_type": "cisco_ios", "host": "127.0.0.1", "port": ssh.port, "username": ssh.username,
            **credential}


def test_no_role_can_send_a_process_secret_to_an_ssh_server(service, ssh):
    secret_key, http = service.env["APPLIANCE_SECRET_KEY"], service.http
    for role in ("operator", "admin"):
        for name in ("APPLIANCE_SECRET_KEY", "APPLIANCE_DATABASE_URL", "PATH"):
            refused = http.post(SWITCHES, headers=service.headers(role), json=switch(ssh, "evil", password_env=name))
            assert refused.status_code == (403 if role == "operator" else 422), refused.text
            detail = refused.json()["detail"]
            assert ("admin role" in detail if role == "operator"
                    else "only from environment variables named APPLIANCE_SWITCH_*" in detail)
    assert http.get(SWITCHES, headers=service.headers("viewer")).json() == []
    assert http.put(f"{SWITCHES}/evil/span", headers=service.headers("operator"), json=APPLY).status_code == 404
    assert ssh.passwords == [] and secret_key not in str(ssh.state.log)


def test_the_operator_keeps_span_actions_on_a_switch_the_admin_configured(service, ssh):
    http = service.http
    created = http.post(SWITCHES, headers=service.headers("admin"), json=switch(ssh, "core1", password_env=ALLOWED,
                                                                                     secret_env=ENABLE))
    assert created.status_code == 201, created.text
    applied = http.put(f"{SWITCHES}/core1/span", headers=service.headers("operator"), json=APPLY)
    assert applied.status_code == 200 and applied.json()["matches"] is True, applied.text
    assert ssh.passwords and set(ssh.passwords) == {ssh.password}        # the namespaced secret, nothing else
    assert service.env["APPLIANCE_SECRET_KEY"] not in ssh.passwords


def test_the_cli_refuses_names_outside_the_namespace(service, ssh):
    for option, value in (("--password-env", "APPLIANCE_SECRET_KEY"), ("--key-file", "/etc/ssh/ssh_host_rsa_key")):
        refused = service.cli("switch", "add", "evil", "--device-type", "cisco_ios", "--host", "127.0.0.1",
                              "--port", str(ssh.port), "--username", "u", option, value, check=False)
        assert refused.returncode == 2
        message = refused.stderr.decode()
        assert "APPLIANCE_SWITCH_" in message and "Traceback" not in message
    assert "evil" not in service.cli("switch", "list").stdout.decode()
