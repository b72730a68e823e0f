"""Hostile and damaged input: random bytes, random handshake messages in valid records, truncated
and bit-flipped real handshakes. TlsSession never raises and its buffers stay bounded."""
from __future__ import annotations

import functools
import ssl

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.tls.handshake import MAX_MESSAGE, MAX_OBSERVED, TlsSession
from collectors.tls.records import MAX_RECORD
from tests.collectors.tls import client_context, make_cert, rsa_key, run_handshake, server_context, split

BOUND = 2 * (MAX_RECORD + MAX_MESSAGE)
SIZES = st.lists(st.integers(1, 700), min_size=1, max_size=5)


@functools.cache
def transcripts():
    chain, key = [make_cert(sans=("pbx.example.com", "*.example.com"))], rsa_key()
    return [run_handshake(client_context(maximum=ssl.TLSVersion.TLSv1_2, alpn=["sip"]),
                          server_context(chain, key, maximum=ssl.TLSVersion.TLSv1_2, alpn=["sip"])),
            run_handshake(client_context(alpn=["sip"]), server_context(chain, key, alpn=["sip"]))]


def feed_checked(session: TlsSession, events, sizes) -> None:
    for who, data in events:
        feed = session.feed_client if who == "client" else session.feed_server
        for piece in split(data, sizes):
            feed(piece)
            assert session.buffered <= BOUND
    info = session.info()
    assert info.errors >= 0 and info.handshakes == session.handshakes_seen


def record(content_type: int, fragment: bytes) -> bytes:
    return bytes([content_type, 3, 3]) + len(fragment).to_bytes(2, "big") + fragment


@settings(max_examples=100, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from(["client", "server"]), st.binary(max_size=2000)),
                       max_size=8), sizes=SIZES)
def test_random_bytes(events, sizes):
    feed_checked(TlsSession(), events, sizes)


MESSAGE = st.tuples(st.sampled_from([1, 2, 11, 14, 20]), st.binary(max_size=300)).map(
    lambda m: bytes([m[0]]) + len(m[1]).to_bytes(3, "big") + m[1])


@settings(max_examples=150, deadline=None)
@given(client=st.lists(MESSAGE, max_size=4), server=st.lists(MESSAGE, max_size=4),
       extra=st.sampled_from([b"", record(20, b"\x01"), record(21, b"\x02\x28"), record(23, b"x")]),
       sizes=SIZES)
def test_random_handshake_messages_in_valid_records(client, server, extra, sizes):
    events = [("client", record(22, b"".join(client)) + extra),
              ("server", record(22, b"".join(server)) + extra)]
    feed_checked(TlsSession(), events, sizes)


@settings(max_examples=100, deadline=None)
@given(which=st.integers(0, 1), cut_client=st.integers(0, 5000), cut_server=st.integers(0, 5000), sizes=SIZES)
def test_truncated_handshakes_are_incomplete_not_errors(which, cut_client, cut_server, sizes):
    hs = transcripts()[which]
    client, server = hs.side("client")[:cut_client], hs.side("server")[:cut_server]
    session = TlsSession()
    feed_checked(session, [("client", client), ("server", server)], sizes)
    assert session.info().errors == 0


@settings(max_examples=100, deadline=None)
@given(which=st.integers(0, 1), flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 7)),
                                               min_size=1, max_size=4), sizes=SIZES)
def test_bit_flipped_handshakes(which, flips, sizes):
    events = [(who, bytearray(data)) for who, data in transcripts()[which].events]
    total = sum(len(data) for _, data in events)
    for position, bit in flips:
        position %= total
        for _, data in events:
            if position < len(data):
                data[position] ^= 1 << bit
                break
            position -= len(data)
    feed_checked(TlsSession(), [(who, bytes(data)) for who, data in events], sizes)


def test_endless_cleartext_handshake_is_abandoned():
    session = TlsSession()
    filler = record(22, b"\x63\x00\x3f\xf0" + bytes(0x3FF0))       # unknown type 99, 16 KiB each
    fed = 0
    while fed < 4 * MAX_OBSERVED:
        session.feed_client(filler)
        fed += len(filler)
        assert session.buffered <= BOUND
    assert session.buffered == 0
    session.feed_client(transcripts()[0].side("client"))              # abandoned: not even framed
    assert session.handshakes_seen == 0 and session.info().errors == 0


def test_a_claimed_huge_message_is_not_buffered():
    session = TlsSession()
    session.feed_server(record(22, b"\x0b\x00\xff\xff" + bytes(16000)))
    assert session.info().errors == 1 and session.buffered == 0
