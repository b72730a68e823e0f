"""TLS handshake: ClientHello/ServerHello/Certificate messages over records, both directions
interleaved (flag bit 0: server); the message parsers on the raw bytes. Buffers stay bounded."""
from collectors.errors import Incomplete, Malformed
from collectors.tls.handshake import (MAX_MESSAGE, TlsSession, parse_certificate_list, parse_client_hello,
                                      parse_handshake, parse_server_hello)
from collectors.tls.records import MAX_RECORD
from tests.fuzz.common import chunks

BOUND = 2 * (MAX_RECORD + MAX_MESSAGE)


def fuzz(data: bytes) -> None:
    for parser in (parse_client_hello, parse_server_hello, parse_certificate_list, parse_handshake):
        try:
            parser(data)
        except (Incomplete, Malformed):
            pass
    session = TlsSession()
    for flag, body in chunks(data):
        (session.feed_server if flag & 1 else session.feed_client)(body)
        assert session.buffered <= BOUND
    info = session.info()
    assert info.errors >= 0 and info.handshakes == session.handshakes_seen
