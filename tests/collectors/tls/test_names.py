"""Version and cipher-suite names against two independent references: scapy's copy of the IANA
registry and the suites the local OpenSSL can negotiate."""
from __future__ import annotations

import ssl

import pytest
from scapy.layers.tls.crypto.suites import _tls_cipher_suites as SCAPY_SUITES

from collectors.tls.names import (CIPHER_SUITES, alert_name, cipher_name, is_grease, version_name,
                                  weak_cipher)


def test_names_agree_with_scapys_registry():
    shared = set(CIPHER_SUITES) & set(SCAPY_SUITES)
    assert len(shared) > 200
    assert {c: CIPHER_SUITES[c] for c in shared} == {c: SCAPY_SUITES[c] for c in shared}


def test_every_suite_openssl_can_negotiate_has_a_name():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    missing = {c["name"] for c in ctx.get_ciphers() if c["id"] & 0xFFFF not in CIPHER_SUITES}
    assert not missing


@pytest.mark.parametrize("code, name", [
    (0x1301, "TLS_AES_128_GCM_SHA256"), (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"), (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"), (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"), (0x0000, "TLS_NULL_WITH_NULL_NULL"),
    (0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"), (0x5600, "TLS_FALLBACK_SCSV"), (0xABCD, "0xABCD"),
])
def test_cipher_name(code, name):
    assert cipher_name(code) == name


@pytest.mark.parametrize("code, name", [
    (0x0300, "SSL 3.0"), (0x0301, "TLS 1.0"), (0x0302, "TLS 1.1"), (0x0303, "TLS 1.2"),
    (0x0304, "TLS 1.3"), (0x7F1C, "TLS 1.3 draft 28"), (0xFEFD, "DTLS 1.2"), (0x0305, "0x0305"),
])
def test_version_name(code, name):
    assert version_name(code) == name


@pytest.mark.parametrize("name, reason", [
    ("TLS_RSA_WITH_NULL_SHA256", "NULL"), ("TLS_NULL_WITH_NULL_NULL", "NULL"),
    ("TLS_ECDHE_ECDSA_WITH_NULL_SHA", "NULL"), ("TLS_SHA256_SHA256", "NULL"),
    ("TLS_DH_anon_WITH_AES_128_GCM_SHA256", "anonymous"), ("TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "anonymous"),
    ("TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", "anonymous"), ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", "export"),
    ("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "export"), ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", "RC4"),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "3DES"), ("TLS_DHE_RSA_WITH_DES_CBC_SHA", "DES"),
    ("TLS_RSA_WITH_RC4_128_MD5", "RC4"), ("TLS_KRB5_WITH_IDEA_CBC_MD5", "MD5"),
])
def test_weak_cipher_reasons(name, reason):
    assert reason.lower() in weak_cipher(name).lower()


@pytest.mark.parametrize("name", [
    "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA", "0xABCD",
])
def test_strong_ciphers_have_no_reason(name):
    assert weak_cipher(name) is None


def test_every_weak_family_in_the_table_is_flagged():
    for name in CIPHER_SUITES.values():
        if any(m in name for m in ("NULL", "_anon_", "EXPORT", "RC4", "DES", "_MD5")):
            assert weak_cipher(name), name


def test_grease_and_alerts():
    assert all(is_grease(v * 0x1010 + 0x0A0A) for v in range(16))
    assert not any(is_grease(c) for c in (0x0A1A, 0x0303, 0x1301, 0xC02F, 0x0A0B))
    assert alert_name(48) == "unknown_ca" and alert_name(250) == "alert 250"
