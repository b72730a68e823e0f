"""Whole synthetic calls: SIP signalling + RTP/RTCP (or SRTP/SRTCP) media, framed.

``build_call(CallSpec(...))`` lays out one call as a time-ordered list of
``(unix_time, ethernet_frame)`` plus the facts a test compares against
(SSRCs, payload types, plaintext packets, keys, SDP). ``Call.write`` or
:func:`write_pcap` store it as pcap/pcapng in any supported link type, and
:func:`gre_erspan_wrap` is applied per frame when ``CallSpec.erspan`` is set.

Timeline (seconds after the INVITE): 100 Trying at 0.01, 180 Ringing at
0.03, 200 OK after ``ring_time``, ACK 10 ms later, media from 20 ms after
the 200 OK for ``duration`` seconds, then BYE / 200 OK.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .codecs import CODECS, CodecInfo
from .frames import Framer, Host, TcpFlow, Timed
from .media import MediaStream, build_media
from .mirror import gre_erspan_wrap
from .pcapio import LINKTYPE_ETHERNET, write_pcap
from .sdp import SdpSpec, build_sdp, fake_fingerprint, fake_zrtp_hash
from .sip import Dialog, SipMessage, SipParty, call_flow
from .srtp import master_key_salt, sdes_crypto_line

__all__ = ["CallSpec", "Call", "MediaStream", "build_call", "write_pcap", "gre_erspan_wrap"]

PROFILES = {None: "RTP/AVP", "sdes": "RTP/SAVP", "dtls": "UDP/TLS/RTP/SAVP", "zrtp": "RTP/AVP", "mikey": "RTP/SAVP"}
MIKEY = "AQAFgM0XAQABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="   # a MIKEY message shape (keys never readable)
SIP_TIMES = {"INVITE": 0.0, "100": 0.01, "180": 0.03}
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


@dataclass(frozen=True)
class CallSpec:
    """Everything that varies between generated calls (all seeded by ``seed``).

    Addresses default to documentation ranges (IPv6 ones when ``ipv6``).
    ``sip_transport``: "udp", "tcp" or None (signalling stripped from the
    capture). ``tcp_segment_size`` splits SIP messages over several
    segments; ``tcp_coalesce`` puts back-to-back messages (100 + 180) into one.
    ``srtp_suite`` None means plain RTP; ``key_exchange`` ("sdes", "dtls",
    "zrtp") only changes the SDP (keys are always seeded, no handshake is
    generated); ``srtp_on_wire=False`` negotiates SRTP but sends plain RTP.
    ``start_mid_call`` drops everything in the first N seconds.
    ``vad`` enables silence suppression (SID / RFC 3389 CN); ``dtmf`` digits
    are sent by the caller as RFC 4733 events from 0.8 s into the media.
    ``loss``/``reorder`` are per-packet probabilities, ``jitter_ms`` a
    uniform send-time jitter; ``ssrc_change_at`` (seconds into the media)
    switches both senders to a new SSRC/sequence/timestamp base.
    ``audio_level_ext``, ``csrcs`` and ``rtp_padding`` shape RTP headers.
    ``vlans``: () / (vid,) / (outer, inner) for QinQ. ``erspan``: 2 or 3
    wraps every frame in GRE/ERSPAN. ``start_time`` is the INVITE's Unix time.
    """

    caller_ip: str | None = None
    callee_ip: str | None = None
    caller_mac: str = "02:00:00:00:01:0a"
    callee_mac: str = "02:00:00:00:02:14"
    caller_sip_port: int = 5060
    callee_sip_port: int = 5060
    caller_rtp_port: int = 16384
    callee_rtp_port: int = 20000
    sip_transport: str | None = "udp"
    tcp_segment_size: int | None = None
    tcp_coalesce: bool = False
    compact_sip: bool = False
    multipart_sdp: bool = False
    user_agent: str = "SynthPhone/1.0"
    caller_display: str | None = None
    callee_display: str | None = None
    callee_user_agent: str = "SynthPBX/2.1"
    codec: str = "PCMU"
    ptime_ms: int = 20
    vad: bool = False
    dtmf: str = ""
    srtp_suite: str | None = None
    key_exchange: str = "sdes"
    srtp_on_wire: bool = True
    srtp_mki: tuple[int, int] | None = None     # (MKI value, length): in a=crypto and on every packet
    srtp_lifetime: str | None = None            # a=crypto key lifetime, e.g. "2^31"
    decoy_suite: str | None = None              # offered first (tag 1) and not chosen: the answer takes tag 2
    duration: float = 3.0
    ring_time: float = 0.5
    rtcp: bool = True
    rtcp_mux: bool = False
    rtcp_interval: float = 5.0
    start_mid_call: float = 0.0
    vlans: tuple[int, ...] = ()
    ipv6: bool = False
    loss: float = 0.0
    reorder: float = 0.0
    jitter_ms: float = 0.0
    ssrc_change_at: float | None = None
    audio_level_ext: bool = False
    csrcs: tuple[int, ...] = ()
    rtp_padding: int = 0
    erspan: int | None = None
    seed: int = 0
    start_time: float = 1_700_000_000.0

    @property
    def codec_info(self) -> CodecInfo:
        return CODECS[self.codec]

    @property
    def encrypted(self) -> bool:
        """True when the media on the wire is SRTP."""
        return self.srtp_suite is not None and self.srtp_on_wire


@dataclass
class Call:
    """A generated call: frames in time order plus what a test checks against.

    ``sip`` is the whole generated message flow (the frames lack it when
    ``sip_transport`` is None or ``start_mid_call`` cut it); ``streams``
    describe only media that is in the frames; ``keys`` maps "caller" /
    "callee" to the SRTP master key||salt each side sends with.
    """

    spec: CallSpec
    frames: list[Timed]
    streams: list[MediaStream]
    sip: list[SipMessage]
    offer: str
    answer: str
    keys: dict[str, bytes] = field(default_factory=dict)

    def write(self, path: str | Path, linktype: int = LINKTYPE_ETHERNET,
              fmt: str = "pcap") -> Path:
        """Write the frames with :func:`pcapio.write_pcap`."""
        return write_pcap(path, self.frames, linktype, fmt)


def endpoints(spec: CallSpec) -> tuple[Host, Host]:
    """Caller and callee hosts, filling default addresses."""
    defaults = ("2001:db8:1::10", "2001:db8:2::20") if spec.ipv6 else ("10.1.0.10", "10.2.0.20")
    return (Host(spec.caller_ip or defaults[0], spec.caller_mac),
            Host(spec.callee_ip or defaults[1], spec.callee_mac))


def _sdp(spec: CallSpec, host: Host, port: int, key: bytes | None, offer: bool) -> str:
    """The offer (caller) or answer (callee) SDP."""
    info, attrs = spec.codec_info, {}
    codecs = [info]
    fmtp = {info.payload_type: "annexb=yes"} if spec.codec == "G729" and spec.vad else {}
    if spec.vad and spec.codec not in ("G729", "AMR", "opus"):
        codecs.append(CODECS["CN"])
    codecs.append(dataclasses.replace(CODECS["telephone-event"], clock_rate=info.clock_rate))
    exchange = spec.key_exchange if spec.srtp_suite else None
    if exchange == "sdes" and key is not None:
        chosen = sdes_crypto_line(2 if spec.decoy_suite else 1, spec.srtp_suite, key, mki=spec.srtp_mki,
                                  lifetime=spec.srtp_lifetime)
        decoy = ([sdes_crypto_line(1, spec.decoy_suite, master_key_salt(spec.decoy_suite, spec.seed + 99))]
                 if spec.decoy_suite and offer else [])
        attrs["crypto"] = decoy + [chosen]
    elif exchange == "dtls":
        attrs.update(fingerprint=fake_fingerprint(spec.seed * 2 + (not offer)),
                     setup="actpass" if offer else "active")
    elif exchange == "zrtp":
        attrs["zrtp_hash"] = fake_zrtp_hash(spec.seed * 2 + (not offer))
    extra = [f"a=extmap:1 {AUDIO_LEVEL_URI}"] if spec.audio_level_ext else []
    if exchange == "mikey":
        extra.append(f"a=key-mgmt:mikey {MIKEY}")
    rtcp_port = port + 1 if spec.rtcp and not spec.rtcp_mux else None
    return build_sdp(SdpSpec(
        host.ip, port, codecs, PROFILES[exchange], session_id=1000 + spec.seed,
        username="caller" if offer else "callee", ptime=spec.ptime_ms, rtcp_port=rtcp_port,
        rtcp_mux=spec.rtcp_mux, fmtp=fmtp, extra=extra, **attrs))


def _sip_times(spec: CallSpec, media_end: float) -> list[float]:
    """Send times of INVITE, 100, 180, 200, ACK, BYE, 200 (see module doc)."""
    ok = SIP_TIMES["180"] + spec.ring_time
    return [0.0, SIP_TIMES["100"], SIP_TIMES["180"], ok, ok + 0.01,
            media_end + 0.01, media_end + 0.02]


def _signalling_frames(spec: CallSpec, framer: Framer, caller: Host, callee: Host,
                       messages: list[SipMessage], times: list[float]) -> list[Timed]:
    """Frame the SIP messages over UDP or one TCP connection."""
    transport = spec.sip_transport
    if transport == "udp":
        out = []
        for message, t in zip(messages, times):
            src, dst = (caller, callee) if message.sender == "caller" else (callee, caller)
            sport, dport = ((spec.caller_sip_port, spec.callee_sip_port)
                            if message.sender == "caller"
                            else (spec.callee_sip_port, spec.caller_sip_port))
            out.append((t, framer.udp(src, dst, sport, dport, message.data)))
        return out
    if transport == "tcp":
        return _tcp_signalling(spec, framer, caller, callee, messages, times)
    raise ValueError("sip_transport must be 'udp', 'tcp' or None")


def _tcp_signalling(spec, framer, caller, callee, messages, times) -> list[Timed]:
    """SIP over one TCP connection from an ephemeral caller port."""
    client_port = 49152 + spec.seed % 16000
    flow = TcpFlow(framer, caller, callee, client_port, spec.callee_sip_port, spec.seed)
    out = flow.open(-0.01)
    for sender, data, t in _coalesce(messages, times, spec.tcp_coalesce):
        out += flow.send(t, sender == "caller", data, spec.tcp_segment_size)
    return out + flow.close(times[-1] + 0.05)


def _coalesce(messages: list[SipMessage], times: list[float], enabled: bool):
    """(sender, bytes, time) groups; with ``enabled``, provisional responses
    sent back to back by the same side share one write."""
    groups: list[tuple[str, bytes, float]] = []
    for message, t in zip(messages, times):
        if (enabled and groups and groups[-1][0] == message.sender
                and message.label in ("100", "180")):
            sender, data, first = groups[-1]
            groups[-1] = (sender, data + message.data, first)
        else:
            groups.append((message.sender, message.data, t))
    return groups


def build_call(spec: CallSpec) -> Call:
    """Generate one call according to ``spec`` (see :class:`CallSpec`)."""
    caller, callee = endpoints(spec)
    keys = {}
    if spec.srtp_suite:
        keys = {side: master_key_salt(spec.srtp_suite, spec.seed * 2 + i)
                for i, side in enumerate(("caller", "callee"))}
    offer = _sdp(spec, caller, spec.caller_rtp_port, keys.get("caller"), offer=True)
    answer = _sdp(spec, callee, spec.callee_rtp_port, keys.get("callee"), offer=False)
    dialog = Dialog.create(SipParty("alice", caller.ip, spec.caller_sip_port, spec.user_agent, spec.caller_display),
                           SipParty("bob", callee.ip, spec.callee_sip_port,
                                    spec.callee_user_agent, spec.callee_display),
                           spec.sip_transport or "udp", spec.seed, spec.compact_sip)
    messages = call_flow(dialog, offer, answer, spec.multipart_sdp)
    media_start = SIP_TIMES["180"] + spec.ring_time + 0.02
    framer = Framer(spec.vlans)
    frames: list[Timed] = []
    if spec.sip_transport:
        times = _sip_times(spec, media_start + spec.duration)
        frames += _signalling_frames(spec, framer, caller, callee, messages, times)
    streams = build_media(spec, framer, caller, callee, keys, media_start)
    for stream in streams:
        frames += stream.frames
    return _finish(spec, Call(spec, frames, streams, messages, offer, answer, keys))


def _finish(spec: CallSpec, call: Call) -> Call:
    """Sort, cut ``start_mid_call``, wrap in ERSPAN, convert to Unix time."""
    cut = spec.start_mid_call
    frames = sorted((f for f in call.frames if cut <= 0 or f[0] >= cut), key=lambda f: f[0])
    if spec.erspan:
        frames = [(t, gre_erspan_wrap(frame, spec.erspan, seq=i, timestamp=t))
                  for i, (t, frame) in enumerate(frames)]
    call.frames = [(spec.start_time + t, frame) for t, frame in frames]
    if cut > 0:
        for stream in call.streams:
            stream.drop_before(cut)
    return call
