"""SIP messages to state and events: signaling sessions, User-Agents, calls, SDP offers/answers."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field

from collectors.errors import Incomplete, Malformed
from collectors.events import SdpObserved, SignalingObserved
from collectors.sip.body import find_sdp
from collectors.sip.calls import CallTable
from collectors.sip.message import SipMessage, parse_message
from collectors.sip.sdp import parse_sdp

MAX_SESSIONS = 50000
MAX_CALL_IDS = 64
MAX_MEDIA_KEYS = 4       # m-lines whose addresses an SdpObserved carries (to tell forwarded SDP)
CALL_CHANGING = ("INVITE", "BYE", "CANCEL", "UPDATE", "PRACK", "ACK")


@dataclass(slots=True)
class SignalingSession:
    """A SIP conversation between a client and a server over one transport, and who they said they are."""
    transport: str
    client: str
    client_port: int
    server: str
    server_port: int
    first_seen: float
    user_agents: list[str] = field(default_factory=list)
    call_ids: list[str] = field(default_factory=list)
    tls: dict | None = None
    messages: int = 0


class SipHandler:
    def __init__(self, calls: CallTable, endpoints, media, emit):
        self.calls = calls
        self.endpoints = endpoints
        self.media = media
        self.emit = emit
        self.sessions: dict[tuple, SignalingSession] = {}
        self.errors = 0
        self.limited = 0      # messages whose body was searched or parsed only up to a bound (body.py, sdp.py)
        self.messages = 0
        self.share = None     # callable(msg, src, sport, dst, dport, transport, ts): tell other workers

    def datagram(self, pkt, src: str, dst: str) -> None:
        try:
            msg, _ = parse_message(pkt.data[pkt.off:pkt.end], 0, datagram=True)
        except (Incomplete, Malformed):
            self.errors += 1
            return
        self.on_message(msg, src, pkt.sport, dst, pkt.dport, "udp", pkt.ts)

    def tls_session(self, client: str, cport: int, server: str, sport: int, ts: float, tls: dict | None) -> None:
        """SIP inside TLS: the session is known, its messages are not."""
        key = ("tls",) + tuple(sorted(((client, cport), (server, sport))))
        if key in self.sessions:
            self.sessions[key].tls = self.sessions[key].tls or tls
            return
        if len(self.sessions) < MAX_SESSIONS:
            self.sessions[key] = SignalingSession("tls", client, cport, server, sport, ts, tls=tls)
        self.emit(SignalingObserved("tls", client, cport, server, sport, ts, None))

    def on_message(self, msg: SipMessage, src: str, sport: int, dst: str, dport: int, transport: str,
                   ts: float) -> None:
        self.messages += 1
        session = self._session(msg, src, sport, dst, dport, transport, ts)
        agent = msg.header("user-agent") or msg.header("server")
        self.endpoints.saw_agent(src, agent, msg.header("server") is not None and not msg.header("user-agent"))
        if agent and agent[:200] not in session.user_agents and len(session.user_agents) < 8:
            session.user_agents.append(agent[:200])
        call_id = msg.call_id
        if call_id and call_id not in session.call_ids and len(session.call_ids) < MAX_CALL_IDS:
            session.call_ids.append(call_id)
        self._sdp(msg, src, dst, transport, ts)
        if self.share is not None and (msg.method in CALL_CHANGING or msg.body):
            self.share(msg, src, sport, dst, dport, transport, ts)

    def apply_shared(self, msg: SipMessage, src: str, sport: int, dst: str, dport: int, transport: str,
                     ts: float) -> None:
        """A SIP message another worker saw: update calls and media bindings, announce nothing."""
        raw = find_sdp(msg.header("content-type"), msg.body)
        sdp = parse_sdp(raw) if raw else None
        _call, seen = self.calls.on_message(msg, src, dst, transport, ts, sdp)
        if seen is not None:
            self.media.on_sdp(_announced(sdp, src), ts)

    def _session(self, msg, src, sport, dst, dport, transport, ts) -> SignalingSession:
        key = (transport,) + tuple(sorted(((src, sport), (dst, dport))))
        session = self.sessions.get(key)
        if session is None:
            client, cport, server, sport_ = (src, sport, dst, dport) if msg.is_request else (dst, dport, src, sport)
            session = SignalingSession(transport, client, cport, server, sport_, ts)
            if len(self.sessions) < MAX_SESSIONS:
                self.sessions[key] = session
            self.emit(SignalingObserved(transport, client, cport, server, sport_, ts,
                                        msg.header("user-agent") if msg.is_request else None))
        session.messages += 1
        return session

    def _sdp(self, msg: SipMessage, src: str, dst: str, transport: str, ts: float) -> None:
        limited = []
        raw = find_sdp(msg.header("content-type"), msg.body, on_limit=lambda: limited.append(1))
        sdp = parse_sdp(raw) if raw else None
        if limited or (sdp is not None and sdp.truncated):
            self.limited += 1
        call, seen = self.calls.on_message(msg, src, dst, transport, ts, sdp)
        if call is None or seen is None:
            return
        rtp_media = [m for m in sdp.media if m.is_rtp]
        self.emit(SdpObserved(
            call.call_id, src, dst, transport, ts, seen.is_offer, seen.message,
            tuple(m.proto for m in rtp_media),
            tuple(sorted({c.suite for m in rtp_media for c in m.crypto})),
            any(m.fingerprint for m in rtp_media), any(m.zrtp_hash for m in rtp_media),
            leg=seen.leg, group=call.group if call.group != call.call_id else "",
            mikey=any(m.key_mgmt == "mikey" for m in rtp_media),
            media=tuple(f"{m.address or src}:{m.port}" for m in rtp_media[:MAX_MEDIA_KEYS])))
        self.media.on_sdp(_announced(sdp, src), ts)


def _announced(sdp, owner: str) -> list[tuple[bytes, int]]:
    out = []
    for media in sdp.media:
        address = media.address or owner
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                packed = socket.inet_pton(family, address)
            except (OSError, ValueError):   # ValueError: a NUL in the text
                continue
            out.append((packed, media.port))
            out.append((packed, media.rtcp_port or media.port + 1))
            break
    return out
