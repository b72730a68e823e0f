"""What a server certificate seen in a TLS <= 1.2 handshake tells, and what is wrong with it.

`parse_certificate(der)` never raises: garbage gives None (the caller counts an error).
`problems(cert, now)` lists human-readable findings, each starting with a stable keyword:
'expired', 'not yet valid', 'self-signed', 'short key', 'weak signature', 'wildcard'.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

ISO = "%Y-%m-%dT%H:%M:%SZ"
WEAK_HASHES = {"md2": "MD2", "md4": "MD4", "md5": "MD5", "sha1": "SHA-1"}
MIN_EC_BITS = 256


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
    from collectors.tls.x509read import read_certificate     # cryptography: only once one is seen
    try:
        return read_certificate(bytes(der))
    except Exception:   # hostile bytes reach a third-party parser (InvalidVersion is no ValueError)
        return None


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
