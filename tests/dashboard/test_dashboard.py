"""The NOC dashboard in Debian's chromium (headless, Playwright) against a real uvicorn server over a
store filled with the lab's recorded real-client calls: sign-in, the alert feed and its filters,
acknowledge (operator) and the viewer's refusal, the pcap evidence, a new alert arriving live while
the page is open, the views, and the page's security (no request off the machine, the security
headers, attacker-controlled SIP text shown as text). Waits are bounded; nothing asserts a time."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from appliance.store import switches
from appliance.store.importer import import_captures
from tests.dashboard.conftest import CHROMIUM, LAB, sign_in

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a"}
ROWS = "#alerts-table tbody tr"


def api(server: str, lab, identity: str = "admin") -> httpx.Client:
    return httpx.Client(base_url=server, headers=lab.headers(identity), timeout=10)


def all_alerts(server: str, lab, **params) -> list[dict]:
    with api(server, lab) as http:
        return http.get("/api/v1/alerts", params={"limit": 500, **params}).json()["items"]


def shown_ids(page) -> list[int]:
    return [int(i) for i in page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.id)")]


def wait_rows(page, count: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('#alerts-table tbody tr').length === n", arg=count)


# -- signing in --------------------------------------------------------------------------------------
def test_a_bad_token_is_refused_with_a_message_and_a_good_one_signs_in(server, lab, page, shot):
    page.goto(server + "/")
    page.fill("input[name=token]", "not-a-token-at-all")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:has-text('refused')")
    assert "unknown or revoked" in page.text_content("#login-error")
    assert page.is_hidden("#app")
    shot(page, "refused")

    page.fill("input[name=token]", lab.tokens["viewer"])
    page.click("#login-submit")
    page.wait_for_selector("#app:not(.hidden)")
    assert page.text_content("#whoami") == "viewer-user (viewer)"
    assert page.text_content("#login-error") == ""
    assert page.evaluate("sessionStorage.getItem('voip-monitor-token')") == lab.tokens["viewer"]
    page.reload()                                         # the token survives a reload of the tab
    page.wait_for_selector("#app:not(.hidden)")
    page.click("#logout")
    page.wait_for_selector("#login:not(.hidden)")
    assert page.evaluate("sessionStorage.getItem('voip-monitor-token')") is None
    assert not page.errors


def test_a_revoked_token_is_refused(server, lab, page):
    page.goto(server + "/")
    page.fill("input[name=token]", lab.tokens["revoked"])
    page.click("#login-submit")
    page.wait_for_selector("#login-error:has-text('refused')")
    assert page.is_hidden("#app")


# -- the alert feed ----------------------------------------------------------------------------------
def test_alerts_are_listed_with_severity_endpoint_device_and_reason(server, lab, page, shot):
    alerts = all_alerts(server, lab)
    assert alerts
    sign_in(page, server, lab.tokens["viewer"])
    wait_rows(page, len(alerts))
    assert shown_ids(page) == [a["id"] for a in alerts]               # newest first, as the API
    first = page.locator(ROWS).first
    cells = first.locator("td").all_text_contents()
    newest = alerts[0]
    assert cells[1] == newest["severity"] and cells[2] == newest["type"] and cells[3] == newest["endpoint"]
    assert cells[4] == newest["device_class"] and cells[5] == newest["summary"]
    page.wait_for_selector("#chart svg rect.bar")                     # the media chart is drawn
    assert page.locator("#chart rect.bar.enc").count() and page.locator("#chart rect.bar.clear").count()
    shot(page, "alerts")


def test_filters_narrow_the_feed(server, lab, page, shot):
    alerts = all_alerts(server, lab)
    sign_in(page, server, lab.tokens["viewer"])
    wait_rows(page, len(alerts))

    downgrades = [a["id"] for a in alerts if a["type"] == "srtp_downgrade"]
    assert downgrades and len(downgrades) < len(alerts)
    page.select_option("#f-type", "srtp_downgrade")
    wait_rows(page, len(downgrades))
    assert shown_ids(page) == downgrades
    shot(page, "type")

    page.click("#f-clear")
    wait_rows(page, len(alerts))
    severity = alerts[-1]["severity"]
    page.select_option("#f-severity", severity)
    wait_rows(page, sum(a["severity"] == severity for a in alerts))
    assert set(page.locator(f"{ROWS} td:nth-child(2)").all_text_contents()) == {severity}

    page.click("#f-clear")
    wait_rows(page, len(alerts))
    endpoint = alerts[0]["endpoint"]
    page.fill("#f-endpoint", endpoint)
    expected = [a["id"] for a in alerts if endpoint in (a["endpoint"], a["peer"] or "")]
    wait_rows(page, len(expected))
    assert shown_ids(page) == expected

    page.fill("#f-endpoint", "192.0.2.")                              # no such endpoint
    wait_rows(page, 0)
    page.fill("#f-endpoint", "")
    page.select_option("#f-state", "resolved")                        # nothing is resolved yet
    wait_rows(page, 0)
    assert page.text_content("#alerts-count") == "0 shown"


def test_alert_detail_shows_evidence_and_the_streams_figures(server, lab, page, shot):
    alert = next(a for a in all_alerts(server, lab) if a["type"] == "cleartext_media" and a["stream"])
    sign_in(page, server, lab.tokens["viewer"])
    page.click(f"{ROWS}[data-id='{alert['id']}']")
    page.wait_for_selector("#alert-detail:not(.hidden)")
    assert page.locator("#d-evidence li").all_text_contents() == alert["evidence"]
    page.wait_for_selector("#d-stream dt:has-text('Verdict')")
    stream_text = page.text_content("#d-stream")
    assert "cleartext" in stream_text and "Packets" in stream_text
    assert f"{alert['endpoint']}:" in stream_text
    shot(page, "detail")


# -- acting on alerts --------------------------------------------------------------------------------
def test_an_operator_acknowledges_and_resolves(server, lab, page, shot):
    alert = next(a for a in all_alerts(server, lab, state="open"))
    sign_in(page, server, lab.tokens["operator"])
    page.click(f"{ROWS}[data-id='{alert['id']}']")
    assert page.is_enabled("#d-ack") and page.is_enabled("#d-resolve")
    page.click("#d-ack")
    page.wait_for_selector("#d-message:has-text('Acknowledged.')")
    page.wait_for_selector(f"{ROWS}[data-id='{alert['id']}'] td:has-text('acknowledged')")
    shot(page, "acknowledged")
    with api(server, lab) as http:
        now = http.get(f"/api/v1/alerts/{alert['id']}").json()
    assert now["state"] == "acknowledged" and now["acknowledged_by"] == "operator-user"
    assert page.is_disabled("#d-ack")

    page.click("#d-resolve")
    page.wait_for_selector("#d-message:has-text('Resolved.')")
    with api(server, lab) as http:
        assert http.get(f"/api/v1/alerts/{alert['id']}").json()["state"] == "resolved"
    assert page.is_disabled("#d-ack") and page.is_disabled("#d-resolve")


def test_a_viewer_cannot_acknowledge(server, lab, page, shot):
    alert = next(a for a in all_alerts(server, lab, state="open"))
    sign_in(page, server, lab.tokens["viewer"])
    page.click(f"{ROWS}[data-id='{alert['id']}']")
    assert page.is_disabled("#d-ack") and page.is_disabled("#d-resolve")
    assert page.is_visible("#d-role-note")
    shot(page, "viewer")
    page.eval_on_selector("#d-ack", "b => { b.disabled = false; }")   # forced: the API still refuses
    page.click("#d-ack")
    page.wait_for_selector("#d-message:has-text('Not allowed for your token')")
    assert "operator role" in page.text_content("#d-message")
    with api(server, lab) as http:
        assert http.get(f"/api/v1/alerts/{alert['id']}").json()["state"] == "open"
    assert page.is_visible("#app")                                    # still signed in


def test_the_evidence_downloads_as_a_pcap(server, lab, page, tmp_path, shot):
    with api(server, lab) as http:
        alert = next(a for a in all_alerts(server, lab) if http.get(f"/api/v1/alerts/{a['id']}/pcap").status_code == 200)
    sign_in(page, server, lab.tokens["viewer"])
    page.click(f"{ROWS}[data-id='{alert['id']}']")
    with page.expect_download() as info:
        page.click("#d-pcap")
    download = info.value
    assert download.suggested_filename == f"alert-{alert['id']}.pcap"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data[:4] in PCAP_MAGICS and len(data) > 24
    page.wait_for_selector("#d-message:has-text('Evidence downloaded')")
    shot(page, "pcap")


def test_an_alert_without_evidence_says_so(server, lab, page):
    with api(server, lab) as http:
        alert = next((a for a in all_alerts(server, lab) if http.get(f"/api/v1/alerts/{a['id']}/pcap").status_code == 404),
                     None)
    if alert is None:
        pytest.skip("every lab alert has evidence frames")
    sign_in(page, server, lab.tokens["viewer"])
    page.click(f"{ROWS}[data-id='{alert['id']}']")
    page.click("#d-pcap")
    page.wait_for_selector("#d-message:has-text('No evidence frames')")


# -- live ----------------------------------------------------------------------------------------------
def test_a_new_alert_appears_live_while_the_page_is_open(server, lab, page, shot):
    before = all_alerts(server, lab)
    sign_in(page, server, lab.tokens["viewer"])
    wait_rows(page, len(before))
    shot(page, "before")
    report = import_captures(lab.store, "lab-3", [str(LAB / "tls-rtp.pcap")])    # a new sensor: new alerts
    assert report["alerts"]
    newest = max(a["id"] for a in before)
    page.wait_for_selector(f"{ROWS}.fresh", timeout=20_000)
    after = all_alerts(server, lab)
    added = [a for a in after if a["id"] > newest]
    assert added and all(a["sensor"] == "lab-3" for a in added)
    wait_rows(page, len(after))                                       # every new alert, no reload
    assert shown_ids(page) == [a["id"] for a in after]
    fresh = page.eval_on_selector_all(f"{ROWS}.fresh", "rows => rows.map(r => Number(r.dataset.id))")
    assert set(fresh) <= {a["id"] for a in added}
    shot(page, "after")


# -- the other views ------------------------------------------------------------------------------------
def test_endpoints_calls_streams_and_sensors_views(server, lab, page, shot):
    sign_in(page, server, lab.tokens["viewer"])
    with api(server, lab) as http:
        endpoints = http.get("/api/v1/endpoints", params={"limit": 500}).json()
        calls = http.get("/api/v1/calls", params={"limit": 500}).json()
        streams = http.get("/api/v1/streams", params={"limit": 500}).json()
        sensors = http.get("/api/v1/sensors").json()

    page.click(".tab[data-view=endpoints]")
    page.wait_for_function("n => document.querySelectorAll('#endpoints-table tbody tr').length === n",
                           arg=len(endpoints["items"]))
    phone = endpoints["items"][0]
    row = page.locator(f"#endpoints-table tbody tr[data-ip='{phone['ip']}']").first
    text = row.text_content()
    assert phone["device_class"] in text
    tls = {True: "TLS", False: "cleartext", None: "unknown"}[phone["posture"]["signaling_tls"]]
    srtp = {True: "SRTP", False: "cleartext", None: "unknown"}[phone["posture"]["media_srtp"]]
    cells = row.locator("td").all_text_contents()
    assert cells[4] == tls and cells[5] == srtp
    shot(page, "endpoints")

    page.click(".tab[data-view=calls]")
    page.wait_for_function("n => document.querySelectorAll('#calls-table tbody tr').length === n", arg=len(calls["items"]))
    assert calls["items"][0]["call_id"] in page.locator("#calls-table tbody tr").first.text_content()
    shot(page, "calls")

    page.click(".tab[data-view=streams]")
    page.wait_for_function("n => document.querySelectorAll('#streams-table tbody tr').length === n",
                           arg=len(streams["items"]))
    shot(page, "streams")

    page.click(".tab[data-view=sensors]")
    page.wait_for_function("n => document.querySelectorAll('#sensors-table tbody tr').length === n", arg=len(sensors))
    texts = page.locator("#sensors-table tbody tr").all_text_contents()
    assert all("pkt/s" in t for t in texts)
    assert page.locator("#sensors-table tbody td:first-child").all_text_contents() == [s["id"] for s in sensors]
    shot(page, "sensors")
    assert not page.errors


def _switches(lab) -> None:
    """Two switches in the store the way `span apply` leaves them: one with the appliance's session
    applied (recorded with who and when), one registered only."""
    with lab.store.session() as session:
        core = switches.add_switch(session, "core-1", "cisco_ios", "192.0.2.10", username="noc",
                                   credential_ref="env:CORE1_PASSWORD", created_by="api:admin-user")
        switches.record_span(session, core, {"name": "VOIPWATCH", "sources": ["Gi1/0/1:both", "Gi1/0/2:rx"],
                                             "source_vlans": ["20:rx"], "destination": "Gi1/0/48"},
                             "applied", "api:admin-user")
        switches.add_switch(session, "edge-2", "arista_eos", "192.0.2.11", username="noc",
                            credential_ref="env:EDGE2_PASSWORD", created_by="api:admin-user")


@pytest.mark.parametrize("answer", ["list", "empty"])
def test_span_sessions_view(server, lab, page, shot, answer):
    """What GET /api/v1/switches holds: each switch and the appliance's session on it, or none."""
    if answer == "list":
        _switches(lab)
    sign_in(page, server, lab.tokens["viewer"])
    page.click(".tab[data-view=span]")
    if answer == "list":
        expect(page.locator("#span-table tbody tr")).to_have_count(2)      # (no string eval: CSP forbids it)
        first = page.locator("#span-table tbody tr").first.locator("td").all_text_contents()
        assert first[:4] == ["core-1", "cisco_ios", "192.0.2.10:22", "noc"]
        assert first[4] == "Gi1/0/1:both, Gi1/0/2:rx" and first[5] == "20:rx" and first[6] == "Gi1/0/48"
        assert first[7] == "applied" and first[8] == "api:admin-user"
        assert "no SPAN session" in page.locator("#span-table tbody tr").nth(1).text_content()
    else:
        page.wait_for_selector("#span-empty:has-text('No switches configured')")
    assert page.text_content("#app-error") == ""
    shot(page, answer)


# -- the page's security ---------------------------------------------------------------------------------
def test_the_page_talks_only_to_the_appliance(server, lab, page):
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(request.url))
    sign_in(page, server, lab.tokens["operator"])
    page.locator(ROWS).first.click()
    page.wait_for_selector("#d-stream dt, #d-stream dd:not(:has-text('loading'))")
    for view in ("endpoints", "calls", "streams", "sensors", "span", "alerts"):
        page.click(f".tab[data-view={view}]")
        page.wait_for_load_state("networkidle") if view == "alerts" else page.wait_for_timeout(300)
    assert hosts
    for url in hosts:
        parts = urlsplit(url[len("blob:"):] if url.startswith("blob:") else url)
        assert parts.scheme in ("http", "data") and (parts.scheme == "data" or parts.hostname == "127.0.0.1"), url


def test_security_headers(server):
    with httpx.Client(base_url=server, timeout=10) as http:
        for path in ("/", "/dashboard/app.js", "/dashboard/style.css", "/dashboard/favicon.svg"):
            response = http.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        page = http.get("/").text
        assert "<script>" not in page and " style=" not in page and "//" not in page.replace("http://www.w3.org", "")
        assert http.get("/dashboard/../app.py").status_code == 404
        assert http.get("/dashboard/secret.txt").status_code == 404
        assert http.get("/dashboard/session").status_code == 401


def test_attacker_controlled_sip_text_is_shown_as_text(server, lab, page, tmp_path, shot):
    from tests.synth.capture import CallSpec, build_call
    evil = '<img src=x onerror="window.__pwned=1">'
    call = build_call(CallSpec(duration=1.0, user_agent=f"Evil{evil}", callee_user_agent="PBX<script>window.__pwned=2</script>",
                               caller_ip="10.66.0.1", callee_ip="10.66.0.2", seed=7))
    report = import_captures(lab.store, "evil", [str(call.write(tmp_path / "evil.pcap"))])
    assert report["alerts"]
    sign_in(page, server, lab.tokens["viewer"])
    page.fill("#f-endpoint", "10.66.0.")
    page.wait_for_function("() => document.querySelectorAll('#alerts-table tbody tr').length > 0")
    page.locator(ROWS).first.click()
    page.click(".tab[data-view=endpoints]")
    page.wait_for_selector("#endpoints-table tbody tr[data-ip='10.66.0.1']")
    cell = page.locator("#endpoints-table tbody tr[data-ip='10.66.0.1'] td").nth(3)
    assert cell.text_content() == f"Evil{evil}"
    shot(page, "escaped")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert not page.errors
