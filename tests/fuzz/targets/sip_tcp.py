"""SIP over TCP: stream framing over reassembled segments (several messages per segment, one message
over several, resynchronisation after holes and garbage); the buffer stays bounded."""
from collectors.sip.tcpstream import MAX_BUFFER, TcpSipStream
from tests.fuzz.common import Segments, chunks


def fuzz(data: bytes) -> None:
    stream, segments = TcpSipStream(), Segments()
    for flag, body in chunks(data):
        seq, payload, syn = segments.split(flag, body)
        for msg in stream.feed(seq, payload, syn):
            assert (msg.method is None) != (msg.status is None)
        assert len(stream.buffer) <= MAX_BUFFER
