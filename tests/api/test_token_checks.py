"""The token is checked against the store on every request, whichever way the route reads it: a token
revoked outside the API process (`appliance token revoke`, another API worker) is refused on its very
next request, and `last_used_at` is still recorded at most once a minute. On SQLite and PostgreSQL."""
from __future__ import annotations

import warnings
from datetime import timedelta

import pytest

from api.app import create_app
from appliance.store import queries
from appliance.store.models import ApiToken

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# a list with a read-only session (the token checked through it), one without a session, an admin read, a write
READS = [("GET", "/api/v1/alerts", {"limit": 50}), ("GET", "/api/v1/endpoints", {"limit": 100}),
         ("GET", "/api/v1/sensors", {}), ("GET", "/dashboard/session", {}), ("GET", "/api/v1/audit", {})]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_lab(request):
    return request.getfixturevalue("lab" if request.param == "sqlite" else "pg_lab")


def new_token(lab, role: str = "admin"):
    with lab.store.session() as session:
        made = queries.create_token(session, "noc-poller", role, created_by="tests")
        return made.token, made.row.id


@pytest.mark.parametrize("method,path,query", READS)
def test_a_token_revoked_elsewhere_is_refused_on_its_next_request(any_lab, method, path, query):
    token, token_id = new_token(any_lab)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(any_lab.settings, any_lab.store)) as client:
        for _ in range(3):                                  # polled: every answer served
            assert client.request(method, path, params=query, headers=auth).status_code == 200
        with any_lab.store.session() as session:            # as the CLI does, in a session of its own
            queries.revoke_token(session, token_id)
        refused = client.request(method, path, params=query, headers=auth)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "unknown or revoked" in refused.json()["detail"]


def test_a_role_lowered_elsewhere_is_enforced_on_the_next_request(any_lab):
    token, token_id = new_token(any_lab)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(any_lab.settings, any_lab.store)) as client:
        assert client.get("/api/v1/audit", headers=auth).status_code == 200
        assert client.get("/api/v1/endpoints", headers=auth).status_code == 200
        with any_lab.store.session() as session:
            session.get(ApiToken, token_id).role = "viewer"
        lowered = client.get("/api/v1/audit", headers=auth)
        assert lowered.status_code == 403 and "has the viewer role" in lowered.json()["detail"]
        assert client.get("/api/v1/endpoints", headers=auth).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(any_lab):
    token, token_id = new_token(any_lab, "viewer")
    auth = {"Authorization": f"Bearer {token}"}

    def last_used():
        with any_lab.store.session(readonly=True) as session:
            return session.get(ApiToken, token_id).last_used_at

    with TestClient(create_app(any_lab.settings, any_lab.store)) as client:
        assert client.get("/api/v1/endpoints", headers=auth).status_code == 200
        first = last_used()
        assert first is not None
        assert client.get("/api/v1/alerts", headers=auth).status_code == 200
        assert last_used() == first                         # not due again within the minute
        with any_lab.store.session() as session:
            session.get(ApiToken, token_id).last_used_at = first - timedelta(minutes=2)
        assert client.get("/api/v1/endpoints", headers=auth).status_code == 200
        assert last_used() > first - timedelta(minutes=2)


def test_every_request_gives_its_connections_back(any_lab):
    """The read-only session the token check shares is closed after every answer, errors included."""
    viewer, admin = any_lab.headers("viewer"), any_lab.headers("admin")
    with TestClient(create_app(any_lab.settings, any_lab.store)) as client:
        answers = [client.get("/api/v1/endpoints", params={"limit": 100}, headers=viewer).status_code,
                   client.get("/api/v1/alerts", params={"limit": 50}, headers=viewer).status_code,
                   client.get("/api/v1/endpoints", headers=any_lab.headers("revoked")).status_code,
                   client.get("/api/v1/endpoints", headers={}).status_code,
                   client.get("/api/v1/audit", headers=viewer).status_code,
                   client.get("/api/v1/endpoints/987654", headers=viewer).status_code,
                   client.get("/api/v1/endpoints", params={"limit": 0}, headers=viewer).status_code,
                   client.post("/api/v1/alerts/987654/ack", headers=admin).status_code]
        assert answers == [200, 200, 401, 401, 403, 404, 422, 404]
        assert any_lab.store.engine.pool.checkedout() == 0
