"""TLS record framing: one direction fed in pieces; the pure record functions on the raw bytes."""
from collectors.errors import Incomplete, Malformed
from collectors.tls.records import MAX_RECORD, TlsRecordReader, looks_like_tls, parse_record, record_size
from tests.fuzz.common import chunks


def fuzz(data: bytes) -> None:
    looks_like_tls(data)
    try:
        record_size(data)
        record, end = parse_record(data)
        assert end <= len(data) and len(record.fragment) == end - 5
    except (Incomplete, Malformed):
        pass
    reader = TlsRecordReader()
    for _flag, body in chunks(data):
        for record in reader.feed(body):
            assert 20 <= record.content_type <= 24
        assert reader.buffered <= MAX_RECORD
