"""Hello parsing on messages crafted with scapy: GREASE, SSL 3.0 without extensions, a TLS 1.3
ServerHello and HelloRetryRequest, and broken lengths that must be malformed, not incomplete."""
from __future__ import annotations

import pytest
from scapy.layers.tls.extensions import (TLS_Ext_ALPN, TLS_Ext_ServerName, TLS_Ext_SupportedVersion_CH,
                                         TLS_Ext_SupportedVersion_SH, ProtocolName, ServerName)
from scapy.layers.tls.handshake import TLSCertificate, TLSClientHello, TLSServerHello
from scapy.layers.tls.record import TLS

from collectors.errors import Incomplete, Malformed
from collectors.tls.handshake import (HELLO_RETRY_RANDOM, MAX_MESSAGE, TlsSession, parse_certificate_list,
                                      parse_client_hello, parse_handshake, parse_server_hello)
from tests.collectors.tls import der, make_cert

CLIENT_HELLO = TLSClientHello(version=0x0303, ciphers=[0x1A1A, 0x1301, 0xC02F, 0x00FF], ext=[
    TLS_Ext_ServerName(servernames=[ServerName(servername=b"pbx.example.com")]),
    TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"sip"), ProtocolName(protocol=b"h2")]),
    TLS_Ext_SupportedVersion_CH(versions=[0x2A2A, 0x0304, 0x0303])])


def body(message) -> bytes:
    msg_type, content, _ = parse_handshake(bytes(message))
    return content


def test_client_hello_with_grease():
    hello = parse_client_hello(body(CLIENT_HELLO))
    assert hello.legacy_version == 0x0303 and hello.cipher_suites == (0x1301, 0xC02F, 0x00FF)
    assert hello.versions == (0x0304, 0x0303) and hello.sni == "pbx.example.com"
    assert hello.alpn == ("sip", "h2")


def test_ssl3_hello_without_extensions():
    session = TlsSession()
    session.feed_client(bytes(TLS(version=0x0300, msg=[TLSClientHello(version=0x0300,
                                                                       ciphers=[0x000A, 0x0005])])))
    session.feed_server(bytes(TLS(version=0x0300, msg=[TLSServerHello(version=0x0300, cipher=0x0005)])))
    got = session.info()
    assert got.version == "SSL 3.0" and got.offered_versions == ("SSL 3.0",) and got.sni is None
    assert got.offered_ciphers == ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA")
    assert got.cipher == "TLS_RSA_WITH_RC4_128_SHA" and got.errors == 0


def test_tls13_server_hello_and_hello_retry_request():
    ext = [TLS_Ext_SupportedVersion_SH(version=0x0304)]
    hello = parse_server_hello(body(TLSServerHello(version=0x0303, cipher=0x1302, ext=ext)))
    assert (hello.version, hello.cipher_suite, hello.alpn, hello.retry) == (0x0304, 0x1302, None, False)
    retry = TLSServerHello(version=0x0303, cipher=0x1301, ext=ext, random_bytes=HELLO_RETRY_RANDOM[4:],
                           gmt_unix_time=int.from_bytes(HELLO_RETRY_RANDOM[:4], "big"))
    assert parse_server_hello(body(retry)).retry


def test_server_hello_alpn():
    alpn = TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"sip")])
    sh = TLSServerHello(version=0x0303, cipher=0xC02F, ext=[alpn])
    assert parse_server_hello(body(sh)).alpn == "sip"


def test_certificate_list():
    cert = der(make_cert())
    message = bytes(TLSCertificate(certs=[(len(cert), cert), (len(cert), cert)]))
    assert parse_certificate_list(body(message)) == [cert, cert]


@pytest.mark.parametrize("cut", [5, 38, 40, 60, 80])
def test_truncated_hello_body_is_malformed(cut):
    with pytest.raises(Malformed):
        parse_client_hello(body(CLIENT_HELLO)[:cut])


def test_handshake_framing_incomplete_versus_malformed():
    data = bytes(CLIENT_HELLO)
    for end in (0, 3, 4, len(data) - 1):
        with pytest.raises(Incomplete):
            parse_handshake(data[:end])
    with pytest.raises(Malformed):
        parse_handshake(b"\x0b" + (MAX_MESSAGE).to_bytes(3, "big"))


def test_an_oversized_message_counts_one_error_and_stops_the_direction():
    session = TlsSession()
    session.feed_server(b"\x16\x03\x03\x00\x04\x0b\xff\xff\xff")
    session.feed_server(bytes(TLS(msg=[TLSServerHello(version=0x0303, cipher=0xC02F)])))
    assert session.info().errors == 1 and session.info().version is None and session.buffered == 0


def record(fragment: bytes) -> bytes:
    return b"\x16\x03\x03" + len(fragment).to_bytes(2, "big") + fragment


def test_messages_before_a_broken_one_in_the_same_record_are_kept():
    session = TlsSession()
    session.feed_server(record(bytes(TLSServerHello(version=0x0303, cipher=0xC02F)) + b"\x0b\xff\xff\xff"))
    got = session.info()
    assert got.version == "TLS 1.2" and got.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert got.errors == 1 and session.buffered == 0


def test_a_leaf_that_does_not_parse_counts_an_error():
    junk = b"\x30\x03\x02\x01\x01"
    session = TlsSession()
    session.feed_server(record(bytes(TLSServerHello(version=0x0303, cipher=0xC02F))
                               + bytes(TLSCertificate(certs=[(len(junk), junk)]))))
    got = session.info()
    assert got.certificate is None and got.chain_length == 1 and got.errors == 1
