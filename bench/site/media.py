"""Media as the phones send it: real codec payloads of speech-like audio (PyAV/FFmpeg for G.722 and
Opus, libbcg729 for G.729, numpy G.711), RTP with ptime 20 ms, RTCP sender reports every 5 s, real
SRTP/SRTCP from libsrtp (pylibsrtp) with a fresh master key per stream (seeded by the site), and ZRTP Hello/Confirm on the
media 5-tuple for ZRTP phones."""
from __future__ import annotations

import os
import struct
import sys
import zlib
from functools import lru_cache

from bench.pcap import UdpTemplate
from bench.voip import rtcp_sr

CLOCK = {"PCMU": 8000, "PCMA": 8000, "G722": 8000, "G729": 8000, "opus": 48000}
SAMPLES_PER_PACKET = {codec: rate // 50 for codec, rate in CLOCK.items()}
CLIP_SECONDS = 6.0
RTCP_EVERY = 250                                  # packets (5 s at 20 ms)
_RTP = struct.Struct("!BBHII")


@lru_cache(maxsize=None)
def clip(codec: str, seed: int = 7) -> tuple[bytes, ...]:
    """CLIP_SECONDS of one codec's payloads (one per 20 ms packet), encoded once and then cycled.
    Falls back to PCMU (said on stderr) when the codec's library is missing."""
    from tests.synth.codecs import encode
    try:
        return tuple(encode(codec, CLIP_SECONDS, 20, seed))
    except Exception as exc:                       # a codec library missing on this machine
        print(f"site: {codec} unavailable ({exc}); sending PCMU payloads under its payload type",
              file=sys.stderr)
        return tuple(encode("PCMU", CLIP_SECONDS, 20, seed))


def srtp_session(key_salt: bytes):
    import pylibsrtp
    policy = pylibsrtp.Policy(key=key_salt, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                              srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80)
    return pylibsrtp.Session(policy=policy)


class Stream:
    """One direction of a call's media: next() gives the next RTP (or SRTP) frame."""

    __slots__ = ("template", "rtcp_template", "pt", "ssrc", "seq", "ts", "step", "payloads", "at", "srtp",
                 "sent", "octets", "cname", "paused", "owner")

    def __init__(self, template: UdpTemplate, rtcp_template: UdpTemplate, codec: str, pt: int, ssrc: int,
                 srtp_key: bytes | None, offset: int, owner: str):
        self.template, self.rtcp_template, self.pt, self.ssrc = template, rtcp_template, pt, ssrc
        self.seq, self.ts = ssrc & 0x7FFF, (ssrc * 7) & 0x7FFFFFFF
        self.step = SAMPLES_PER_PACKET[codec]
        self.payloads = clip(codec)
        self.at = offset % len(self.payloads)
        self.srtp = srtp_session(srtp_key) if srtp_key else None
        self.sent = self.octets = 0
        self.cname = f"{ssrc:08x}@{template.src}"
        self.paused = False
        self.owner = owner

    def next(self) -> bytes:
        payload = self.payloads[self.at]
        self.at = (self.at + 1) % len(self.payloads)
        packet = _RTP.pack(0x80, self.pt | (0x80 if self.sent == 0 else 0), self.seq, self.ts, self.ssrc) + payload
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + self.step) & 0xFFFFFFFF
        self.sent += 1
        self.octets += len(payload)
        if self.srtp is not None:
            packet = self.srtp.protect(packet)
        return self.template.frame(packet)

    def rtcp(self, now_us: int) -> bytes:
        report = rtcp_sr(self.ssrc, now_us, self.ts, self.sent, self.octets, self.cname)
        if self.srtp is not None:
            report = self.srtp.protect_rtcp(report)
        return self.rtcp_template.frame(report)


def new_key(rng=None) -> bytes:
    """An SRTP master key and salt (30 bytes): from `rng` (a seeded random.Random: the same seed, the same
    ciphertext, so a run's frames can be made again offline) or the OS."""
    return rng.randbytes(30) if rng is not None else os.urandom(30)


# -- ZRTP (RFC 6189): the packets a ZRTP endpoint sends before SRTP, with the CRC-32C the RFC asks for
def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def zrtp_packet(ssrc: int, seq: int, message_type: bytes, body_words: int = 4) -> bytes:
    """A ZRTP packet: header (0x10, sequence, magic cookie 'ZRTP', SSRC), a message with the 0x505a
    preamble, its length in words and 8-character type, a seeded body, and the CRC-32C."""
    body = zlib.compress(message_type * body_words)[:body_words * 4].ljust(body_words * 4, b"\0")
    message = b"\x50\x5a" + struct.pack("!H", 3 + body_words) + message_type + body
    packet = struct.pack("!BBH4sI", 0x10, 0, seq, b"ZRTP", ssrc) + message
    return packet + struct.pack("!I", crc32c(packet))
