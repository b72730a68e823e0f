"""SDP offer/answer bodies (RFC 4566/8866) for one audio stream."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .codecs import CodecInfo

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True)
class SdpSpec:
    """What goes into one SDP body.

    ``codecs`` are offered in order (the first is the preferred one).
    ``profile`` is the m= transport, e.g. "RTP/AVP", "RTP/SAVP",
    "UDP/TLS/RTP/SAVP". ``crypto`` holds full ``a=crypto:`` lines
    (:func:`srtp.sdes_crypto_line`). ``fingerprint`` is
    "sha-256 AB:CD:..." (DTLS-SRTP, with ``setup``); ``zrtp_hash`` is
    "1.10 <hex>". ``rtcp_port`` adds ``a=rtcp:``; ``fmtp`` overrides the
    codec's fmtp per payload type; ``extra`` are more attribute lines.
    """

    address: str
    port: int
    codecs: Sequence[CodecInfo]
    profile: str = "RTP/AVP"
    session_id: int = 1
    session_version: int = 1
    username: str = "-"
    session_name: str = "synth call"
    ptime: int | None = 20
    direction: str | None = "sendrecv"
    crypto: Sequence[str] = ()
    fingerprint: str | None = None
    setup: str | None = None
    zrtp_hash: str | None = None
    rtcp_port: int | None = None
    rtcp_mux: bool = False
    fmtp: Mapping[int, str] = field(default_factory=dict)
    extra: Sequence[str] = ()


def address_type(address: str) -> str:
    """"IP4" or "IP6" for an address literal."""
    return "IP6" if ipaddress.ip_address(address).version == 6 else "IP4"


def build_sdp(spec: SdpSpec) -> str:
    """Render ``spec`` as SDP text with CRLF line endings."""
    if spec.direction is not None and spec.direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    net = f"IN {address_type(spec.address)} {spec.address}"
    lines = [
        "v=0",
        f"o={spec.username} {spec.session_id} {spec.session_version} {net}",
        f"s={spec.session_name}",
        f"c={net}",
        "t=0 0",
        f"m=audio {spec.port} {spec.profile} "
        + " ".join(str(c.payload_type) for c in spec.codecs),
    ]
    lines += _codec_lines(spec)
    lines += _transport_lines(spec, net)
    lines += [*spec.extra]
    if spec.direction:
        lines.append(f"a={spec.direction}")
    return "\r\n".join(lines) + "\r\n"


def _codec_lines(spec: SdpSpec) -> list[str]:
    lines = []
    for codec in spec.codecs:
        pt = codec.payload_type
        lines.append(f"a=rtpmap:{pt} {codec.rtpmap}")
        fmtp = spec.fmtp.get(pt, codec.fmtp)
        if fmtp:
            lines.append(f"a=fmtp:{pt} {fmtp}")
    if spec.ptime:
        lines.append(f"a=ptime:{spec.ptime}")
    return lines


def _transport_lines(spec: SdpSpec, net: str) -> list[str]:
    lines = []
    if spec.rtcp_port is not None:
        lines.append(f"a=rtcp:{spec.rtcp_port} {net}")
    if spec.rtcp_mux:
        lines.append("a=rtcp-mux")
    lines += [line if line.startswith("a=") else f"a={line}" for line in spec.crypto]
    if spec.fingerprint:
        lines.append(f"a=fingerprint:{spec.fingerprint}")
    if spec.setup:
        lines.append(f"a=setup:{spec.setup}")
    if spec.zrtp_hash:
        lines.append(f"a=zrtp-hash:{spec.zrtp_hash}")
    return lines


def fake_fingerprint(seed: int = 0) -> str:
    """A well-formed (but made-up) ``sha-256`` DTLS certificate fingerprint."""
    digest = hashlib.sha256(f"synth-dtls-cert:{seed}".encode()).digest()
    return "sha-256 " + ":".join(f"{b:02X}" for b in digest)


def fake_zrtp_hash(seed: int = 0) -> str:
    """A well-formed ``a=zrtp-hash`` value (RFC 6189): version + 64 hex digits."""
    return "1.10 " + hashlib.sha256(f"synth-zrtp-hello:{seed}".encode()).hexdigest()
