"""SIP over WebSocket (RFC 7118): the HTTP upgrade check, then masked/unmasked and fragmented frames
over reassembled TCP; buffers stay bounded."""
from collectors.sip.websocket import MAX_BUFFER, MAX_MESSAGE, WsSipStream, is_sip_upgrade
from tests.fuzz.common import Segments, chunks


def fuzz(data: bytes) -> None:
    stream, segments = WsSipStream(), Segments()
    for i, (flag, body) in enumerate(chunks(data)):
        seq, payload, syn = segments.split(flag, body)
        if i == 0:
            is_sip_upgrade(payload, 0, len(payload))
        for msg in stream.feed(seq, payload, syn):
            assert (msg.method is None) != (msg.status is None)
        assert len(stream.buffer) <= MAX_BUFFER and len(stream.fragments) <= MAX_MESSAGE
