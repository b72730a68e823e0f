"""TLS seen from the wire (SIP over TLS on any port): record framing, the cleartext part of the
handshake, the server certificate, and names for versions and cipher suites."""
from collectors.tls.certificate import CertInfo, parse_certificate, problems
from collectors.tls.handshake import TlsInfo, TlsSession
from collectors.tls.names import cipher_name, version_name, weak_cipher
from collectors.tls.records import TlsRecordReader, looks_like_tls

__all__ = ["CertInfo", "TlsInfo", "TlsRecordReader", "TlsSession", "cipher_name", "looks_like_tls",
           "parse_certificate", "problems", "version_name", "weak_cipher"]
