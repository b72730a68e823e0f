"""The contract between detection and policy: typed, immutable events (like Zeek's analyzer events).

The pipeline emits them through one seam, a callable `emit(event)`; policy, the store and the live
printer consume them. No event carries key material.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamVerdict:
    """A media (RTP) or control (RTCP) stream was decided, or its verdict changed."""
    stream_id: str
    src: str
    src_port: int
    dst: str
    dst_port: int
    transport: str
    kind: str                      # "rtp" | "rtcp"
    encrypted: bool
    keying: str | None
    codec: str | None
    call_id: str | None
    confidence: float
    evidence: tuple[str, ...]
    first_seen: float
    ts: float                      # time of the packet that decided it
    packets_to_verdict: int
    source: str                    # classifier that decided: "sdp", "payload", ...
    carries_media: bool            # RTP with audio/video/DTMF (not only comfort noise)
    leg: str = ""                  # the SIP hop whose SDP announced this stream ("a<->b"), "" when unknown


@dataclass(frozen=True, slots=True)
class SdpObserved:
    """An SDP offer or answer travelled in a SIP message."""
    call_id: str
    sender: str
    receiver: str
    signaling_transport: str       # "udp" | "tcp" | "tls" | "ws" | "wss"
    ts: float
    is_offer: bool
    message: str
    profiles: tuple[str, ...]
    crypto_suites: tuple[str, ...]   # suite names only, never the keys
    fingerprint: bool
    zrtp_hash: bool
    leg: str = ""                  # the SIP hop it travelled on ("a<->b", sorted)
    group: str = ""                # the first Call-ID of a B2BUA chain this call belongs to ("": its own)
    mikey: bool = False            # a=key-mgmt:mikey (keys inside MIKEY, not readable)
    media: tuple[str, ...] = ()    # "address:port" of each RTP m-line: tells a forwarded SDP from a rewritten one

    @property
    def offers_srtp(self) -> bool:
        return bool(self.crypto_suites) or self.fingerprint or any("SAVP" in p.upper() for p in self.profiles)


@dataclass(frozen=True, slots=True)
class SignalingObserved:
    """A new SIP signaling conversation (client -> server over one transport) was seen."""
    transport: str
    client: str
    client_port: int
    server: str
    server_port: int
    ts: float
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class ExposureProven:
    """Keys from cleartext signaling were tried on the sender's SRTP stream (no key material here)."""
    call_id: str
    sender: str
    stream_id: str
    decrypted: int
    tried: int
    suite: str | None
    text: str            # e.g. "decrypted 20/20 packets with the keys from the INVITE from 10.0.0.1"
    ts: float


@dataclass(frozen=True, slots=True)
class TlsHandshake:
    """A ClientHello: one (re)connection attempt to a TLS server (for reconnect storms)."""
    client: str
    server: str
    server_port: int
    ts: float


@dataclass(frozen=True, slots=True)
class TlsObserved:
    """What a TLS connection showed of itself, once its handshake was over (or the input ended)."""
    client: str
    client_port: int
    server: str
    server_port: int
    ts: float
    is_sip: bool
    sip_reason: str
    version: str | None
    sni: str | None
    cipher: str | None
    weak_cipher: str | None          # why the cipher is weak, if it is
    certificate: dict | None         # contract fields of the server's leaf certificate
    certificate_problems: tuple[str, ...]
    client_vendor: str | None
    client_rejects_wildcards: bool
    alert: str | None                # a cleartext TLS alert, e.g. "fatal unknown_ca"


@dataclass(frozen=True, slots=True)
class StreamEvidence:
    """The first frames of a stream flagged cleartext, kept as evidence (for a pcap download)."""
    stream_id: str
    src: str
    dst: str
    frames: tuple[tuple[float, int, bytes], ...]     # (timestamp, pcap link type, frame bytes)


@dataclass(frozen=True, slots=True)
class StreamEnded:
    """A media or control stream expired (idle timeout, full table, end of input): its final state, the
    same as its entry in the end report. A live run's end report keeps only the most recent ended
    streams; this event is how every stream's final counters reach the store."""
    stream_id: str
    src: str
    src_port: int
    dst: str
    dst_port: int
    transport: str
    kind: str                      # "rtp" | "rtcp"
    encrypted: bool
    keying: str | None             # "sdes" | "dtls-srtp" | "zrtp" | "unknown"; None when not encrypted
    ssrcs: tuple[int, ...]
    payload_types: tuple[int, ...]
    codec: str | None
    packets: int
    bytes: int
    first_seen: float
    last_seen: float
    call_id: str | None
    confidence: float
    evidence: tuple[str, ...]
    packets_to_verdict: int
    source: str | None             # classifier that decided the final verdict
    assurance: str | None          # what an encrypted verdict rests on; None when not encrypted
    leg: str | None


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The collector let a call go: it ended (BYE or CANCEL) and newer ended calls took its place, or
    the call table was full. What the end report lists of it (without its streams, which end on
    their own). `from_uri`/`to_uri` are the SIP URIs as seen: a consumer applies its privacy rules."""
    call_id: str
    from_uri: str
    to_uri: str
    signaling_transport: str
    offer: str | None              # the SDP media profile of the call's offer, e.g. "RTP/SAVP"
    answer: str | None
    first_seen: float
    ended_at: float | None         # the BYE or CANCEL; None when the call was let go without one
    group: str | None              # the first Call-ID of the B2BUA chain it belongs to; None: its own
