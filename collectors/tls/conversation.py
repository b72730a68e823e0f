"""One TCP connection that speaks TLS, seen from both directions: in-order bytes to a TlsSession,
and the judgement whether it is SIP signaling (SIP-TLS runs on any port)."""
from __future__ import annotations

from collectors.decode.tcpreasm import TcpReassembler
from collectors.tls.handshake import TlsInfo, TlsSession

SIP_TLS_PORTS = frozenset({5061, 5062, 5063})
SIP_HINTS = ("sip", "voip", "pbx", "ucm", "cucm", "sbc", "phone", "tel.")


class TlsConversation:
    __slots__ = ("session", "client_key", "reassembly", "reported", "hellos", "first_seen", "client",
                 "server", "client_port", "server_port")

    def __init__(self, ts: float):
        self.session = TlsSession()
        self.client_key: tuple | None = None
        self.reassembly: dict[tuple, TcpReassembler] = {}
        self.reported = False
        self.hellos = 0            # ClientHellos already announced
        self.first_seen = ts
        self.client = self.server = None
        self.client_port = self.server_port = 0

    def feed(self, flow, seq: int, payload: bytes, syn: bool) -> None:
        if self.client_key is None and payload[:1] == b"\x16" and payload[5:6] == b"\x01":
            self.client_key = flow.key
            self.client, self.client_port, self.server, self.server_port = flow.src, flow.sport, flow.dst, flow.dport
        reassembler = self.reassembly.get(flow.key)
        if reassembler is None:
            reassembler = self.reassembly[flow.key] = TcpReassembler()
        data, _gap = reassembler.feed(seq, payload, syn)
        if not data or self.session.done:
            return
        if flow.key == self.client_key:
            self.session.feed_client(data)
        elif self.client_key is not None:
            self.session.feed_server(data)

    @property
    def finished(self) -> bool:
        """Enough seen to report: the handshake completed, or both sides stopped being readable."""
        return self.session.complete or self.session.done

    def info(self) -> TlsInfo:
        return self.session.info()

    def is_sip(self, info: TlsInfo) -> tuple[bool, str]:
        """Whether this TLS connection carries SIP, and why we think so."""
        if "sip" in (info.alpn or "") or any("sip" in a for a in info.offered_alpn):
            return True, "tls: ALPN names sip"
        if self.server_port in SIP_TLS_PORTS:
            return True, f"tls: server port {self.server_port} (SIP over TLS)"
        name = (info.sni or "").lower()
        if any(hint in name for hint in SIP_HINTS):
            return True, f"tls: server name {info.sni!r} looks like a SIP service"
        return False, ""
