"""Webhook CRUD (the secret is write-only) and API tokens (the clear value is shown once)."""
from __future__ import annotations

from appliance.store import queries

HOOKS, TOKENS = "/api/v1/webhooks", "/api/v1/tokens"
SECRET = "do-not-echo-this-7f3a"


def test_webhook_crud_never_returns_the_secret(lab, client):
    operator = lab.headers("operator")
    created = client.post(HOOKS, json={"url": "https://hooks.example.org/noc", "format": "slack",
                                       "secret": SECRET, "name": "noc"}, headers=operator)
    assert created.status_code == 201
    hook = created.json()
    assert hook["has_secret"] is True and hook["created_by"] == "operator-user" and hook["format"] == "slack"
    url = f"{HOOKS}/{hook['id']}"
    responses = [created, client.get(HOOKS, headers=operator), client.get(url, headers=operator)]
    kept = client.patch(url, json={"name": "noc-2", "enabled": False}, headers=operator)      # secret left out: kept
    assert kept.json()["has_secret"] is True and (kept.json()["name"], kept.json()["enabled"]) == ("noc-2", False)
    with lab.store.session(readonly=True) as session:
        assert queries.webhook_secret(lab.store.secrets, queries.get_webhook(session, hook["id"])) == SECRET
    moved = client.patch(url, json={"url": "http://10.0.0.9:9000/hook"}, headers=operator)
    assert moved.status_code == 403 and "admin" in moved.json()["detail"]    # a signed hook: admin moves it
    removed = client.patch(url, json={"url": "http://10.0.0.9:9000/hook"}, headers=lab.headers("admin"))
    assert removed.json()["has_secret"] is False and removed.json()["url"] == "http://10.0.0.9:9000/hook"
    responses += [kept, removed]
    assert all(SECRET not in r.text and "secret_encrypted" not in r.text for r in responses)
    assert client.delete(url, headers=operator).status_code == 204
    gone = client.get(url, headers=operator)
    assert gone.status_code == 404 and gone.json()["detail"] == f"no webhook {hook['id']}"
    assert client.patch(url, json={"name": "x"}, headers=operator).status_code == 404


def test_webhook_refusals_have_messages(lab, client):
    operator = lab.headers("operator")
    bad_url = client.post(HOOKS, json={"url": "ftp://files.example.org/"}, headers=operator)
    assert bad_url.status_code == 422 and "http(s)" in bad_url.json()["detail"]
    bad_format = client.post(HOOKS, json={"url": "https://x.example.org/", "format": "irc"}, headers=operator)
    assert bad_format.status_code == 422 and ".format" in bad_format.json()["detail"]
    mismatch = client.post(HOOKS, json={"url": "https://x.example.org/", "format": "cef"}, headers=operator)
    assert mismatch.status_code == 422 and "syslog+udp://" in mismatch.json()["detail"]
    unknown = client.post(HOOKS, json={"url": "https://x.example.org/", "colour": "red"}, headers=operator)
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]


def test_webhook_destinations_and_secrets_are_checked(lab, client):
    operator = lab.headers("operator")
    bad_secret = client.post(HOOKS, json={"url": "https://hooks.example.org/x", "secret": "whsec_%%%"},
                             headers=operator)
    assert bad_secret.status_code == 422 and "base64" in bad_secret.json()["detail"]
    metadata = client.post(HOOKS, json={"url": "http://2852039166/latest/meta-data/"}, headers=operator)
    assert metadata.status_code == 422
    assert metadata.json()["detail"].startswith("refused destination 2852039166 (169.254.169.254): cloud metadata")
    assert "APPLIANCE_NOTIFY_ALLOW" in metadata.json()["detail"]
    hook = client.post(HOOKS, json={"url": "https://hooks.example.org/x"}, headers=operator).json()
    assert client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=operator).json() == []
    assert client.get(f"{HOOKS}/987654/deliveries", headers=operator).status_code == 404


def test_tokens_are_shown_once_and_can_be_revoked(lab, client):
    admin = lab.headers("admin")
    created = client.post(TOKENS, json={"name": "grafana", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith(token["prefix"]) and token["created_by"] == "admin-user"
    listing = client.get(TOKENS, headers=admin)
    assert token["token"] not in listing.text and "token_hash" not in listing.text
    assert {t["name"] for t in listing.json()} == {"viewer-user", "operator-user", "admin-user", "grafana"}
    as_new = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/sensors", headers=as_new).status_code == 200
    assert client.get(TOKENS, headers=as_new).status_code == 403
    revoked = client.delete(f"{TOKENS}/{token['id']}", headers=admin).json()
    assert revoked["revoked_at"] is not None and "token" not in revoked
    refused = client.get("/api/v1/sensors", headers=as_new)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    everyone = client.get(TOKENS, params={"include_revoked": True}, headers=admin).json()
    assert {t["name"] for t in everyone} >= {"grafana", "gone"}
    assert client.delete(f"{TOKENS}/987654", headers=admin).json() == {"detail": "no token 987654"}
    bad_role = client.post(TOKENS, json={"name": "x", "role": "root"}, headers=admin)
    assert bad_role.status_code == 422 and "body.role" in bad_role.json()["detail"]


def test_last_used_is_recorded(lab, client):
    client.get("/api/v1/sensors", headers=lab.headers("viewer"))
    tokens = {t["name"]: t for t in client.get(TOKENS, headers=lab.headers("admin")).json()}
    assert tokens["viewer-user"]["last_used_at"] is not None
    assert tokens["operator-user"]["last_used_at"] is None


def test_syslog_targets_and_format_changes(lab, client):
    operator = lab.headers("operator")
    siem = client.post(HOOKS, json={"url": "syslog+tcp://siem.example.org:6514", "format": "cef"}, headers=operator)
    assert siem.status_code == 201 and siem.json()["format"] == "cef" and siem.json()["has_secret"] is False
    url = f"{HOOKS}/{siem.json()['id']}"
    conflict = client.patch(url, json={"url": "https://hooks.example.org/"}, headers=operator)
    assert conflict.status_code == 409 and "cef" in conflict.json()["detail"]
    assert client.patch(url, json={"format": "slack"}, headers=operator).status_code == 409
    moved = client.patch(url, json={"format": "slack", "url": "https://hooks.example.org/T0"}, headers=operator)
    assert moved.status_code == 200 and (moved.json()["format"], moved.json()["url"]) == (
        "slack", "https://hooks.example.org/T0")
    back = client.patch(url, json={"format": "syslog", "url": "syslog+udp://10.0.0.5"}, headers=operator)
    assert back.status_code == 200 and back.json()["format"] == "syslog"


def test_hep_targets_for_homer(lab, client):
    operator = lab.headers("operator")
    homer = client.post(HOOKS, json={"url": "hep+udp://homer.example.org", "format": "hep", "name": "homer"},
                        headers=operator)
    assert homer.status_code == 201 and (homer.json()["format"], homer.json()["url"]) == (
        "hep", "hep+udp://homer.example.org")
    url = f"{HOOKS}/{homer.json()['id']}"
    moved = client.patch(url, json={"url": "hep+tcp://10.0.0.7:9061"}, headers=operator)
    assert moved.status_code == 200 and moved.json()["url"] == "hep+tcp://10.0.0.7:9061"
    for body in ({"url": "https://homer.example.org/"}, {"format": "syslog"}, {"format": "generic"},
                 {"url": "syslog+udp://homer.example.org"}):
        conflict = client.patch(url, json=body, headers=operator)
        assert conflict.status_code == 409 and "hep" in conflict.json()["detail"], body
    back = client.patch(url, json={"format": "cef", "url": "syslog+udp://10.0.0.5"}, headers=operator)
    assert back.status_code == 200 and back.json()["format"] == "cef"
    assert client.patch(url, json={"format": "hep", "url": "hep+udp://10.0.0.5:9060"}, headers=operator).json()[
        "format"] == "hep"

    for body in ({"url": "https://homer.example.org/", "format": "hep"},
                 {"url": "syslog+udp://homer.example.org", "format": "hep"},
                 {"url": "hep+sctp://homer.example.org", "format": "hep"},
                 {"url": "hep+udp://homer.example.org:70000", "format": "hep"}):
        refused = client.post(HOOKS, json=body, headers=operator)
        assert refused.status_code == 422 and "hep+udp://" in refused.json()["detail"], body
    for body in ({"url": "hep+udp://homer.example.org", "format": "syslog"},
                 {"url": "hep+udp://homer.example.org", "format": "generic"},
                 {"url": "hep+udp://homer.example.org"}):
        assert client.post(HOOKS, json=body, headers=operator).status_code == 422, body
