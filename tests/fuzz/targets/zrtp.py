"""ZRTP messages on the media 5-tuple and the verdict their sequence gives."""
from collectors.media.zrtp import zrtp_message_type, zrtp_verdict
from tests.fuzz.common import chunks


def fuzz(data: bytes) -> None:
    seen = []
    for _flag, body in chunks(data):
        kind = zrtp_message_type(body, 0, len(body))
        if kind is not None:
            seen.append(kind)
    zrtp_message_type(data, 0, len(data))
    verdict = zrtp_verdict(tuple(seen))
    assert 0.0 <= verdict.confidence <= 1.0
