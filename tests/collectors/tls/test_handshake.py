"""Real handshakes between Python's ssl client and server, fed to TlsSession in random pieces."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ssl

import pytest
from cryptography.hazmat.primitives import hashes
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.tls import TlsSession, problems, weak_cipher
from collectors.tls.handshake import HELLO_RETRY_RANDOM
from collectors.tls.names import cipher_name
from tests.collectors.tls import (NOW, SIP_REQUEST, client_context, der, ec_key, feed_events, make_cert,
                                  resign_rsa, rsa_key, run_handshake, server_context)

TLS10, TLS12, TLS13 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
SIZES = st.lists(st.integers(1, 600), min_size=1, max_size=6)


def tls12(chain, key, **kw):
    return run_handshake(client_context(maximum=TLS12, alpn=["sip"]),
                         server_context(chain, key, maximum=TLS12, alpn=["sip"], **kw))


@functools.cache
def handshake(kind: str):
    if kind == "tls12":
        return tls12([make_cert()], rsa_key())
    if kind == "tls13":
        return run_handshake(client_context(alpn=["sip", "h2"]), server_context([make_cert()], rsa_key(),
                                                                                alpn=["sip"]))
    if kind == "hrr":        # the client's key share is X25519, the server only takes P-256
        return run_handshake(client_context(), server_context([make_cert()], rsa_key(), groups="prime256v1"))
    if kind == "big":        # a Certificate message larger than one record
        sans = [f"phone-{n:04d}.sites.example.com" for n in range(700)]
        return tls12([make_cert(sans=sans)], rsa_key())
    raise KeyError(kind)


def session_of(hs, sizes=()) -> TlsSession:
    session = TlsSession()
    feed_events(session, hs.events, sizes)
    return session


def check_common(hs, got):
    assert got.version == {"TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3", "TLSv1": "TLS 1.0"}[hs.version]
    assert got.cipher == cipher_name(hs.cipher_code) and not got.cipher.startswith("0x")
    assert got.sni == "pbx.example.com" and got.errors == 0 and got.complete


@settings(max_examples=40, deadline=None)
@given(sizes=SIZES)
def test_tls12_in_any_pieces(sizes):
    hs = handshake("tls12")
    session = session_of(hs, sizes)
    got = session.info()
    check_common(hs, got)
    assert got.alpn == hs.alpn == "sip" and got.offered_alpn == ("sip",)
    assert got.offered_versions == ("TLS 1.2",) and got.cipher in got.offered_ciphers
    assert not got.certificate_hidden and got.chain_length == 1 and got.alert is None
    cert = got.certificate
    assert cert.subject == "O=Example PBX,CN=pbx.example.com" and cert.self_signed
    assert (cert.key_type, cert.key_bits, cert.signature_hash) == ("RSA", 2048, "sha256")
    assert [p.split(":")[0] for p in problems(cert, NOW)] == ["self-signed"]
    assert session.handshakes_seen == 1 and session.done and session.buffered == 0


@settings(max_examples=40, deadline=None)
@given(sizes=SIZES)
def test_tls13_hides_the_certificate(sizes):
    hs = handshake("tls13")
    got = session_of(hs, sizes).info()
    check_common(hs, got)
    assert got.cipher.startswith("TLS_AES_") or got.cipher.startswith("TLS_CHACHA20")
    assert got.offered_versions[0] == "TLS 1.3" and "TLS 1.2" in got.offered_versions
    assert got.certificate is None and got.certificate_hidden and got.chain_length == 0
    assert got.alpn is None and got.offered_alpn == ("sip", "h2") and hs.alpn == "sip"


def test_tls13_hello_retry_request_shows_two_client_hellos():
    hs = handshake("hrr")
    if HELLO_RETRY_RANDOM not in hs.side("server"):
        pytest.skip("this OpenSSL client already offered a P-256 key share: no HelloRetryRequest")
    session = session_of(hs)
    check_common(hs, session.info())
    assert session.handshakes_seen == 2 == session.info().handshakes


@settings(max_examples=15, deadline=None)
@given(sizes=SIZES)
def test_certificate_message_spanning_records(sizes):
    hs = handshake("big")
    assert len(hs.side("server")) > 2 ** 14
    got = session_of(hs, sizes).info()
    check_common(hs, got)
    assert len(got.certificate.dns_names) == 700 and not got.certificate.wildcard


@pytest.mark.parametrize("kind", ["tls12", "tls13", "hrr"])
@pytest.mark.parametrize("first", ["client", "server"])
def test_directions_fed_one_after_the_other(kind, first):
    hs = handshake(kind)
    session = TlsSession()
    for who in (first, "server" if first == "client" else "client"):
        (session.feed_client if who == "client" else session.feed_server)(hs.side(who))
    check_common(hs, session.info())


def _cert_case(case: str):
    key = rsa_key()
    if case == "rsa1024":
        return [make_cert(rsa_key(1024))], rsa_key(1024), ["self-signed", "short key"]
    if case == "expired":
        cert = make_cert(not_before=NOW - dt.timedelta(days=800), not_after=NOW - dt.timedelta(days=10))
        return [cert], key, ["expired", "self-signed"]
    if case == "wildcard":
        return [make_cert(cn="*.example.com", sans=("*.example.com",))], key, ["self-signed", "wildcard"]
    if case == "sha1":
        return [resign_rsa(make_cert(), key, hashes.SHA1())], key, ["self-signed", "weak signature"]
    if case == "ec-p256":
        return [make_cert(ec_key())], ec_key(), ["self-signed"]
    ca_key = rsa_key(2048, 1)
    ca = make_cert(ca_key, cn="Example Root CA", sans=())
    return [make_cert(issuer=ca.subject, issuer_key=ca_key), ca], key, []


@pytest.mark.parametrize("case", ["rsa1024", "expired", "wildcard", "sha1", "ec-p256", "ca-chain"])
def test_certificates_seen_in_tls12(case):
    chain, key, expected = _cert_case(case)
    hs = tls12(chain, key)
    got = session_of(hs, [97]).info()
    check_common(hs, got)
    assert got.chain_length == len(chain)
    assert got.certificate.sha256 == hashlib.sha256(der(chain[0])).hexdigest()
    assert [p.split(":")[0] for p in problems(got.certificate, NOW)] == expected
    if case == "ec-p256":
        assert "_ECDSA_" in got.cipher and got.certificate.key_type == "EC"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated:DeprecationWarning")
def test_tls10_cbc():
    hs = run_handshake(client_context(minimum=TLS10, maximum=TLS10),
                       server_context([make_cert()], rsa_key(), minimum=TLS10, maximum=TLS10))
    got = session_of(hs, [50]).info()
    check_common(hs, got)
    assert got.version == "TLS 1.0" and "_CBC_SHA" in got.cipher


def _pinned(cipher: str, with_cert: bool = True):
    try:
        client = client_context(maximum=TLS12, ciphers=f"{cipher}:@SECLEVEL=0")
        server = server_context([make_cert()] if with_cert else None, rsa_key() if with_cert else None,
                                maximum=TLS12, ciphers=f"{cipher}:@SECLEVEL=0")
    except ssl.SSLError as exc:
        pytest.skip(f"this OpenSSL build cannot negotiate {cipher}: {exc}")
    return run_handshake(client, server)


def test_null_cipher_is_reported_as_cleartext():
    hs = _pinned("NULL-SHA256")
    got = session_of(hs).info()
    check_common(hs, got)
    assert got.cipher == "TLS_RSA_WITH_NULL_SHA256" and "cleartext" in weak_cipher(got.cipher)
    assert SIP_REQUEST in hs.side("client")           # really in clear on the wire


def test_anonymous_key_exchange_has_no_certificate():
    hs = _pinned("AECDH-AES128-SHA", with_cert=False)
    got = session_of(hs, [7]).info()
    check_common(hs, got)
    assert got.cipher == "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" and "anonymous" in weak_cipher(got.cipher)
    assert got.certificate is None and got.chain_length == 0 and not got.certificate_hidden


@pytest.mark.parametrize("maximum", [TLS12, TLS13])
def test_rejected_certificate_shows_the_clients_alert(maximum):
    other_ca = make_cert(rsa_key(2048, 1), cn="Other CA")
    hs = run_handshake(client_context(maximum=maximum, trust=other_ca),
                       server_context([make_cert()], rsa_key(), maximum=maximum))
    assert "CERTIFICATE_VERIFY_FAILED" in hs.error
    got = session_of(hs).info()
    assert got.alert == "fatal unknown_ca" and not got.complete and got.errors == 0
    assert got.sni == "pbx.example.com"


def test_bytes_after_the_handshake_are_not_parsed():
    session = session_of(handshake("tls12"))
    assert session.done
    session.feed_client(b"garbage" * 1000)
    session.feed_server(b"\x16\x03\x03\xff\xff")
    assert session.info().errors == 0 and session.buffered == 0


def test_nothing_seen_yet():
    got = TlsSession().info()
    assert (got.version, got.sni, got.cipher, got.alpn, got.certificate) == (None,) * 5
    assert got.offered_versions == () and not got.complete and got.errors == 0
