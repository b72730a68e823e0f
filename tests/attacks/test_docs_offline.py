"""Finding 9 against a running `appliance serve`: /docs works on an isolated management network
(Debian's chromium with every request off the appliance refused) under the CSP, with no violation
reported, and the API's JSON answers carry nosniff, the CSP, X-Frame-Options and Referrer-Policy
when the service is reached directly."""
from __future__ import annotations

import pytest

from api.headers import SECURITY_HEADERS
from tests.attacks.service import running
from tests.dashboard.conftest import CHROMIUM, need_chromium


@pytest.fixture
def service(tmp_path):
    with running(tmp_path / "data") as service:
        yield service


def test_json_answers_carry_the_security_headers(service):
    for response in (service.http.get("/api/v1/alerts", headers=service.headers("viewer")),
                     service.http.get("/api/v1/alerts"), service.http.get("/openapi.json")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url.path, name)


def test_docs_render_offline_under_the_csp(service):
    need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    elsewhere, violations = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page()

            def isolate(route):
                if route.request.url.startswith(service.base):
                    return route.continue_()
                elsewhere.append(route.request.url)
                return route.abort()
            page.route("**/*", isolate)
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{service.base}/docs")
            page.wait_for_selector(".opblock-tag-section")
            page.wait_for_selector(".opblock-summary-path")
            tags = page.locator(".opblock-tag").all_inner_texts()
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert {"alerts", "switches", "audit"} <= {t.split()[0].strip() for t in tags}, tags
    assert any("/api/v1/audit" in p for p in paths), paths
    assert elsewhere == [] and violations == [], (elsewhere, violations)
