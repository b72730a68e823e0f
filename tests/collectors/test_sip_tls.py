"""SIP over TLS through the whole pipeline: real handshakes (Python's ssl), framed as TCP.

A user checks the signaling entry (version, SNI, cipher, certificate facts), weak_tls alerts naming
the server, and a reconnect storm when many handshakes hit one server in a short time."""
from __future__ import annotations

import datetime as dt
import ssl

import pytest

from tests.collectors.tls import NOW, client_context, make_cert, rsa_key, run_handshake, server_context
from tests.conftest import alert_pairs, analyze
from tests.synth.frames import Framer, Host, TcpFlow
from tests.synth.pcapio import write_pcap

PHONE = Host("10.8.0.21", "00:04:f2:11:22:33")       # a Polycom OUI
PBX = Host("10.8.0.1", "02:00:00:00:08:01")
T0 = NOW.timestamp()       # certificates are judged at capture time


def tls_frames(handshake, cport: int, sport: int = 5061, t0: float = T0, client=PHONE) -> list:
    flow = TcpFlow(Framer(), client, PBX, cport, sport, cport)
    frames = flow.open(t0)
    for n, (who, data) in enumerate(handshake.events):
        frames += flow.send(t0 + 0.01 * (n + 1), who == "client", data, 1200)
    return frames


def analyze_tls(tmp_path, *handshakes, port=5061) -> dict:
    frames = []
    for n, hs in enumerate(handshakes):
        frames += tls_frames(hs, 40000 + n, port, T0 + n * 0.1)
    return analyze(write_pcap(tmp_path / "tls.pcap", sorted(frames, key=lambda f: f[0])))


def tls12(cert_key=None, sni="pbx.example.com", **cert):
    key = cert_key or rsa_key()
    server = server_context([make_cert(key, **cert)], key, maximum=ssl.TLSVersion.TLSv1_2)
    return run_handshake(client_context(maximum=ssl.TLSVersion.TLSv1_2), server, sni=sni)


def test_tls12_signaling_shows_the_certificate(tmp_path):
    report = analyze_tls(tmp_path, tls12())
    [session] = report["signaling"]
    assert (session["transport"], session["client"], session["server"], session["server_port"]) == \
        ("tls", PHONE.ip, PBX.ip, 5061)
    tls = session["tls"]
    assert tls["version"] == "TLS 1.2" and tls["sni"] == "pbx.example.com" and tls["cipher"].startswith("TLS_")
    cert = tls["certificate"]
    assert "CN=pbx.example.com" in cert["subject"] and cert["self_signed"] and cert["key_bits"] == 2048
    assert not cert["wildcard"]
    [alert] = [a for a in report["alerts"] if a["type"] == "weak_tls"]
    assert alert["endpoint"] == PBX.ip and any("self-signed" in e for e in alert["evidence"])
    assert ("cleartext_signaling", PHONE.ip) not in alert_pairs(report)


@pytest.mark.parametrize("cert, finding", [
    ({"not_after": NOW - dt.timedelta(days=1), "not_before": NOW - dt.timedelta(days=400)}, "expired"),
    ({"cert_key": rsa_key(1024)}, "short key"),
])
def test_certificate_problems_are_weak_tls(tmp_path, cert, finding):
    report = analyze_tls(tmp_path, tls12(**cert))
    [alert] = [a for a in report["alerts"] if a["type"] == "weak_tls"]
    assert alert["endpoint"] == PBX.ip and any(e.startswith(finding) for e in alert["evidence"]), alert["evidence"]


def test_wildcard_matters_only_for_phones_that_reject_it(tmp_path):
    """Polycom/Poly phones refuse wildcard certificates; a Yealink accepts them. The phone hides its
    SIP inside TLS: its MAC OUI alone names it as a hard phone of that vendor."""
    handshake = tls12(cn="*.example.com", sans=("*.example.com",))
    for mac, vendor, finding in (("00:04:f2:11:22:33", "Poly", True), ("80:5e:c0:11:22:33", "Yealink", False)):
        frames = tls_frames(handshake, 40000, client=Host(PHONE.ip, mac))
        report = analyze(write_pcap(tmp_path / f"{vendor}.pcap", frames))
        assert report["signaling"][0]["tls"]["certificate"]["wildcard"]
        phone = {e["ip"]: e for e in report["endpoints"]}[PHONE.ip]
        assert (phone["vendor"], phone["device_class"]) == (vendor, "hard_phone")
        evidence = [e for a in report["alerts"] if a["type"] == "weak_tls" for e in a["evidence"]]
        assert any("wildcard" in e and vendor in e for e in evidence) is finding


def test_old_tls_version_is_serious(tmp_path):
    key = rsa_key()
    server = server_context([make_cert(key)], key, minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1)
    try:
        handshake = run_handshake(client_context(minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1), server)
    except ssl.SSLError as exc:
        pytest.skip(f"this OpenSSL refuses TLS 1.0: {exc}")
    if handshake.error:
        pytest.skip(f"this OpenSSL refuses TLS 1.0: {handshake.error}")
    report = analyze_tls(tmp_path, handshake)
    assert report["signaling"][0]["tls"]["version"] == "TLS 1.0"
    [alert] = [a for a in report["alerts"] if a["type"] == "weak_tls"]
    assert alert["severity"] == "high" and any("below TLS 1.2" in e for e in alert["evidence"])


def test_tls13_hides_the_certificate(tmp_path):
    key = rsa_key()
    report = analyze_tls(tmp_path, run_handshake(client_context(), server_context([make_cert(key)], key)))
    tls = report["signaling"][0]["tls"]
    assert tls["version"] == "TLS 1.3" and tls["certificate"] is None
    assert not [a for a in report["alerts"] if a["type"] == "weak_tls"]


def test_https_on_443_is_not_sip(tmp_path):
    report = analyze_tls(tmp_path, tls12(cn="www.example.com", sans=("www.example.com",), sni="www.example.com"),
                         port=443)
    assert report["signaling"] == [] and report["alerts"] == []


def test_reconnect_storm(tmp_path):
    key = rsa_key()
    server = server_context([make_cert(key)], key)
    handshake = run_handshake(client_context(), server)
    report = analyze_tls(tmp_path, *[handshake] * 25)          # 25 connections in 2.5 s
    [storm] = [a for a in report["alerts"] if a["type"] == "tls_reconnect_storm"]
    assert storm["endpoint"] == PBX.ip and "25 TLS handshakes" in storm["summary"] or "TLS handshakes" in storm["summary"]
    assert len(report["signaling"]) == 25


def test_a_few_reconnects_are_no_storm(tmp_path):
    key = rsa_key()
    handshake = run_handshake(client_context(), server_context([make_cert(key)], key))
    report = analyze_tls(tmp_path, *[handshake] * 5)
    assert not [a for a in report["alerts"] if a["type"] == "tls_reconnect_storm"]
