"""TLS seen from the wire (SIP over TLS on any port): record framing, the cleartext part of the
handshake, the server certificate, and names for versions and cipher suites.

The modules are imported when one of their names is first asked for: the pipeline imports record
framing (`looks_like_tls`) before any packet, the handshake and certificate readers only with a
TLS connection."""
from importlib import import_module

WHERE = {"CertInfo": "certificate", "parse_certificate": "certificate", "problems": "certificate",
         "TlsInfo": "handshake", "TlsSession": "handshake",
         "cipher_name": "names", "version_name": "names", "weak_cipher": "names",
         "TlsRecordReader": "records", "looks_like_tls": "records"}

__all__ = ["CertInfo", "TlsInfo", "TlsRecordReader", "TlsSession", "cipher_name", "looks_like_tls",
           "parse_certificate", "problems", "version_name", "weak_cipher"]


def __getattr__(name: str):
    if name not in WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{WHERE[name]}"), name)
