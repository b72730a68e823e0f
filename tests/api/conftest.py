"""API fixtures. A store is filled once per worker by importing real lab captures (the same path as
`appliance import`) with tokens of every role; each test gets its own copy of that SQLite file, an
app built by `create_app`, and talks HTTP to it — through Starlette's TestClient (ASGI, lifespan
included) or a real uvicorn server on 127.0.0.1 (the live stream)."""
from __future__ import annotations

import shutil
import socket
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api.app import LiveSettings, create_app
from appliance.settings import Settings
from appliance.store import Store, migrate, open_store, queries
from appliance.store.crypto import generate_key
from appliance.store.engine import DB_FILE
from appliance.store.importer import import_captures
from tests.store.conftest import pg_server  # noqa: F401  (the PostgreSQL fixture, re-used)
from tests.synth.capture import CallSpec, build_call

with warnings.catch_warnings():         # Starlette prefers httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LAB = Path(__file__).resolve().parent.parent / "data" / "lab"
CAPTURES = {"lab-1": ["udp-srtp-fallback.pcap", "udp-srtp.pcap"], "lab-2": ["tls-rtp.pcap"]}
KEY = generate_key()
IDENTITIES = ("none", "bad", "revoked", "viewer", "operator", "admin")
QUICK = LiveSettings(poll_interval=0.1, heartbeat=0.5, token_recheck=0.5)


@dataclass
class Lab:
    """A filled store: its settings, the open store, and a clear token per identity."""
    settings: Settings
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)
    reports: dict[str, dict] = field(default_factory=dict)      # sensor -> its import's report

    def headers(self, identity: str) -> dict[str, str]:
        if identity == "none":
            return {}
        token = "not-a-token-at-all" if identity == "bad" else self.tokens[identity]
        return {"Authorization": f"Bearer {token}"}


def fill(store: Store) -> tuple[dict[str, str], dict[str, dict]]:
    """Import the lab captures and create a token per role (and a revoked one); returns the clear
    tokens and the import reports."""
    reports = {sensor: import_captures(store, sensor, [str(LAB / name) for name in names])
               for sensor, names in CAPTURES.items()}
    tokens = {}
    with store.session() as session:
        for role in ("viewer", "operator", "admin"):
            tokens[role] = queries.create_token(session, f"{role}-user", role, created_by="tests").token
        revoked = queries.create_token(session, "gone", "admin", created_by="tests")
        tokens["revoked"] = revoked.token
        session.flush()
        queries.revoke_token(session, revoked.row.id)
    return tokens, reports


def import_tagged_calls(store: Store, folder: Path, sensor: str = "tagged") -> dict[str, int]:
    """Two synthetic calls in 802.1Q-tagged frames, imported as `sensor`: cleartext RTP between two
    phones in VLAN 100, DTLS-SRTP media (over cleartext SIP) between two others in VLAN 200. Returns
    each phone's address -> its VLAN."""
    calls = {100: CallSpec(vlans=(100,), duration=1.0, seed=3, caller_ip="10.50.0.10", callee_ip="10.50.0.20"),
             200: CallSpec(vlans=(200,), duration=1.0, seed=4, caller_ip="10.60.0.10", callee_ip="10.60.0.20",
                           caller_mac="02:00:00:00:03:0a", callee_mac="02:00:00:00:04:14",
                           srtp_suite="AES_CM_128_HMAC_SHA1_80", key_exchange="dtls", start_time=1_700_000_100.0)}
    paths = [str(build_call(spec).write(folder / f"vlan-{vlan}.pcap")) for vlan, spec in calls.items()]
    import_captures(store, sensor, paths)
    return {ip: vlan for vlan, spec in calls.items() for ip in (spec.caller_ip, spec.callee_ip)}


@pytest.fixture(scope="session")
def lab_template(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, dict]]:
    """A filled SQLite store on disk (built once per worker), copied by each test."""
    data = tmp_path_factory.mktemp("template")
    settings = Settings(data_dir=data, secret_key=KEY)
    migrate.upgrade(settings.store())
    with open_store(settings.store()) as store:
        tokens, reports = fill(store)
    return data / DB_FILE, tokens, reports


@pytest.fixture
def lab(lab_template, tmp_path) -> Lab:
    source, tokens, reports = lab_template
    data = tmp_path / "data"
    data.mkdir()
    for suffix in ("", "-wal"):                      # the WAL is folded in when the store closes; to be sure
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", data / f"{DB_FILE}{suffix}")
    settings = Settings(data_dir=data, secret_key=KEY, sensor_id="lab-1")
    store = open_store(settings.store())
    try:
        yield Lab(settings, store, dict(tokens), reports)
    finally:
        store.close()


@pytest.fixture
def app(lab):
    return create_app(lab.settings, lab.store)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def pg_lab(pg_server, tmp_path):  # noqa: F811
    """A filled store in a fresh PostgreSQL schema (skipped when the server is unreachable)."""
    if pg_server is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    settings = Settings(data_dir=tmp_path, database_url=pg_server.url(pg_server.new_schema()), secret_key=KEY)
    migrate.upgrade(settings.store())
    store = open_store(settings.store())
    try:
        yield Lab(settings, store, *fill(store))
    finally:
        store.close()


@contextmanager
def serve(app, startup_timeout: float = 10.0):
    """Run `app` under uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def live(lab):
    """A real server with a quick live feed (polls every 0.1 s, heartbeat and token check every 0.5 s)."""
    with serve(create_app(lab.settings, lab.store, live=QUICK)) as url:
        yield url
