"""The visible part of a TLS handshake, from the in-order bytes of both directions of a connection.

ClientHello (SNI, ALPN, offered versions and cipher suites), ServerHello (negotiated version, cipher
suite, ALPN for TLS <= 1.2) and, for TLS <= 1.2, the server's Certificate message reassembled across
records. A direction stops being parsed once it is encrypted (ChangeCipherSpec, application data, or
for the server any TLS 1.3 ServerHello), so the work per connection is bounded; in TLS 1.3 the
certificate is encrypted and `TlsInfo.certificate_hidden` says so.

The caller should interleave the two directions in capture order: a ChangeCipherSpec is a TLS 1.3
compatibility no-op or the real switch to encryption depending on the ServerHello that precedes it.
Written by hand for the reasons given in `records.py` (scapy's TLS layer is not bounded or strict).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from collectors.errors import Incomplete, Malformed
from collectors.tls.certificate import CertInfo, parse_certificate
from collectors.tls.names import TLS13, alert_name, cipher_name, is_grease, version_name
from collectors.tls.records import (ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, TlsRecord,
                                    TlsRecordReader)

HEADER = struct.Struct("!BHB")          # msg_type, then a 24-bit length as 16 + 8 bits
U16 = struct.Struct("!H")
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE = 1, 2, 11
EXT_SERVER_NAME, EXT_ALPN, EXT_SUPPORTED_VERSIONS = 0, 16, 43
HELLO_RETRY_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
MAX_MESSAGE = 64 * 1024                 # a certificate chain larger than this is not followed
MAX_OBSERVED = 256 * 1024               # bytes per direction before giving up on a handshake


@dataclass(frozen=True, slots=True)
class ClientHello:
    legacy_version: int
    cipher_suites: tuple[int, ...]      # GREASE removed
    versions: tuple[int, ...]           # supported_versions (GREASE removed), else (legacy_version,)
    sni: str | None
    alpn: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServerHello:
    version: int                        # supported_versions if present, else legacy_version
    cipher_suite: int
    alpn: str | None
    retry: bool                         # a TLS 1.3 HelloRetryRequest


@dataclass(frozen=True, slots=True)
class TlsInfo:
    version: str | None                 # negotiated, 'TLS 1.2'; None before the ServerHello
    sni: str | None
    cipher: str | None                  # IANA name, or '0x1234' when unknown
    alpn: str | None                    # chosen by the server; not visible in TLS 1.3
    offered_versions: tuple[str, ...]
    certificate: CertInfo | None        # the server's leaf certificate (TLS <= 1.2)
    errors: int
    complete: bool                      # both hellos seen and both directions went encrypted
    offered_ciphers: tuple[str, ...] = ()
    offered_alpn: tuple[str, ...] = ()
    certificate_hidden: bool = False    # TLS 1.3: the certificate travels encrypted
    chain_length: int = 0               # certificates in the server's Certificate message
    alert: str | None = None            # first cleartext alert, e.g. 'fatal unknown_ca'
    handshakes: int = 0                 # ClientHellos seen


def _vector(data: bytes, offset: int, width: int) -> tuple[bytes, int]:
    """A length-prefixed field inside a complete message: overrunning it is malformed."""
    start = offset + width
    if start > len(data):
        raise Malformed("TLS vector length runs past the message")
    end = start + int.from_bytes(data[offset:start], "big")
    if end > len(data):
        raise Malformed("TLS vector runs past the message")
    return data[start:end], end


def _u16s(data: bytes) -> tuple[int, ...]:
    if len(data) % 2:
        raise Malformed("odd length in a list of 16-bit values")
    return tuple(v for (v,) in U16.iter_unpack(data) if not is_grease(v))


def _extensions(data: bytes, offset: int) -> dict[int, bytes]:
    if offset == len(data):
        return {}                       # SSL 3.0 and old TLS hellos may have no extensions
    block, end = _vector(data, offset, 2)
    if end != len(data):
        raise Malformed("bytes after the extensions of a hello")
    found: dict[int, bytes] = {}
    position = 0
    while position < len(block):
        if position + 4 > len(block):
            raise Malformed("truncated extension header")
        (kind,) = U16.unpack_from(block, position)
        body, position = _vector(block, position + 2, 2)
        found.setdefault(kind, body)
    return found


def _text(raw: bytes) -> str:
    return raw.decode("ascii", "backslashreplace")


def _sni(ext: bytes | None) -> str | None:
    if ext is None:
        return None
    names, _ = _vector(ext, 0, 2)
    position = 0
    while position < len(names):
        name, end = _vector(names, position + 1, 2)
        if names[position] == 0:        # host_name
            return _text(name)
        position = end
    return None


def _alpn(ext: bytes | None) -> tuple[str, ...]:
    if ext is None:
        return ()
    names, _ = _vector(ext, 0, 2)
    protocols, position = [], 0
    while position < len(names):
        name, position = _vector(names, position, 1)
        protocols.append(_text(name))
    return tuple(protocols)


def parse_client_hello(body: bytes) -> ClientHello:
    if len(body) < 34:
        raise Malformed("ClientHello shorter than version and random")
    (legacy,) = U16.unpack_from(body, 0)
    _, offset = _vector(body, 34, 1)                # session id
    suites, offset = _vector(body, offset, 2)
    _, offset = _vector(body, offset, 1)            # compression methods
    ext = _extensions(body, offset)
    versions = (legacy,)
    if EXT_SUPPORTED_VERSIONS in ext:
        versions = _u16s(_vector(ext[EXT_SUPPORTED_VERSIONS], 0, 1)[0])
    return ClientHello(legacy, _u16s(suites), versions, _sni(ext.get(EXT_SERVER_NAME)),
                       _alpn(ext.get(EXT_ALPN)))


def parse_server_hello(body: bytes) -> ServerHello:
    if len(body) < 34:
        raise Malformed("ServerHello shorter than version and random")
    (version,) = U16.unpack_from(body, 0)
    _, offset = _vector(body, 34, 1)                # session id
    if offset + 3 > len(body):
        raise Malformed("ServerHello ends before its cipher suite")
    (suite,) = U16.unpack_from(body, offset)
    ext = _extensions(body, offset + 3)
    if EXT_SUPPORTED_VERSIONS in ext:
        if len(ext[EXT_SUPPORTED_VERSIONS]) != 2:
            raise Malformed("ServerHello supported_versions is not one version")
        (version,) = U16.unpack_from(ext[EXT_SUPPORTED_VERSIONS])
    alpn = _alpn(ext.get(EXT_ALPN))
    return ServerHello(version, suite, alpn[0] if alpn else None, body[2:34] == HELLO_RETRY_RANDOM)


def parse_certificate_list(body: bytes) -> list[bytes]:
    """The DER certificates of a TLS <= 1.2 Certificate message, leaf first."""
    chain, end = _vector(body, 0, 3)
    if end != len(body):
        raise Malformed("bytes after the certificate list")
    certificates, position = [], 0
    while position < len(chain):
        der, position = _vector(chain, position, 3)
        certificates.append(der)
    return certificates


def parse_handshake(data, offset: int = 0) -> tuple[int, bytes, int]:
    """(msg_type, body, offset after it) of the handshake message at `offset`."""
    if len(data) - offset < HEADER.size:
        raise Incomplete("handshake header continues in a later record")
    msg_type, high, low = HEADER.unpack_from(data, offset)
    end = offset + HEADER.size + (high << 8 | low)
    if end - offset > MAX_MESSAGE:
        raise Malformed(f"handshake message of {end - offset} bytes is larger than followed")
    if end > len(data):
        raise Incomplete("handshake message continues in a later record")
    return msg_type, bytes(data[offset + HEADER.size:end]), end


class _Direction:
    __slots__ = ("reader", "pending", "encrypted", "stopped", "errors")

    def __init__(self):
        self.reader = TlsRecordReader()
        self.pending = bytearray()
        self.encrypted = self.stopped = False
        self.errors = 0

    def messages(self, fragment: bytes) -> tuple[list[tuple[int, bytes]], bool]:
        """Handshake messages that this record's fragment completes, and whether a malformed one
        follows them (the caller handles the good ones first, then fails the direction)."""
        self.pending += fragment
        found, offset = [], 0
        try:
            while True:
                msg_type, body, offset = parse_handshake(self.pending, offset)
                found.append((msg_type, body))
        except Incomplete:
            del self.pending[:offset]
            return found, False
        except Malformed:
            return found, True

    def stop(self, encrypted: bool = False) -> None:
        """Parse nothing more in this direction, and free what was buffered for it."""
        self.encrypted = self.encrypted or encrypted
        self.stopped = True
        self.pending.clear()
        self.reader.discard()

    def fail(self) -> None:
        self.errors += 1
        self.stop()


class TlsSession:
    """One TCP connection: feed each direction's bytes in order; read `info()` at any time."""
    __slots__ = ("_client", "_server", "_hello", "_server_hello", "_certificate", "_chain_length",
                 "_alert", "handshakes_seen")

    def __init__(self):
        self._client, self._server = _Direction(), _Direction()
        self._hello: ClientHello | None = None
        self._server_hello: ServerHello | None = None
        self._certificate: CertInfo | None = None
        self._chain_length = 0
        self._alert: str | None = None
        self.handshakes_seen = 0         # ClientHellos: a reconnect storm shows as many sessions

    def feed_client(self, data) -> None:
        self._feed(self._client, data, self._on_client_message)

    def feed_server(self, data) -> None:
        self._feed(self._server, data, self._on_server_message)

    @property
    def complete(self) -> bool:
        hello = self._server_hello
        return (self._hello is not None and hello is not None and not hello.retry
                and self._client.encrypted and self._server.encrypted)

    @property
    def done(self) -> bool:
        """Both directions are encrypted, broken or too long: further bytes are ignored."""
        return self._client.stopped and self._server.stopped

    @property
    def buffered(self) -> int:
        return sum(side.reader.buffered + len(side.pending) for side in (self._client, self._server))

    @property
    def errors(self) -> int:
        client, server = self._client, self._server
        return client.errors + client.reader.errors + server.errors + server.reader.errors

    def info(self) -> TlsInfo:
        hello, server = self._hello, self._server_hello
        version = server.version if server else None
        errors = self.errors
        return TlsInfo(
            version=None if version is None else version_name(version),
            sni=hello.sni if hello else None,
            cipher=cipher_name(server.cipher_suite) if server else None,
            alpn=server.alpn if server else None,
            offered_versions=tuple(map(version_name, hello.versions)) if hello else (),
            certificate=self._certificate, errors=errors, complete=self.complete,
            offered_ciphers=tuple(map(cipher_name, hello.cipher_suites)) if hello else (),
            offered_alpn=hello.alpn if hello else (), certificate_hidden=version == TLS13,
            chain_length=self._chain_length, alert=self._alert, handshakes=self.handshakes_seen)

    def _feed(self, side: _Direction, data, on_message) -> None:
        if side.stopped:
            return
        for record in side.reader.feed(data):
            self._on_record(side, record, on_message)
            if side.stopped:
                return
        if side.reader.malformed or side.reader.bytes_fed > MAX_OBSERVED:
            side.stop()

    def _on_record(self, side: _Direction, record: TlsRecord, on_message) -> None:
        kind = record.content_type
        if kind == HANDSHAKE:
            messages, broken = side.messages(record.fragment)
            for msg_type, body in messages:
                on_message(msg_type, body)
                if side.stopped:
                    return
            if broken:
                side.fail()
        elif kind == ALERT:
            self._on_alert(record.fragment)
        elif kind == APPLICATION_DATA or (kind == CHANGE_CIPHER_SPEC and not self._compat_ccs(side)):
            side.stop(encrypted=True)

    def _compat_ccs(self, side: _Direction) -> bool:
        """In TLS 1.3 a ChangeCipherSpec is a no-op for middleboxes (RFC 8446 D.4), not a key change."""
        if self._server_hello is not None:
            return self._server_hello.version == TLS13
        return side is self._client and self._hello is not None and TLS13 in self._hello.versions

    def _on_alert(self, fragment: bytes) -> None:
        if self._alert is None and len(fragment) >= 2:
            level = {1: "warning", 2: "fatal"}.get(fragment[0], f"level {fragment[0]}")
            self._alert = f"{level} {alert_name(fragment[1])}"

    def _on_client_message(self, msg_type: int, body: bytes) -> None:
        if msg_type == CLIENT_HELLO:
            self.handshakes_seen += 1
            self._hello = _parse(self._client, parse_client_hello, body) or self._hello

    def _on_server_message(self, msg_type: int, body: bytes) -> None:
        if msg_type == SERVER_HELLO:
            hello = _parse(self._server, parse_server_hello, body)
            self._server_hello = hello or self._server_hello
            if hello and hello.version == TLS13 and not hello.retry:
                self._server.stop(encrypted=True)
        elif msg_type == CERTIFICATE and not self._chain_length:
            chain = _parse(self._server, parse_certificate_list, body) or []
            self._chain_length = len(chain)
            self._certificate = parse_certificate(chain[0]) if chain else None
            if chain and self._certificate is None:
                self._server.errors += 1        # the DER of the leaf does not parse


def _parse(side: _Direction, parser, body: bytes):
    """parser(body), or None after counting the error and stopping the direction."""
    try:
        return parser(body)
    except Malformed:
        side.fail()
        return None
