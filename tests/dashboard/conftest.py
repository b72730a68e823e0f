"""Dashboard fixtures: a real store in a tmp dir filled through the importer with the lab's recorded
real-client calls (`tests.api.conftest.fill`: sensors lab-1 and lab-2, a token per role), served by a
real uvicorn on 127.0.0.1 with a quick live feed, and Debian's chromium driven headless by
Playwright. Screenshots go to `test-artifacts/dashboard/` (git-ignored; DASHBOARD_ARTIFACTS moves
them). Browser tests skip when /usr/bin/chromium or Playwright is missing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.app import create_app
from tests.api.conftest import LAB, QUICK, lab, lab_template, serve  # noqa: F401  (the API's filled-store fixtures)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DASHBOARD_ARTIFACTS") or ROOT / "test-artifacts" / "dashboard")
WAIT_MS = 15_000                 # the longest a test waits for the page (a bound, not a timing assertion)


@pytest.fixture
def server(lab):
    """The API and dashboard on 127.0.0.1:<free port>; yields the base URL."""
    with serve(create_app(lab.settings, lab.store, live=QUICK)) as url:
        yield url


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture(scope="session")
def browser():
    need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shot(request):
    """shot(page, "name"): a full-page screenshot in the artifacts dir, named after the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


def sign_in(page, url: str, token: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=token]", token)
    page.click("#login-submit")
    page.wait_for_selector("#app:not(.hidden)")
    page.wait_for_selector("#live-status.on")            # the live feed is connected


__all__ = ["CHROMIUM", "LAB", "WAIT_MS", "sign_in"]
