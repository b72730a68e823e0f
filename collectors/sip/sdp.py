"""SDP (RFC 8866) parsing: only what the verdict and the call table need.

Written by hand rather than with sdp-transform: we need a handful of attributes, strict limits on
hostile input (thousands of m-lines), and SDES keys kept out of every printable field.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_MEDIA = 64       # m-lines kept; an SDP with more is `truncated`
MAX_LINES = 2048     # lines read; an SDP with more is `truncated`
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True, slots=True)
class Crypto:
    """One a=crypto line (RFC 4568). `key_params` holds the inline key: never print or store it."""
    tag: str
    suite: str
    key_params: str = field(repr=False, compare=False)


@dataclass(slots=True)
class Media:
    """One m= line of an SDP with the attributes that tell how its media is protected."""
    kind: str                     # audio, video, image, application
    port: int
    proto: str                    # RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, udptl ...
    formats: list[str]
    address: str | None = None    # c= of the media level, else of the session
    rtpmap: dict[int, str] = field(default_factory=dict)   # payload type -> "PCMU/8000"
    crypto: list[Crypto] = field(default_factory=list)
    fingerprint: str | None = None   # hash function name of a=fingerprint
    setup: str | None = None
    zrtp_hash: bool = False
    key_mgmt: str | None = None   # a=key-mgmt protocol (RFC 4567), e.g. "mikey": keys not readable
    rtcp_port: int | None = None
    rtcp_address: str | None = None
    rtcp_mux: bool = False
    direction: str = "sendrecv"

    @property
    def is_rtp(self) -> bool:
        return "RTP" in self.proto.upper()

    @property
    def secure_profile(self) -> bool:
        return "SAVP" in self.proto.upper()

    @property
    def offers_srtp(self) -> bool:
        return (self.secure_profile or bool(self.crypto) or self.fingerprint is not None
                or self.key_mgmt is not None)

    def codec_name(self, pt: int) -> str | None:
        entry = self.rtpmap.get(pt)
        return entry.split("/")[0] if entry else None


@dataclass(slots=True)
class SessionDescription:
    """An SDP body: its addresses, its media lines and the session-level keying attributes."""
    origin_address: str | None = None
    address: str | None = None
    media: list[Media] = field(default_factory=list)
    fingerprint: str | None = None
    setup: str | None = None
    zrtp_hash: bool = False
    key_mgmt: str | None = None
    direction: str = "sendrecv"
    truncated: bool = False      # more lines or m-lines than MAX_LINES / MAX_MEDIA: the rest was skipped


def parse_sdp(body: bytes) -> SessionDescription:
    sdp = SessionDescription()
    current: Media | None = None
    lines = body.decode("utf-8", "replace").splitlines()
    sdp.truncated = len(lines) > MAX_LINES
    for line in lines[:MAX_LINES]:
        kind, sep, value = line.strip().partition("=")
        if not sep or len(kind) != 1:
            continue
        if kind == "m":
            current = _media(value)
            if current is not None and len(sdp.media) < MAX_MEDIA:
                sdp.media.append(current)
            elif current is not None:
                sdp.truncated = True
        elif kind == "c":
            _connection(sdp, current, value)
        elif kind == "o":
            parts = value.split()
            sdp.origin_address = parts[5] if len(parts) >= 6 else None
        elif kind == "a":
            _attribute(sdp, current, value)
    for media in sdp.media:
        media.address = media.address or sdp.address
        media.fingerprint = media.fingerprint or sdp.fingerprint
        media.setup = media.setup or sdp.setup
        media.zrtp_hash = media.zrtp_hash or sdp.zrtp_hash
        media.key_mgmt = media.key_mgmt or sdp.key_mgmt
    return sdp


def _media(value: str) -> Media | None:
    parts = value.split()
    if len(parts) < 3:
        return None
    try:
        port = int(parts[1].split("/")[0])
    except ValueError:
        return None
    if not 0 <= port <= 65535:
        return None
    return Media(kind=parts[0].lower(), port=port, proto=parts[2], formats=parts[3:])


def _connection(sdp: SessionDescription, media: Media | None, value: str) -> None:
    parts = value.split()
    if len(parts) < 3:
        return
    address = parts[2].split("/")[0]
    if media is None:
        sdp.address = address
    else:
        media.address = address


def _attribute(sdp: SessionDescription, media: Media | None, value: str) -> None:
    name, _, arg = value.partition(":")
    name = name.strip().lower()
    arg = arg.strip()
    if name in DIRECTIONS:
        if media is None:
            sdp.direction = name
        else:
            media.direction = name
    elif name == "fingerprint":
        alg = arg.split()[0].lower() if arg else "unknown"
        if media is None:
            sdp.fingerprint = alg
        else:
            media.fingerprint = alg
    elif name == "setup":
        if media is None:
            sdp.setup = arg.lower()
        else:
            media.setup = arg.lower()
    elif name == "zrtp-hash":
        if media is None:
            sdp.zrtp_hash = True
        else:
            media.zrtp_hash = True
    elif name == "key-mgmt":
        protocol = arg.split()[0].lower()[:16] if arg else "unknown"
        if media is None:
            sdp.key_mgmt = protocol
        else:
            media.key_mgmt = protocol
    elif media is not None:
        _media_attribute(media, name, arg)


def _media_attribute(media: Media, name: str, arg: str) -> None:
    if name == "rtpmap":
        pt, _, encoding = arg.partition(" ")
        if pt.isdigit() and encoding:
            media.rtpmap[int(pt)] = encoding.strip()
    elif name == "crypto":
        parts = arg.split()
        if len(parts) >= 3:
            media.crypto.append(Crypto(parts[0], parts[1], " ".join(parts[2:])))
    elif name == "rtcp":
        parts = arg.split()
        if parts and parts[0].isdigit():
            media.rtcp_port = int(parts[0])
            media.rtcp_address = parts[3] if len(parts) >= 4 else None
    elif name == "rtcp-mux":
        media.rtcp_mux = True
