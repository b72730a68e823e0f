"""TLS connections of the pipeline: conversations by connection, events when their handshake is
over, and the SIP-TLS signaling sessions they stand for. The handshake and certificate readers are
imported with the first TLS connection: most captures of RTP hold none."""
from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.events import TlsHandshake, TlsObserved
from collectors.flows import key_parts
from collectors.tls.names import weak_cipher

if TYPE_CHECKING:
    from collectors.tls.conversation import TlsConversation

MAX_CONVERSATIONS = 50000


class TlsTracker:
    def __init__(self, sip, endpoints, emit):
        self.sip = sip
        self.endpoints = endpoints
        self.emit = emit
        self.conversations: dict[tuple, TlsConversation] = {}
        self.errors = 0       # malformed records and handshake messages, counted as they arrive

    def conversation(self, flow, ts: float) -> TlsConversation:
        key = _connection(flow)
        conv = self.conversations.get(key)
        if conv is None:
            from collectors.tls.conversation import TlsConversation
            conv = TlsConversation(ts)
            if len(self.conversations) < MAX_CONVERSATIONS:
                self.conversations[key] = conv
        return conv

    def segment(self, flow, pkt) -> None:
        conv = flow.app
        session = conv.session
        errors = session.errors
        conv.feed(flow, pkt.tcp_seq, pkt.data[pkt.off:pkt.end], bool(pkt.tcp_flags & 0x02))
        self.errors += session.errors - errors
        while conv.hellos < session.handshakes_seen:
            conv.hellos += 1
            self.emit(TlsHandshake(conv.client, conv.server, conv.server_port, pkt.ts))
        if not conv.reported and conv.finished:
            self.report(conv, flow, pkt.ts)

    def report(self, conv: TlsConversation, flow, ts: float) -> None:
        conv.reported = True
        if conv.client is None:            # no ClientHello seen: the server is the lower port
            a, b = (flow.src, flow.sport), (flow.dst, flow.dport)
            (conv.client, conv.client_port), (conv.server, conv.server_port) = (a, b) if a[1] > b[1] else (b, a)
        from collectors.tls.certificate import problems
        info = conv.info()
        is_sip, why = conv.is_sip(info)
        cert = info.certificate
        tls = _contract(info) if info.version else None
        if is_sip:
            self.sip.tls_session(conv.client, conv.client_port, conv.server, conv.server_port, conv.first_seen, tls)
        vendor, rejects = self.endpoints.wildcard_policy(conv.client)
        self.emit(TlsObserved(
            conv.client, conv.client_port, conv.server, conv.server_port, ts, is_sip, why, info.version, info.sni,
            info.cipher, weak_cipher(info.cipher) if info.cipher else None, tls["certificate"] if tls else None,
            tuple(problems(cert, _when(ts))) if cert is not None else (), vendor, rejects, info.alert))

    def closed(self, flow) -> None:
        conv = self.conversations.pop(_connection(flow), None)
        if conv is not None and not conv.reported:
            self.report(conv, flow, flow.last_seen)

    def report_all(self) -> None:
        """End of input: connections whose handshake never finished say what they showed."""
        for conv in list(self.conversations.values()):
            if not conv.reported and conv.client_key is not None:
                self.report(conv, _Side(conv), conv.first_seen)


class _Side:
    """The flow-like view `report` needs when only the conversation is left."""
    def __init__(self, conv: TlsConversation):
        self.src, self.sport, self.dst, self.dport = conv.client, conv.client_port, conv.server, conv.server_port


def _connection(flow) -> tuple:
    src, sport, dst, dport = key_parts(flow.key)
    return tuple(sorted(((src, sport), (dst, dport))))


def _contract(info) -> dict:
    cert = info.certificate
    return {"version": info.version, "sni": info.sni, "cipher": info.cipher,
            "certificate": None if cert is None else {
                "subject": cert.subject, "issuer": cert.issuer, "not_after": cert.not_after,
                "self_signed": cert.self_signed, "wildcard": cert.wildcard, "key_bits": cert.key_bits or 0}}


def _when(ts: float):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(ts, timezone.utc)
