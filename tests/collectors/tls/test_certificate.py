"""Certificate facts and findings, on certificates made here with `cryptography`."""
from __future__ import annotations

import datetime as dt
import functools
import warnings

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.tls.certificate import CertInfo, parse_certificate, problems
from tests.collectors.tls import NOW, der, ec_key, make_cert, name, resign_rsa, rsa_key


def info(cert) -> CertInfo:
    parsed = parse_certificate(der(cert))
    assert parsed is not None
    return parsed


def kinds(cert, **kw) -> list[str]:
    return [p.split(":")[0] for p in problems(info(cert), NOW, **kw)]


def test_self_signed_rsa_2048():
    got = info(make_cert(not_before=dt.datetime(2025, 1, 2, 3, 4, 5), not_after=dt.datetime(2026, 1, 2)))
    assert got.subject == got.issuer == "O=Example PBX,CN=pbx.example.com"
    assert (got.not_before, got.not_after) == ("2025-01-02T03:04:05Z", "2026-01-02T00:00:00Z")
    assert (got.key_type, got.key_bits, got.signature_hash) == ("RSA", 2048, "sha256")
    assert got.self_signed and not got.wildcard and got.dns_names == ("pbx.example.com",)
    assert len(got.sha256) == 64
    assert kinds(make_cert()) == ["self-signed"]


def test_short_rsa_key():
    assert info(make_cert(rsa_key(1024))).key_bits == 1024
    assert kinds(make_cert(rsa_key(1024))) == ["self-signed", "short key"]
    assert "1024" in problems(info(make_cert(rsa_key(1024))), NOW)[1]
    assert kinds(make_cert(), weak_key_bits=3072) == ["self-signed", "short key"]


def test_expired_and_not_yet_valid():
    expired = make_cert(not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1))
    future = make_cert(not_before=NOW + dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=400))
    assert kinds(expired)[0] == "expired"
    assert kinds(future)[0] == "not yet valid"
    naive_now = NOW.replace(tzinfo=None) + dt.timedelta(days=500)
    assert problems(info(make_cert()), naive_now)[0].startswith("expired")


def test_wildcard_in_a_san_or_only_in_the_cn():
    in_san = info(make_cert(sans=("pbx.example.com", "*.voip.example.com")))
    in_cn = info(make_cert(cn="*.example.com", sans=()))
    assert in_san.wildcard and in_cn.wildcard and in_cn.dns_names == ()
    assert any("*.voip.example.com" in p for p in problems(in_san, NOW))
    assert "wildcard" in kinds(make_cert(cn="*.example.com", sans=()))


@pytest.mark.parametrize("algorithm, label", [(hashes.SHA1(), "SHA-1"), (hashes.MD5(), "MD5")])
def test_legacy_signature_hashes(algorithm, label):
    cert = resign_rsa(make_cert(), rsa_key(), algorithm)
    got = info(cert)
    assert got.signature_hash == algorithm.name and got.self_signed
    assert f"weak signature: signed with {label}" in problems(got, NOW)


def test_ec_keys():
    p256 = info(make_cert(ec_key()))
    assert (p256.key_type, p256.key_bits, p256.signature_hash) == ("EC", 256, "sha256")
    assert p256.self_signed and kinds(make_cert(ec_key())) == ["self-signed"]
    small = make_cert(ec.generate_private_key(ec.SECP224R1()))
    assert info(small).key_bits == 224 and "short key" in kinds(small)


def test_ed25519_has_no_separate_hash():
    got = info(make_cert(ed25519.Ed25519PrivateKey.generate(), algorithm=None))
    assert (got.key_type, got.key_bits, got.signature_hash, got.self_signed) == ("Ed25519", 256, None, True)


def test_issued_by_a_ca_is_not_self_signed():
    ca_key = rsa_key(2048, 1)
    leaf = info(make_cert(issuer=name("Example Root CA"), issuer_key=ca_key))
    assert leaf.issuer == "O=Example PBX,CN=Example Root CA" and not leaf.self_signed
    assert kinds(make_cert(issuer=name("Example Root CA"), issuer_key=ca_key)) == []


def test_same_name_but_another_key_is_not_self_signed():
    assert not info(make_cert(issuer_key=rsa_key(2048, 1))).self_signed


@pytest.mark.parametrize("garbage", [b"", b"\x30", b"\x30\x03\x02\x01\x01", b"not a certificate" * 20])
def test_garbage_gives_none(garbage):
    assert parse_certificate(garbage) is None


@functools.cache
def wildcard_der() -> bytes:
    return der(make_cert(sans=("pbx.example.com", "*.example.com")))


@settings(max_examples=120, deadline=None)
@given(position=st.integers(0, 10_000), bit=st.integers(0, 7), cut=st.integers(0, 10_000))
def test_damaged_certificates_never_raise(position, bit, cut):
    blob = bytearray(wildcard_der())
    blob[position % len(blob)] ^= 1 << bit
    for candidate in (bytes(blob), bytes(blob[:cut % len(blob)])):
        got = parse_certificate(candidate)
        if got is not None:
            problems(got, NOW)


def test_invalid_x509_version_gives_none():
    blob = der(make_cert())
    assert blob.count(b"\xa0\x03\x02\x01\x02") == 1
    assert parse_certificate(blob.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x0a")) is None


def test_negative_serial_parses_without_a_warning():
    blob = bytearray(der(make_cert()))
    serial_at = blob.index(b"\xa0\x03\x02\x01\x02") + 5
    assert blob[serial_at] == 0x02 and blob[serial_at + 2] < 0x80
    blob[serial_at + 2] |= 0x80                         # DER integer with the sign bit set
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = parse_certificate(bytes(blob))
    assert got is not None and got.subject.endswith("CN=pbx.example.com")
    assert not got.self_signed                          # the signature no longer verifies
