"""Issue 14's notification findings, each reproduced against a running `appliance serve` and shown
refused. The service allows only 127.0.0.2 (APPLIANCE_NOTIFY_ALLOW), where the test's receivers
listen; 127.0.0.1 plays the internal services (a "Redis", an "SSH") that must never be reached, with
a real listener recording anything that arrives there. Alerts are written to the service's store the
way a sensor (`appliance collect --store`) writes them, with hostile SIP-derived text in them.

    finding 2: a webhook's secret does not follow a change of destination (HEP chunk 14 to a new host)
    finding 3: SSRF destinations refused at creation (every spelling) and after DNS at delivery; redirects
    finding 4: wire text does not become links or markup in Slack, Teams, Alertmanager messages
    finding 7: the CLI takes no secret as an argument
    finding 8: deliveries signed per Standard Webhooks, checked by the `standardwebhooks` package"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import standardwebhooks
from markdown_it import MarkdownIt

from appliance.store import StoreSettings, open_store
from appliance.store.recorder import Recorder
from tests.conftest import APPLIANCE
from tests.notify.receivers import HttpReceiver, SyslogCollector, free_port
from tests.notify.test_hep import HepCollector, fields
from tests.store.helpers import policy_alert
from tests.conftest import wait_healthy

ALLOWED = "127.0.0.2"
HOSTILE_CALL_ID = "[Open-SSO-login](https://evil.example/sso)@x"
HOSTILE_UA = "Yealink <mailto:it@evil.example|Re-login> *URGENT* <!channel>"
HOSTILE_NAME = '"IT Helpdesk [verify](https://evil.example/v) <a href=https://evil.example>x</a>" <sip:1@x>'
HOSTILE_CODEC = "PCMU](https://evil.example/codec)"
FRAGMENTS = ("https://evil.example", "mailto:", "<!channel>", "<a href")


def _cli(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120,
                          input=stdin)


class Service:
    def __init__(self, tmp: Path):
        self.data = tmp / "data"
        self.env = {**os.environ, "APPLIANCE_DATA_DIR": str(self.data), "APPLIANCE_SENSOR_ID": "attack-lab",
                    "APPLIANCE_NOTIFY_ALLOW": f"{ALLOWED}/32"}
        self.env.pop("APPLIANCE_DATABASE_URL", None)
        self.env.pop("APPLIANCE_CONFIG", None)
        self.env["APPLIANCE_SECRET_KEY"] = _cli(self.env, "secret-key").stdout.strip()
        assert _cli(self.env, "db", "upgrade").returncode == 0
        self.tokens = {role: _cli(self.env, "token", "create", f"{role}-user", "--role", role).stdout.split()[-1]
                       for role in ("operator", "admin")}
        self.port = free_port()
        self.log = tmp / "serve.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(self.port)], env=self.env,
                                            stdout=subprocess.DEVNULL, stderr=log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=10)
        wait_healthy(f"http://127.0.0.1:{self.port}", self.process, timeout=30)
        self.store = open_store(StoreSettings(None, self.data))
        self.sensor = Recorder(self.store, "sensor-1")
        self.endpoints = iter(range(1, 250))

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def hook(self, role: str = "admin", **body) -> httpx.Response:
        return self.http.post("/webhooks", json=body, headers=self.as_(role))

    def alert(self, **fields) -> None:
        """What a sensor records; the service's dispatcher sends it to every enabled webhook."""
        self.sensor.alert(policy_alert(endpoint=f"10.9.0.{next(self.endpoints)}", first_seen=time.time(), **fields))

    def deliveries(self, hook_id: int) -> list[dict]:
        return self.http.get(f"/webhooks/{hook_id}/deliveries", headers=self.as_("operator")).json()

    def settled(self, hook_id: int, timeout: float = 30.0) -> list[dict]:
        """The hook's deliveries once none is pending (or once the timeout says the test failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.deliveries(hook_id)
            if rows and all(r["state"] != "pending" or r["last_error"] for r in rows):
                return rows
            time.sleep(0.1)
        return self.deliveries(hook_id)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.http.close()
        self.store.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    running = Service(tmp_path_factory.mktemp("attacks"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def victim():
    """An internal service on 127.0.0.1 (not allow-listed) that records any request reaching it."""
    server = HttpReceiver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver():
    server = HttpReceiver(host=ALLOWED)
    try:
        yield server
    finally:
        server.stop()


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _every_string(node, path=()):
    """(path, string) for every string in a JSON document; the path holds the enclosing objects."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _every_string(value, (*path, node))
    elif isinstance(node, list):
        for value in node:
            yield from _every_string(value, path)
    elif isinstance(node, str):
        yield path, node


# -- finding 2 --------------------------------------------------------------------------------------
def test_a_signed_hep_hook_moved_elsewhere_does_not_carry_its_secret(service):
    homer, elsewhere = HepCollector("udp", host=ALLOWED), HepCollector("udp", host=ALLOWED)
    try:
        created = service.hook(url=homer.url(), format="hep", secret="homer-password-41")
        assert created.status_code == 201 and created.json()["has_secret"] is True
        url = f"/webhooks/{created.json()['id']}"
        moved = service.http.patch(url, json={"url": elsewhere.url()}, headers=service.as_("operator"))
        assert moved.status_code == 403 and "admin" in moved.json()["detail"]          # the attack as found
        by_admin = service.http.patch(url, json={"url": elsewhere.url()}, headers=service.as_("admin"))
        assert by_admin.status_code == 200 and by_admin.json()["has_secret"] is False
        service.alert(call_id="move-1@lab")
        [packet] = elsewhere.wait(1)
        assert fields(packet)["auth"] is None and b"homer-password-41" not in packet
        assert homer.messages == []
    finally:
        homer.stop()
        elsewhere.stop()


# -- finding 3 --------------------------------------------------------------------------------------
SSRF = ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://2852039166/",
        "http://0xa9fea9fe/computeMetadata/v1/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
        "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./",
        "http://127.0.0.1:6379/", "http://0x7f000001:6379/", "http://localhost:8080/", "http://0:22/",
        "http://224.0.0.251:5353/", "hep+tcp://127.0.0.1:22", "syslog+udp://169.254.169.254:514"]


@pytest.mark.parametrize("url", SSRF)
def test_internal_destinations_are_refused_when_set(service, url):
    format = "hep" if url.startswith("hep") else "syslog" if url.startswith("syslog") else "generic"
    for role in ("operator", "admin"):
        refused = service.hook(role, url=url, format=format)
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "refused destination" in detail and "APPLIANCE_NOTIFY_ALLOW" in detail and "[notify] allow" in detail
    existing = service.hook(url=f"http://{ALLOWED}:9/ok", format="generic", enabled=False).json()
    changed = service.http.patch(f"/webhooks/{existing['id']}", json={"url": url, "format": format},
                                 headers=service.as_("admin"))
    assert changed.status_code == 422 and "refused destination" in changed.json()["detail"]


def test_a_name_resolving_to_loopback_is_refused_at_delivery(service, victim):
    """DNS rebinding: the name passes at creation (no address in it), and is refused once resolved."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, victim.port, type=socket.SOCK_STREAM)}
    except OSError:
        pytest.skip(f"the host name {name} does not resolve here")
    if not addresses or not all(a.startswith("127.") and a != ALLOWED for a in addresses):
        pytest.skip(f"the host name {name} does not resolve to loopback here ({addresses})")
    created = service.hook(url=f"http://{name}:{victim.port}/rebound", format="generic")
    assert created.status_code == 201, created.text
    service.alert(call_id="rebind-1@lab")
    [row] = service.settled(created.json()["id"])
    assert "refused destination" in row["last_error"] and "loopback" in row["last_error"]
    assert row["state"] in ("pending", "failed") and row["attempts"] >= 1
    assert victim.to("/rebound") == []
    assert "refused destination" in _wait(lambda: "refused destination" in service.log.read_text()
                                          and service.log.read_text())


def test_a_redirect_to_an_internal_address_is_not_followed(service, victim):
    redirector = HttpReceiver(answer=lambda n, r: (307, {"Location": victim.url("/redirected")}), host=ALLOWED)
    try:
        created = service.hook(url=redirector.url("/moved"), format="generic")
        service.alert(call_id="redirect-1@lab")
        [row] = service.settled(created.json()["id"])
        assert row["last_error"].startswith("HTTP 307") and len(redirector.to("/moved")) >= 1
        assert victim.to("/redirected") == []
    finally:
        redirector.stop()


def test_syslog_and_hep_to_refused_addresses_never_leave(service):
    """Rows written straight to the store (as an older version could have) are refused at delivery."""
    from appliance.store import queries
    internal = SyslogCollector("udp")                                    # on 127.0.0.1: not allowed
    try:
        with service.store.session() as session:
            hook = queries.create_webhook(session, None, internal.url(), "syslog").id
        service.alert(call_id="siem-1@lab")
        [row] = service.settled(hook)
        assert "refused destination 127.0.0.1" in row["last_error"]
        assert internal.messages == []
    finally:
        internal.stop()


# -- finding 4 --------------------------------------------------------------------------------------
def test_wire_text_stays_text_in_chat_messages(service, receiver):
    hooks = {fmt: service.hook(url=receiver.url(f"/{fmt}"), format=fmt).json()["id"]
             for fmt in ("slack", "teams", "alertmanager")}
    service.alert(call_id=HOSTILE_CALL_ID,
                  summary=f"cleartext RTP ({HOSTILE_CODEC}) from {HOSTILE_NAME} using {HOSTILE_UA}",
                  evidence=(f"User-Agent: {HOSTILE_UA}", f"From: {HOSTILE_NAME}", f"codec: {HOSTILE_CODEC}"))
    paths = {"slack": "/slack", "teams": "/teams", "alertmanager": "/alertmanager/api/v2/alerts"}   # its API path
    assert _wait(lambda: all(receiver.to(paths[fmt]) for fmt in hooks)), service.log.read_text()[-2000:]
    slack, teams, am = (json.loads(receiver.to(paths[fmt])[0].body) for fmt in ("slack", "teams", "alertmanager"))

    # Slack: wire text only in plain_text objects; the fallback text has no <...> control sequence
    for path, text in _every_string(slack["blocks"]):
        if any(f in text for f in FRAGMENTS) or "Open-SSO-login" in text:
            assert path[-1].get("type") == "plain_text", (path[-1], text)
    assert "<" not in slack["text"] and ">" not in slack["text"] and "](" not in slack["text"]
    assert (slack["mrkdwn"], slack["unfurl_links"], slack["unfurl_media"]) == (False, False, False)
    assert HOSTILE_CALL_ID in json.dumps(slack["blocks"], ensure_ascii=False)       # shown, as typed

    # Teams: wire text only in TextRuns (never read as markdown); no TextBlock or FactSet carries it
    card = teams["attachments"][0]["content"]
    seen = 0
    for path, text in _every_string(card["body"]):
        if any(f in text for f in FRAGMENTS) or "Open-SSO-login" in text:
            assert path[-1]["type"] == "TextRun", (path[-1], text)
            seen += 1
    assert seen >= 3 and not any(b["type"] in ("TextBlock", "FactSet") for b in card["body"])
    assert "actions" not in card                              # no external URL configured: no button at all

    # Alertmanager: annotations render with no link or tag in a markdown/HTML template
    markdown = MarkdownIt("commonmark", {"linkify": False})
    for name, value in am[0]["annotations"].items():
        html = markdown.render(value)
        assert "<a " not in html and "<mailto" not in value and "<a href" not in value, (name, html)
    assert "Open-SSO-login" in am[0]["annotations"]["call_id"]


# -- finding 7 --------------------------------------------------------------------------------------
def test_the_cli_takes_no_secret_as_an_argument(service, receiver):
    refused = _cli(service.env, "webhook", "add", receiver.url("/cli"), "--secret", "on-the-command-line")
    assert refused.returncode == 2
    assert "--secret-env" in refused.stderr and "--secret-file" in refused.stderr and "ps" in refused.stderr
    listing = _cli(service.env, "webhook", "list").stdout
    assert receiver.url("/cli") not in listing
    refused_ssrf = _cli(service.env, "webhook", "add", "http://169.254.169.254/", "--secret-env", "HOME")
    assert refused_ssrf.returncode != 0 and "refused destination" in refused_ssrf.stderr


# -- finding 8 (and 7: the secret comes in on stdin) ------------------------------------------------
def test_deliveries_are_signed_per_standard_webhooks(service, receiver):
    secret = _cli(service.env, "webhook", "new-secret").stdout.strip()
    assert secret.startswith("whsec_")
    added = _cli(service.env, "webhook", "add", receiver.url("/signed"), "--secret-file", "-", stdin=secret + "\n")
    assert added.returncode == 0, added.stderr
    listed = service.http.get("/webhooks", headers=service.as_("admin"))
    assert secret not in listed.text and secret[6:] not in listed.text          # write-only
    assert secret not in _cli(service.env, "webhook", "list").stdout
    service.alert(call_id="signed-1@lab")
    [request] = _wait(lambda: receiver.to("/signed"))
    verifier = standardwebhooks.Webhook(secret)
    assert verifier.verify(request.body, request.headers)["call_id"] == "signed-1@lab"
    altered = request.body.replace(b"signed-1@lab", b"signed-2@lab")
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verifier.verify(altered, request.headers)
    restamped = {**request.headers, "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) + 60)}
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):        # a replay given a fresh time
        verifier.verify(request.body, restamped)
