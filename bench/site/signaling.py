"""SIP as the site's phones and PBX send it (UDP 5060, through the PBX as a proxy), and the SDP each
posture offers; SIP over TLS as real TLS 1.2/1.3 records from Python's ssl module on a memory BIO."""
from __future__ import annotations

import base64
import datetime
import ssl
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .fleet import PBX_IP, Phone

CODEC_PT = {"PCMU": 0, "PCMA": 8, "G722": 9, "G729": 18, "opus": 111}
RTPMAP = {"PCMU": "PCMU/8000", "PCMA": "PCMA/8000", "G722": "G722/8000", "G729": "G729/8000",
          "opus": "opus/48000/2"}
SUITE = "AES_CM_128_HMAC_SHA1_80"


@dataclass(frozen=True)
class Offer:
    """One side's media description."""
    phone: Phone
    rtp_port: int
    codec: str
    key_salt: bytes | None       # SDES master key || salt (None: no a=crypto)
    direction: str = "sendrecv"
    session_version: int = 1


def sdp(o: Offer) -> str:
    keying = o.phone.keying
    proto = {"sdes": "RTP/SAVP", "dtls": "UDP/TLS/RTP/SAVP", "zrtp": "RTP/AVP", "plain": "RTP/AVP"}[keying]
    pt = CODEC_PT[o.codec]
    lines = ["v=0", f"o={o.phone.user} {o.phone.index + 1000} {o.session_version} IN IP4 {o.phone.ip}", "s=call",
             f"c=IN IP4 {o.phone.ip}", "t=0 0", f"m=audio {o.rtp_port} {proto} {pt} 101",
             f"a=rtpmap:{pt} {RTPMAP[o.codec]}", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
             "a=ptime:20"]
    if keying == "sdes" and o.key_salt:
        lines.append(f"a=crypto:1 {SUITE} inline:{base64.b64encode(o.key_salt).decode()}")
    if keying == "dtls":
        digest = ":".join(f"{b:02X}" for b in (o.phone.mac.replace(":", "") * 8).encode()[:32])
        lines += [f"a=fingerprint:sha-256 {digest}", "a=setup:actpass"]
    if keying == "zrtp":
        lines.append(f"a=zrtp-hash:1.10 {(o.phone.mac.replace(':', '') * 6)[:64]}")
    lines.append(f"a={o.direction}")
    return "\r\n".join(lines) + "\r\n"


def message(start: str, headers: list[tuple[str, str]], body: str = "") -> bytes:
    raw = body.encode()
    if body:
        headers = headers + [("Content-Type", "application/sdp")]
    lines = [start] + [f"{k}: {v}" for k, v in headers] + [f"Content-Length: {len(raw)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


def register(phone: Phone, cseq: int) -> tuple[bytes, bytes]:
    """REGISTER from the phone and the PBX's 200 OK."""
    aor = f"sip:{phone.user}@{PBX_IP}"
    common = [("Via", f"SIP/2.0/UDP {phone.ip}:5060;branch=z9hG4bK-r{phone.index}-{cseq};rport"),
              ("From", f"<{aor}>;tag=r{phone.index}"), ("To", f"<{aor}>"),
              ("Call-ID", f"reg-{phone.index}@{phone.ip}"), ("CSeq", f"{cseq} REGISTER")]
    req = message(f"REGISTER sip:{PBX_IP} SIP/2.0", common + [
        ("Max-Forwards", "70"), ("Contact", f"<sip:{phone.user}@{phone.ip}:5060>;expires=3600"),
        ("User-Agent", phone.user_agent), ("Expires", "3600")])
    ok = message("SIP/2.0 200 OK", common[:2] + [("To", f"<{aor}>;tag=pbx{phone.index}")] + common[3:] + [
        ("Contact", f"<sip:{phone.user}@{phone.ip}:5060>;expires=3600"), ("Server", "Asterisk PBX 20.5.0")])
    return req, ok


@dataclass
class Dialog:
    """One call through the PBX (a proxy: one Call-ID, two hops)."""
    call_id: str
    caller: Phone
    callee: Phone
    cseq: int = 1

    def _headers(self, method: str, hop: str, branch: str, to_tag: bool) -> list[tuple[str, str]]:
        a, b = self.caller, self.callee
        vias = [("Via", f"SIP/2.0/UDP {a.ip}:5060;branch=z9hG4bK-{branch}a;rport")]
        if hop == "pbx-callee":
            vias.insert(0, ("Via", f"SIP/2.0/UDP {PBX_IP}:5060;branch=z9hG4bK-{branch}p"))
        to = f"<sip:{b.user}@{PBX_IP}>" + (f";tag=t{b.index}" if to_tag else "")
        return vias + [("From", f"\"Ext {a.user}\" <sip:{a.user}@{PBX_IP}>;tag=f{a.index}"), ("To", to),
                       ("Call-ID", self.call_id), ("CSeq", f"{self.cseq} {method}")]

    def request(self, method: str, sender: Phone, body: str = "") -> list[tuple[str, str, bytes]]:
        """A request from `sender` to the PBX and the PBX's copy to the other phone:
        [(src_ip, dst_ip, payload)], in order."""
        other = self.callee if sender is self.caller else self.caller
        branch = f"{self.call_id[:8]}{self.cseq}{method[:2]}"
        ua = [("User-Agent", sender.user_agent), ("Contact", f"<sip:{sender.user}@{sender.ip}:5060>")]
        to_tag = method != "INVITE" or self.cseq > 1
        first = message(f"{method} sip:{other.user}@{PBX_IP} SIP/2.0",
                        self._headers(method, "phone-pbx", branch, to_tag) + [("Max-Forwards", "70")] + ua, body)
        second = message(f"{method} sip:{other.user}@{other.ip}:5060 SIP/2.0",
                         self._headers(method, "pbx-callee", branch, to_tag) + [("Max-Forwards", "69"),
                                                                                 ("Record-Route", f"<sip:{PBX_IP};lr>")]
                         + ua, body)
        return [(sender.ip, PBX_IP, first), (PBX_IP, other.ip, second)]

    def response(self, status: str, method: str, sender: Phone, body: str = "") -> list[tuple[str, str, bytes]]:
        """A response from `sender` (the side that received the request) back through the PBX."""
        other = self.callee if sender is self.caller else self.caller
        branch = f"{self.call_id[:8]}{self.cseq}{method[:2]}"
        extra = [("User-Agent", sender.user_agent), ("Contact", f"<sip:{sender.user}@{sender.ip}:5060>")]
        with_tag = not status.startswith("100")
        first = message(f"SIP/2.0 {status}", self._headers(method, "pbx-callee", branch, with_tag) + extra, body)
        second = message(f"SIP/2.0 {status}", self._headers(method, "phone-pbx", branch, with_tag) + extra, body)
        return [(sender.ip, PBX_IP, first), (PBX_IP, other.ip, second)]


@lru_cache(maxsize=1)
def _server_context() -> ssl.SSLContext:
    """A TLS server context with a fresh RSA-2048 certificate for the PBX (made once per run)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "site-bench CA")])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pbx.site.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("pbx.site.example")]), critical=False)
            .sign(key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="site-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2      # so the certificate is visible on the wire
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


class TlsSession:
    """A real TLS connection between a phone (client) and the PBX (server), in memory: the bytes each
    side would put on TCP 5061, handshake first, then SIP requests as application data."""

    def __init__(self, sni: str = "pbx.site.example"):
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.check_hostname = False
        client_ctx.verify_mode = ssl.CERT_NONE
        self._c_in, self._c_out, self._s_in, self._s_out = (ssl.MemoryBIO() for _ in range(4))
        self.client = client_ctx.wrap_bio(self._c_in, self._c_out, server_hostname=sni)
        self.server = _server_context().wrap_bio(self._s_in, self._s_out, server_side=True)

    def handshake(self) -> list[tuple[bool, bytes]]:
        """[(from_client, bytes)] of the whole handshake, in order."""
        flights: list[tuple[bool, bytes]] = []
        for _ in range(6):
            done_c = _step(self.client)
            out = self._c_out.read()
            if out:
                flights.append((True, out))
                self._s_in.write(out)
            done_s = _step(self.server)
            out = self._s_out.read()
            if out:
                flights.append((False, out))
                self._c_in.write(out)
            if done_c and done_s:
                break
        return flights

    def send(self, from_client: bool, data: bytes) -> bytes:
        side, bio = (self.client, self._c_out) if from_client else (self.server, self._s_out)
        side.write(data)
        return bio.read()


def _step(side: ssl.SSLObject) -> bool:
    try:
        side.do_handshake()
        return True
    except ssl.SSLWantReadError:
        return False
