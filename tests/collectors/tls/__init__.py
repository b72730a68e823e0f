"""Real TLS handshakes for the tests: certificates made with `cryptography`, a client and a server of
Python's `ssl` (OpenSSL) joined by memory BIOs, so both directions' exact bytes are recorded in the
order they were written, without sockets or sniffing."""
from __future__ import annotations

import datetime as dt
import functools
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
SIP_REQUEST = b"OPTIONS sip:pbx.example.com;transport=tls SIP/2.0\r\nContent-Length: 0\r\n\r\n"
SIP_RESPONSE = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"


@functools.cache
def rsa_key(bits: int = 2048, n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(n: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example PBX")])


def make_cert(key=None, *, cn="pbx.example.com", sans=("pbx.example.com",), issuer: x509.Name | None = None,
              issuer_key=None, algorithm=hashes.SHA256(), not_before=NOW - dt.timedelta(days=30),
              not_after=NOW + dt.timedelta(days=365)) -> x509.Certificate:
    """Self-signed unless `issuer`/`issuer_key` say otherwise; `algorithm=None` for Ed25519."""
    key = key or rsa_key()
    builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer or name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), False)
    return builder.sign(issuer_key or key, algorithm)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class Handshake:
    events: list[tuple[str, bytes]]     # ('client' | 'server', bytes written), in write order
    version: str | None                 # ssl's view, e.g. 'TLSv1.2'
    cipher: str | None                  # OpenSSL's name of the negotiated suite
    cipher_code: int | None             # its IANA code
    alpn: str | None
    error: str | None = None            # the handshake failed on the client side

    def side(self, who: str) -> bytes:
        return b"".join(data for w, data in self.events if w == who)


def server_context(chain, key, *, minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.TLSv1_3,
                   ciphers="DEFAULT:@SECLEVEL=0", alpn=None, groups=None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version, ctx.maximum_version = minimum, maximum
    ctx.set_ciphers(ciphers)                    # before loading: weak test keys need SECLEVEL 0
    if groups:
        ctx.set_ecdh_curve(groups)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if chain:
        with tempfile.TemporaryDirectory() as tmp:
            cert_file, key_file = Path(tmp, "chain.pem"), Path(tmp, "key.pem")
            cert_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
            key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            ctx.load_cert_chain(cert_file, key_file)
    return ctx


def client_context(*, minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.TLSv1_3,
                   ciphers="DEFAULT:@SECLEVEL=0", alpn=None, trust=None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version, ctx.maximum_version = minimum, maximum
    ctx.set_ciphers(ciphers)
    if trust is None:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cadata=trust.public_bytes(serialization.Encoding.PEM).decode())
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def run_handshake(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext,
                  sni: str | None = "pbx.example.com") -> Handshake:
    """Handshake, then one SIP request and response, recording every byte each side wrote."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=sni)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    events: list[tuple[str, bytes]] = []

    def pump() -> bool:
        moved = False
        for who, out, into in (("client", c_out, s_in), ("server", s_out, c_in)):
            data = out.read()
            if data:
                events.append((who, data))
                into.write(data)
                moved = True
        return moved

    error = _drive(client, server, pump)
    if error is None:
        client.write(SIP_REQUEST)
        pump()
        assert server.read(4096) == SIP_REQUEST
        server.write(SIP_RESPONSE)
        pump()
        assert client.read(4096) == SIP_RESPONSE
        pump()
    cipher = client.cipher() if error is None else None
    code = _cipher_code(client_ctx, cipher[0]) if cipher else None
    return Handshake(events, client.version() if error is None else None, cipher and cipher[0], code,
                     client.selected_alpn_protocol() if error is None else None, error)


def _drive(client: ssl.SSLObject, server: ssl.SSLObject, pump) -> str | None:
    done = {"client": False, "server": False}
    for _ in range(20):
        for who, obj in (("client", client), ("server", server)):
            if done[who]:
                continue
            try:
                obj.do_handshake()
                done[who] = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                pump()
                return f"{who}: {exc.reason or exc}"
        if not pump() and all(done.values()):
            return None
    raise AssertionError("handshake did not finish")


def _cipher_code(ctx: ssl.SSLContext, openssl_name: str) -> int | None:
    for cipher in ctx.get_ciphers():
        if cipher["name"] == openssl_name:
            return cipher["id"] & 0xFFFF
    return None


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    """Cut `data` into pieces of the given sizes, used in turn; the last piece takes the rest."""
    pieces, position, turn = [], 0, 0
    while position < len(data):
        size = sizes[turn % len(sizes)] if sizes else len(data)
        pieces.append(data[position:position + size])
        position, turn = position + size, turn + 1
    return pieces


def feed_events(session, events, sizes=()) -> None:
    """Feed a recorded exchange to a TlsSession in write order, each write cut into pieces."""
    for who, data in events:
        feed = session.feed_client if who == "client" else session.feed_server
        for piece in split(data, list(sizes)):
            feed(piece)


_RSA_OIDS = {  # DER of the signature AlgorithmIdentifier OIDs: all 9 bytes long, so swapping keeps lengths
    "sha256": bytes.fromhex("06092a864886f70d01010b"), "sha1": bytes.fromhex("06092a864886f70d010105"),
    "md5": bytes.fromhex("06092a864886f70d010104")}


def resign_rsa(cert: x509.Certificate, key: rsa.RSAPrivateKey, algorithm) -> x509.Certificate:
    """The same certificate signed with a legacy hash (SHA-1, MD5) that `CertificateBuilder` refuses:
    swap the equal-length algorithm OIDs in the DER and sign the new TBS with the RSA primitive."""
    from cryptography.hazmat.primitives.asymmetric import padding
    old, new = _RSA_OIDS["sha256"], _RSA_OIDS[algorithm.name]
    tbs = cert.tbs_certificate_bytes
    assert cert.signature_hash_algorithm.name == "sha256" and tbs.count(old) == 1
    new_tbs = tbs.replace(old, new)
    signature = key.sign(new_tbs, padding.PKCS1v15(), algorithm)
    blob = der(cert).replace(tbs, new_tbs).replace(old, new).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(blob)
