"""X.509 certificates as seen in a TLS <= 1.2 handshake: parse (never raises) and judge."""
from datetime import datetime, timezone

from collectors.tls.certificate import parse_certificate, problems

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def fuzz(data: bytes) -> None:
    cert = parse_certificate(data)
    if cert is not None:
        problems(cert, NOW)
