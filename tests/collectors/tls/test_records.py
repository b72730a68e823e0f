"""TLS record framing: split and merged records, incomplete versus malformed, bounded buffering."""
from __future__ import annotations

import functools
import ssl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS

from collectors.errors import Incomplete, Malformed
from collectors.tls.records import (MAX_FRAGMENT, MAX_RECORD, TlsRecord, TlsRecordReader, looks_like_tls,
                                    parse_record)
from tests.collectors.tls import client_context, make_cert, rsa_key, run_handshake, server_context, split


@functools.cache
def exchange():
    return run_handshake(client_context(maximum=ssl.TLSVersion.TLSv1_2),
                         server_context([make_cert()], rsa_key(), maximum=ssl.TLSVersion.TLSv1_2))


def record(content_type: int, body: bytes, version: int = 0x0303) -> bytes:
    return bytes([content_type]) + version.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def test_real_streams_frame_into_records():
    for who in ("client", "server"):
        records = TlsRecordReader().feed(exchange().side(who))
        assert records[0].content_type == 22
        assert {r.content_type for r in records} <= {20, 22, 23}
        assert sum(5 + len(r.fragment) for r in records) == len(exchange().side(who))


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 400), min_size=1, max_size=6))
def test_any_split_gives_the_same_records(sizes):
    stream = exchange().side("server")
    reader = TlsRecordReader()
    got = [r for piece in split(stream, sizes) for r in reader.feed(piece)]
    assert got == TlsRecordReader().feed(stream)
    assert reader.buffered == 0 and reader.errors == 0


def test_several_records_in_one_feed_and_one_over_many():
    reader = TlsRecordReader()
    data = record(22, b"a" * 10) + record(20, b"\x01") + record(23, b"z" * 300)
    assert reader.feed(data[:17]) == [TlsRecord(22, 0x0303, b"a" * 10)]
    assert reader.feed(data[17:30]) == [TlsRecord(20, 0x0303, b"\x01")]
    assert [reader.feed(bytes([b])) for b in data[30:-1]] == [[]] * (len(data) - 31)
    assert reader.feed(data[-1:]) == [TlsRecord(23, 0x0303, b"z" * 300)]
    assert reader.buffered == 0


def test_records_before_garbage_are_kept_and_the_stream_stops():
    reader = TlsRecordReader()
    got = reader.feed(record(22, b"hello") + b"GET / HTTP/1.1\r\n")
    assert got == [TlsRecord(22, 0x0303, b"hello")]
    assert reader.malformed and reader.errors == 1 and reader.buffered == 0
    assert reader.feed(record(22, b"more")) == []
    assert reader.errors == 1


@pytest.mark.parametrize("header", [
    b"\x19", b"\x16\x02", b"\x16\x03\x05", b"\x17\x04\x00",
    (22).to_bytes(1, "big") + b"\x03\x03" + (MAX_FRAGMENT + 1).to_bytes(2, "big"),
])
def test_malformed_as_soon_as_the_bytes_show_it(header):
    with pytest.raises(Malformed):
        parse_record(header)
    reader = TlsRecordReader()
    assert reader.feed(header) == [] and reader.malformed


@pytest.mark.parametrize("data", [b"", b"\x16", b"\x16\x03\x01\x00", record(23, b"x" * 50)[:-1]])
def test_incomplete_is_not_malformed(data):
    with pytest.raises(Incomplete):
        parse_record(data)
    reader = TlsRecordReader()
    reader.feed(data)
    assert not reader.malformed and reader.buffered == len(data)


def test_a_maximal_record_is_buffered_and_nothing_more():
    reader = TlsRecordReader()
    big = record(23, bytes(MAX_FRAGMENT))
    for piece in split(big, [1000]):
        assert reader.buffered + len(piece) <= MAX_RECORD
        got = reader.feed(piece)
    assert got == [TlsRecord(23, 0x0303, bytes(MAX_FRAGMENT))] and reader.buffered == 0


def test_offset_parsing_returns_the_end():
    data = b"xx" + record(21, b"\x02\x28") + b"tail"
    assert parse_record(data, 2) == (TlsRecord(21, 0x0303, b"\x02\x28"), 9)


def test_looks_like_tls_on_real_hellos_of_both_directions():
    assert looks_like_tls(exchange().side("client"))
    assert looks_like_tls(exchange().side("server"))
    assert looks_like_tls(exchange().side("client")[:5])


def test_looks_like_tls_on_a_scapy_client_hello():
    hello = bytes(TLS(version=0x0301, msg=[TLSClientHello(version=0x0303, ciphers=[0xC02F])]))
    assert looks_like_tls(hello)


@pytest.mark.parametrize("data", [
    b"", b"\x16\x03\x01\x02", b"INVITE sip:a@b SIP/2.0\r\n", b"SIP/2.0 200 OK\r\n",
    bytes.fromhex("80000001000000a0deadbeef") + bytes(160),            # RTP
    record(23, b"x" * 40), record(22, b"\x01abc", 0x0305), record(22, b"\x01abc", 0x0200),
    record(22, b""), record(22, b"\x0babcdef"),                          # empty, not a hello
    b"\x16\x03\x03\x40\x01\x01",                                          # over 2^14
])
def test_looks_like_tls_rejects(data):
    assert not looks_like_tls(data)


@settings(max_examples=120, deadline=None)
@given(chunks=st.lists(st.binary(max_size=3000), max_size=8))
def test_random_bytes_never_raise_and_stay_bounded(chunks):
    reader = TlsRecordReader()
    for chunk in chunks:
        for r in reader.feed(chunk):
            assert len(r.fragment) <= MAX_FRAGMENT
        assert reader.buffered < MAX_RECORD
    looks_like_tls(b"".join(chunks))
