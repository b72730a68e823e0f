"""What a server certificate seen in a TLS <= 1.2 handshake tells, and what is wrong with it.

`parse_certificate(der)` never raises: garbage gives None (the caller counts an error).
`problems(cert, now)` lists human-readable findings, each starting with a stable keyword:
'expired', 'not yet valid', 'self-signed', 'short key', 'weak signature', 'wildcard'.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

ISO = "%Y-%m-%dT%H:%M:%SZ"
WEAK_HASHES = {"md2": "MD2", "md4": "MD4", "md5": "MD5", "sha1": "SHA-1"}
MIN_EC_BITS = 256
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, OverflowError)


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str                    # RFC 4514 (last RDN first), e.g. 'O=Example,CN=pbx.example.com'
    issuer: str
    not_before: str                 # ISO 8601 UTC, 'YYYY-MM-DDTHH:MM:SSZ'
    not_after: str
    self_signed: bool               # issuer == subject and, where checkable, signed by its own key
    wildcard: bool                  # a DNS SAN or the CN starts with '*.'
    key_bits: int | None            # RSA/DSA modulus bits, EC curve size, 256/448 for Ed25519/Ed448
    key_type: str                   # 'RSA', 'EC', 'DSA', 'Ed25519', 'Ed448' or 'unknown'
    signature_hash: str | None      # 'sha256', 'sha1', 'md5'...; None for Ed25519/Ed448 or unknown
    dns_names: tuple[str, ...] = ()  # subjectAltName DNS entries
    sha256: str = ""                # fingerprint of the DER, lowercase hex


def parse_certificate(der: bytes) -> CertInfo | None:
    """The leaf certificate's facts, or None when the DER does not parse."""
    try:
        with warnings.catch_warnings():         # e.g. a negative serial number: parse it anyway
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(bytes(der))
            return _info(cert, bytes(der))
    except Exception:   # hostile bytes reach a third-party parser (InvalidVersion is no ValueError)
        return None


def _info(cert: x509.Certificate, der: bytes) -> CertInfo:
    key_type, key_bits = _key(cert)
    dns_names = _dns_names(cert)
    names = dns_names + _common_names(cert)
    return CertInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        not_before=_iso(cert.not_valid_before_utc), not_after=_iso(cert.not_valid_after_utc),
        self_signed=_self_signed(cert), wildcard=any(n.startswith("*.") for n in names),
        key_bits=key_bits, key_type=key_type, signature_hash=_signature_hash(cert),
        dns_names=dns_names, sha256=hashlib.sha256(der).hexdigest())


def _key(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except _PARSE_ERRORS:
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 448
    return "unknown", None


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except _PARSE_ERRORS:
        return None
    return algorithm.name if algorithm is not None else None


def _dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, *_PARSE_ERRORS):
        return ()
    return tuple(san.get_values_for_type(x509.DNSName))


def _common_names(cert: x509.Certificate) -> tuple[str, ...]:
    values = (a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return tuple(v if isinstance(v, str) else v.decode("latin-1") for v in values)


def _self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject and the signature verifies with the certificate's own key; when the
    signature cannot be checked (unsupported algorithm or key), equal names decide."""
    return cert.issuer == cert.subject and _signed_by_own_key(cert) is not False


def _signed_by_own_key(cert: x509.Certificate) -> bool | None:
    """Checked with the key primitives rather than `verify_directly_issued_by`, which refuses the
    SHA-1 and MD5 signatures that most need reporting. None: cannot tell."""
    try:
        key, digest = cert.public_key(), cert.signature_hash_algorithm
        signature, tbs = cert.signature, cert.tbs_certificate_bytes
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, tbs, cert.signature_algorithm_parameters, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs, cert.signature_algorithm_parameters)
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs, digest)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, tbs)
        else:
            return None
    except InvalidSignature:
        return False            # same name, another key: e.g. a CA that named itself like its leaf
    except _PARSE_ERRORS:
        return None
    return True


def _iso(moment: datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


def _parse_iso(text: str) -> datetime:
    return datetime.strptime(text, ISO).replace(tzinfo=timezone.utc)


def problems(cert: CertInfo, now: datetime, weak_key_bits: int = 2048) -> list[str]:
    """Findings about `cert` at time `now` (a naive `now` is taken as UTC), worst first."""
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    found = []
    if now > _parse_iso(cert.not_after):
        found.append(f"expired: not valid after {cert.not_after}")
    if now < _parse_iso(cert.not_before):
        found.append(f"not yet valid: not valid before {cert.not_before}")
    if cert.self_signed:
        found.append(f"self-signed: issued by itself ({cert.subject})")
    short = _short_key(cert, weak_key_bits)
    if short:
        found.append(short)
    if cert.signature_hash in WEAK_HASHES:
        found.append(f"weak signature: signed with {WEAK_HASHES[cert.signature_hash]}")
    if cert.wildcard:
        wildcards = [n for n in cert.dns_names if n.startswith("*.")] or [cert.subject]
        found.append(f"wildcard: one key serves every host of {', '.join(wildcards)}")
    return found


def _short_key(cert: CertInfo, weak_key_bits: int) -> str | None:
    if cert.key_bits is None:
        return None
    if cert.key_type in ("RSA", "DSA") and cert.key_bits < weak_key_bits:
        return f"short key: {cert.key_type} {cert.key_bits} bits (< {weak_key_bits})"
    if cert.key_type == "EC" and cert.key_bits < MIN_EC_BITS:
        return f"short key: EC {cert.key_bits} bits (< {MIN_EC_BITS})"
    return None
