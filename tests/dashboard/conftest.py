"""Dashboard fixtures: a real store in a tmp dir filled through the importer with the lab's recorded
real-client calls (`tests.api.conftest.fill`: sensors lab-1 and lab-2, a token per role), served by a
real uvicorn on 127.0.0.1 with a quick live feed, and Debian's chromium driven headless by
Playwright. Screenshots go to `test-artifacts/dashboard/` (git-ignored; DASHBOARD_ARTIFACTS moves
them). Browser tests skip when /usr/bin/chromium or Playwright is missing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from api.app import create_app
from appliance.settings import Settings
from appliance.store import migrate, open_store
from appliance.store.engine import DB_FILE
from tests.api.conftest import KEY, LAB, QUICK, Lab, fill, serve

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DASHBOARD_ARTIFACTS") or ROOT / "test-artifacts" / "dashboard")
WAIT_MS = 15_000                 # the longest a test waits for the page (a bound, not a timing assertion)



@pytest.fixture(scope="session")
def dashboard_template(tmp_path_factory):
    """A filled SQLite store on disk, built once per worker and copied by each test."""
    data = tmp_path_factory.mktemp("dashboard-template")
    settings = Settings(data_dir=data, secret_key=KEY)
    migrate.upgrade(settings.store())
    with open_store(settings.store()) as store:
        tokens, reports = fill(store)
    return data / DB_FILE, tokens, reports


@pytest.fixture
def lab(dashboard_template, tmp_path) -> Lab:
    source, tokens, reports = dashboard_template
    data = tmp_path / "data"
    data.mkdir()
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", data / f"{DB_FILE}{suffix}")
    settings = Settings(data_dir=data, secret_key=KEY, sensor_id="lab-1")
    store = open_store(settings.store())
    try:
        yield Lab(settings, store, dict(tokens), reports)
    finally:
        store.close()


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
