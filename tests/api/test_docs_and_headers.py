"""Finding 9, in process: /docs is Swagger UI from the appliance's own files (nothing from elsewhere,
no inline script), and every answer — JSON, errors, the dashboard, /docs, the live stream — carries
the security headers."""
from __future__ import annotations

import re

import httpx

from api.app import create_app
from api.headers import SECURITY_HEADERS
from tests.api.conftest import QUICK, serve


def secured(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{response.request.url.path}: {name}"


def test_docs_use_local_files_only(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    secured(page)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "<script>" not in page.text and "style=" not in page.text          # nothing inline for the CSP
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and asset.content, source
        secured(asset)
    assert "/openapi.json" in client.get("/docs/assets/init.js").text
    missing = client.get("/docs/assets/../../etc/passwd")
    assert missing.status_code == 404
    assert client.get("/docs/assets/index.j2").status_code == 404                # only the listed files
    assert client.get("/redoc").status_code == 404                            # the CDN page is gone


def test_every_kind_of_answer_carries_the_headers(lab, client):
    viewer = lab.headers("viewer")
    answers = [client.get("/health"), client.get("/openapi.json"), client.get("/api/v1/alerts", headers=viewer),
               client.get("/api/v1/alerts"), client.get("/api/v1/alerts?limit=0", headers=viewer),
               client.get("/api/v1/nothing-here"), client.post("/api/v1/tokens", headers=viewer, json={}),
               client.get("/metrics", headers=viewer), client.get("/"), client.get("/dashboard/app.js")]
    assert {a.status_code for a in answers} >= {200, 401, 403, 404, 422}
    for answer in answers:
        secured(answer)


def test_an_internal_error_carries_them_too(lab):
    from fastapi.testclient import TestClient
    app = create_app(lab.settings, lab.store)
    app.state.store = None                                      # every store dependency now fails
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/api/v1/alerts", headers=lab.headers("viewer"))
    assert failed.status_code == 500 and failed.json()["detail"].startswith("internal error")
    secured(failed)


def test_the_live_stream_carries_them(lab):
    with serve(create_app(lab.settings, lab.store, live=QUICK)) as url, httpx.Client(base_url=url, timeout=5) as http:
        with http.stream("GET", "/api/v1/alerts/stream", headers=lab.headers("viewer")) as stream:
            assert stream.status_code == 200
            secured(stream)
