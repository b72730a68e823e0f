"""DTLS records on a media 5-tuple and the use_srtp extension of their hellos."""
from collectors.media.dtls import hello_use_srtp, is_dtls_record


def fuzz(data: bytes) -> None:
    for off in (0, 1):
        is_dtls_record(data, off, len(data))
        kind, use_srtp = hello_use_srtp(data, off, len(data))
        assert kind in (None, 1, 2) and isinstance(use_srtp, bool)
