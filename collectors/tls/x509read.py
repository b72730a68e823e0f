"""A certificate's facts read with `cryptography` (imported only when a certificate is seen:
`collectors.tls.certificate.parse_certificate` loads this module on first use)."""
from __future__ import annotations

import hashlib
import warnings
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from collectors.tls.certificate import CertInfo

_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, OverflowError)


def read_certificate(der: bytes) -> CertInfo:
    """The leaf certificate's facts; raises on garbage (any exception: hostile bytes reach a
    third-party parser)."""
    with warnings.catch_warnings():         # e.g. a negative serial number: parse it anyway
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        cert = x509.load_der_x509_certificate(der)
        return _info(cert, der)


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
