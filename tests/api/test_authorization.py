"""Who may do what, over every route and method of the app: no token, an unknown token and a revoked
one get 401 (with `WWW-Authenticate: Bearer` and the role needed), a token whose role is too low gets
403 (naming the role), and a sufficient one gets 2xx. The table below must list exactly the app's
routes, so a route added without deciding its role fails here."""
from __future__ import annotations

import itertools

import httpx
import pytest
from sqlalchemy import delete

from api.app import create_app
from appliance.store import queries
from appliance.store import switches
from appliance.store.models import ROLES, Alert, Switch
from tests.api.conftest import IDENTITIES, QUICK, serve

V, O, A = "viewer", "operator", "admin"
PUBLIC = None
REQUIRED = {
    ("GET", "/health"): PUBLIC, ("GET", "/openapi.json"): PUBLIC, ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/assets/{name}"): PUBLIC,
    ("GET", "/metrics"): V,
    ("GET", "/api/v1/alerts"): V, ("GET", "/api/v1/alerts/stream"): V, ("GET", "/api/v1/alerts/{alert_id}"): V,
    ("POST", "/api/v1/alerts/{alert_id}/ack"): O, ("POST", "/api/v1/alerts/{alert_id}/resolve"): O,
    ("GET", "/api/v1/alerts/{alert_id}/pcap"): V, ("GET", "/api/v1/alerts/{alert_id}/occurrences"): V,
    ("GET", "/api/v1/alerts/{alert_id}/occurrences/{occurrence_id}/pcap"): V,
    ("GET", "/api/v1/alerts/{alert_id}/history"): V, ("GET", "/api/v1/fleet/summary"): V,
    ("GET", "/api/v1/fleet/trend"): V, ("GET", "/api/v1/fleet/endpoints"): V, ("GET", "/api/v1/fleet/endpoints.csv"): V,
    ("GET", "/api/v1/fleet/incidents.csv"): V,
    ("GET", "/api/v1/streams"): V, ("GET", "/api/v1/streams/{row_id}"): V,
    ("GET", "/api/v1/calls"): V, ("GET", "/api/v1/calls/{row_id}"): V,
    ("GET", "/api/v1/endpoints"): V, ("GET", "/api/v1/endpoints/{row_id}"): V,
    ("GET", "/api/v1/sensors"): V,
    ("GET", "/api/v1/webhooks"): O, ("POST", "/api/v1/webhooks"): O, ("GET", "/api/v1/webhooks/{webhook_id}"): O,
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): O, ("DELETE", "/api/v1/webhooks/{webhook_id}"): O,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): O,
    ("GET", "/api/v1/audit"): A,
    ("GET", "/api/v1/tokens"): A, ("POST", "/api/v1/tokens"): A, ("DELETE", "/api/v1/tokens/{token_id}"): A,
    ("GET", "/api/v1/stats/media"): V,
    ("GET", "/api/v1/switches"): V, ("POST", "/api/v1/switches"): A, ("GET", "/api/v1/switches/{name}"): V,
    ("DELETE", "/api/v1/switches/{name}"): O, ("GET", "/api/v1/switches/{name}/actions"): V,
    ("POST", "/api/v1/switches/{name}/span/plan"): V, ("PUT", "/api/v1/switches/{name}/span"): O,
    ("POST", "/api/v1/switches/{name}/span/verify"): O, ("DELETE", "/api/v1/switches/{name}/span"): O,
    ("GET", "/"): PUBLIC, ("GET", "/dashboard/{name}"): PUBLIC, ("GET", "/dashboard/session"): V,
}
# Routes that dial the switch: past authorization they meet a closed loopback port (502), or for
# verify, no applied session (409) — either way the caller got past the role check.
DIALS = {("PUT", "/api/v1/switches/{name}/span"): 502, ("DELETE", "/api/v1/switches/{name}/span"): 502,
         ("POST", "/api/v1/switches/{name}/span/verify"): 409}
SPAN = {"sources": ["eth1"], "destination": "eth9"}
BODIES = {
    ("POST", "/api/v1/alerts/{alert_id}/ack"): {"comment": "matrix"},
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): {"comment": "matrix"},
    ("POST", "/api/v1/webhooks"): {"url": "https://hooks.example.org/noc", "secret": "s3cret"},
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): {"name": "renamed"},
    ("POST", "/api/v1/tokens"): {"name": "new", "role": "viewer"},
    ("POST", "/api/v1/switches"): {"name": "matrix-new", "device_type": "ovs_linux", "host": "127.0.0.1",
                                   "port": 1, "username": "root", "password_env": "APPLIANCE_SWITCH_MATRIX_PW"},
    ("POST", "/api/v1/switches/{name}/span/plan"): SPAN, ("PUT", "/api/v1/switches/{name}/span"): SPAN,
}


SWITCH_NUMBERS = itertools.count()


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route; FastAPI >= 0.16x keeps included routers as nodes of `app.routes`,
    which `iter_route_contexts` flattens."""
    try:
        from fastapi.routing import iter_route_contexts
        routes = list(iter_route_contexts(app.routes))
    except ImportError:                                     # older FastAPI: app.routes is already flat
        routes = app.routes
    return {(method, route.path) for route in routes for method in (getattr(route, "methods", None) or ())
            if method != "HEAD"}


def test_the_table_lists_every_route(app):
    assert app_routes(app) == set(REQUIRED), "a route was added or removed: decide its role in REQUIRED"


def expected(identity: str, role: str | None, dials: int | None = None) -> int | str:
    if role is PUBLIC:
        return "2xx"
    if identity in ("none", "bad", "revoked"):
        return 401
    return 403 if ROLES.index(identity) < ROLES.index(role) else dials or "2xx"


def path_for(lab, template: str) -> str:
    """The path with ids of rows that exist; DELETE targets are made afresh for each call."""
    with lab.store.session() as session:
        alert = session.query(Alert).filter_by(type="cleartext_media").order_by(Alert.id).first()
        params = {"alert_id": alert.id, "row_id": 1, "occurrence_id": alert.occurrences[0].id}
        if "{webhook_id}" in template:
            params["webhook_id"] = queries.create_webhook(session, lab.store.secrets, "https://h.example.org/x").id
        if "{token_id}" in template:
            params["token_id"] = queries.create_token(session, "victim", "viewer").row.id
        if template.startswith("/dashboard/"):
            params["name"] = "app.js"
        elif template.startswith("/docs/"):
            params["name"] = "init.js"
        elif "{name}" in template:                  # a fresh switch on a closed loopback port
            params["name"] = f"matrix-{next(SWITCH_NUMBERS)}"
            switches.add_switch(session, params["name"], "ovs_linux", "127.0.0.1", port=1, username="root",
                                credential_ref="env:APPLIANCE_SWITCH_MATRIX_PW")
        if template == "/api/v1/switches":
            session.execute(delete(Switch).where(Switch.name == "matrix-new"))
    return template.format(**params)


def check(response: httpx.Response, identity: str, role: str | None, dials: int | None = None) -> None:
    want = expected(identity, role, dials)
    where = f"{response.request.method} {response.request.url.path} as {identity}"
    if want == "2xx":
        assert 200 <= response.status_code < 300, f"{where}: {response.status_code} {response.text[:200]}"
        return
    assert response.status_code == want, f"{where}: {response.status_code} {response.text[:200]}"
    if want == dials:
        return
    detail = response.json()["detail"]
    assert f"the {role} role" in detail, f"{where}: the message does not name the role: {detail!r}"
    if want == 401:
        assert response.headers.get("www-authenticate") == "Bearer", where


@pytest.mark.parametrize("method,template", sorted(k for k in REQUIRED if k[1] != "/api/v1/alerts/stream"))
def test_route_by_identity(lab, client, method, template, monkeypatch):
    monkeypatch.setenv("APPLIANCE_SWITCH_MATRIX_PW", "not-used-no-switch-listens")
    role = REQUIRED[(method, template)]
    for identity in IDENTITIES:
        response = client.request(method, path_for(lab, template), headers=lab.headers(identity),
                                  json=BODIES.get((method, template)))
        check(response, identity, role, DIALS.get((method, template)))


# Rules that depend on the row, not only on the route: moving a webhook that has a secret (new URL or
# format, which would carry the secret elsewhere were it kept) needs admin; the same change to a hook
# without a secret stays with operators (the route's role, above).
SIGNED_HOOK_CHANGES = [{"url": "https://elsewhere.example.org/x"}, {"format": "slack"},
                       {"url": "hep+udp://homer.example.org:9060", "format": "hep"},
                       {"url": "https://elsewhere.example.org/x", "secret": "a-new-one"}]


@pytest.mark.parametrize("change", SIGNED_HOOK_CHANGES)
def test_moving_a_signed_webhook_by_identity(lab, client, change):
    for identity in IDENTITIES:
        with lab.store.session() as session:
            signed = queries.create_webhook(session, lab.store.secrets, "https://h.example.org/x", secret="s").id
            unsigned = queries.create_webhook(session, lab.store.secrets, "https://h.example.org/y").id
        needed = A if identity in (O, A) else O         # 401 and a viewer's 403 name the route's role first
        check(client.patch(f"/api/v1/webhooks/{signed}", json=change, headers=lab.headers(identity)), identity,
              needed)
        check(client.patch(f"/api/v1/webhooks/{unsigned}", json=change, headers=lab.headers(identity)), identity, O)


def test_live_stream_by_identity(lab):
    """The SSE route streams forever, so it is asked over a real socket and closed after the headers."""
    role = REQUIRED[("GET", "/api/v1/alerts/stream")]
    with serve(create_app(lab.settings, lab.store, live=QUICK)) as url, httpx.Client(base_url=url,
                                                                                          timeout=5.0) as http:
        for identity in IDENTITIES:
            with http.stream("GET", "/api/v1/alerts/stream", headers=lab.headers(identity)) as response:
                if 200 <= response.status_code < 300:
                    assert response.headers["content-type"].startswith("text/event-stream")
                else:
                    response.read()
                check(response, identity, role)


# Requests no role may make: past the role check (401/403 as for any request), the admin meets the
# rule itself (issue 14: switch secrets only from their own namespace).
NO_ROLE_MAY = [
    ("POST", "/api/v1/switches", {"name": "evil", "device_type": "cisco_ios", "host": "127.0.0.1", "port": 1,
                                  "username": "u", "password_env": "APPLIANCE_SECRET_KEY"}),
    ("POST", "/api/v1/switches", {"name": "evil", "device_type": "cisco_ios", "host": "127.0.0.1", "port": 1,
                                  "username": "u", "password_env": "APPLIANCE_SWITCH_PW",
                                  "secret_env": "APPLIANCE_DATABASE_URL"}),
    ("POST", "/api/v1/switches", {"name": "evil", "device_type": "cisco_ios", "host": "127.0.0.1", "port": 1,
                                  "username": "u", "key_file": "../appliance.db"}),
]


@pytest.mark.parametrize("method,path,body", NO_ROLE_MAY)
def test_requests_no_role_may_make(lab, client, method, path, body):
    for identity in IDENTITIES:
        response = client.request(method, path, headers=lab.headers(identity), json=body)
        check(response, identity, A, dials=422)
        if identity == "admin":
            assert "APPLIANCE_SWITCH" in response.text or "key_file" in response.text
    assert client.get("/api/v1/switches", headers=lab.headers("viewer")).json() == []
