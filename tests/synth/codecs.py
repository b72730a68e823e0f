"""Real codec payloads for synthetic RTP streams.

:func:`encode_packets` turns :func:`audio.speech_like` PCM into one RTP payload
per packet, with timing (:class:`payloads.Payload`); :func:`encode` is the
plain ``list[bytes]`` view. Encoders:

=========  =========================================================
PCMU/PCMA  numpy G.711 (:mod:`g711`), 160 bytes / 20 ms
G722       PyAV ``g722``, 16 kHz audio, 160 bytes / 20 ms (RTP clock 8000)
opus       PyAV ``libopus``, 48 kHz, VBR (or CBR), one frame per packet
G729       libbcg729 (:mod:`g729`), 10-byte frames, 2 per 20 ms; 2-byte SID
AMR        PyAV ``libopencore_amrnb``, RFC 4867 octet-aligned payload
G726-32    PyAV ``g726le`` (RFC 3551 little-endian packing), 80 bytes / 20 ms
=========  =========================================================

A missing library raises :class:`CodecUnavailable` (tests turn it into a skip).
With ``vad=True`` silence is suppressed: G.729/AMR send their own SID frames,
the others send RFC 3389 comfort noise (PT 13).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from . import g711, g729
from .audio import speech_like
from .payloads import Payload, comfort_noise, level_dbov, reflection_coefficients

try:  # PyAV is optional: only G.722, opus, AMR and G.726 need it.
    import av
except ImportError:  # pragma: no cover - depends on the environment
    av = None


class CodecUnavailable(RuntimeError):
    """The library implementing a codec is not installed."""


@dataclass(frozen=True)
class CodecInfo:
    """SDP/RTP facts about a codec; ``audio_rate`` is the PCM rate fed to it."""

    payload_type: int
    clock_rate: int
    samples_per_packet: int  # RTP timestamp units per 20 ms packet
    rtpmap_name: str
    channels: int = 1
    fmtp: str | None = None
    audio_rate: int = 8000

    @property
    def rtpmap(self) -> str:
        """The ``a=rtpmap`` encoding, e.g. ``opus/48000/2``."""
        suffix = f"/{self.channels}" if self.channels > 1 else ""
        return f"{self.rtpmap_name}/{self.clock_rate}{suffix}"

    def samples(self, ptime_ms: int) -> int:
        """RTP timestamp increment of a ``ptime_ms`` packet."""
        return self.clock_rate * ptime_ms // 1000


CODECS: dict[str, CodecInfo] = {
    "PCMU": CodecInfo(0, 8000, 160, "PCMU"),
    "PCMA": CodecInfo(8, 8000, 160, "PCMA"),
    "G722": CodecInfo(9, 8000, 160, "G722", audio_rate=16000),  # RFC 3551 4.5.2
    "G729": CodecInfo(18, 8000, 160, "G729", fmtp="annexb=no"),
    "opus": CodecInfo(111, 48000, 960, "opus", 2, "minptime=10;useinbandfec=1", 48000),
    "AMR": CodecInfo(96, 8000, 160, "AMR", fmtp="octet-align=1"),
    "G726-32": CodecInfo(97, 8000, 160, "G726-32"),
    "telephone-event": CodecInfo(101, 8000, 160, "telephone-event", fmtp="0-16"),
    "CN": CodecInfo(13, 8000, 160, "CN"),
}

#: Speech frames quieter than this (dBov) count as silence for ``vad=True``.
VAD_THRESHOLD_DBOV = 55
#: Comfort-noise refresh interval while silent (packets of 20 ms).
CN_REFRESH_PACKETS = 50
#: RFC 4867 speech bits per frame type 0-8 (8 = SID), rounded up to bytes.
AMR_FRAME_BYTES = (12, 13, 15, 17, 19, 20, 26, 31, 5)


def encode(codec: str, seconds: float, ptime_ms: int = 20, seed: int = 0, **options) -> list[bytes]:
    """One RTP payload per packet for ``seconds`` of speech-like audio.

    Same options as :func:`encode_packets`; with ``vad=True`` the timing of
    the (fewer) packets is only available from :func:`encode_packets`.
    """
    return [p.data for p in encode_packets(codec, seconds, ptime_ms, seed, **options)]


def encode_packets(
    codec: str, seconds: float, ptime_ms: int = 20, seed: int = 0, *,
    pcm: np.ndarray | None = None, vad: bool = False, cbr: bool = False,
    bitrate: int | None = None,
) -> list[Payload]:
    """Encode speech-like audio (or ``pcm`` at the codec's audio rate).

    ``cbr`` applies to opus; ``bitrate`` to opus (default 24000) and AMR
    (mode bit rate, default 12200).
    """
    info = CODECS.get(codec)
    if info is None or codec not in _ENCODERS:
        raise ValueError(f"unknown codec {codec!r}; choose from {sorted(_ENCODERS)}")
    if pcm is None:
        pcm = speech_like(seconds, info.audio_rate, seed)
    return _ENCODERS[codec](pcm, info, ptime_ms, vad=vad, cbr=cbr, bitrate=bitrate)


class _Timeline:
    """Collects payloads and sets the marker bit on talkspurt starts."""

    def __init__(self, info: CodecInfo):
        self.clock_rate = info.clock_rate
        self.items: list[Payload] = []
        self._next_speech_ts: int | None = None

    def add(self, data: bytes, ts: int, samples: int, kind: str = "speech",
            level: int = 127, pt: int | None = None) -> None:
        marker = kind == "speech" and ts != self._next_speech_ts
        self.items.append(Payload(data, ts, ts / self.clock_rate, marker, pt, kind, level))
        self._next_speech_ts = ts + samples if kind == "speech" else None


def _packet_pcm(pcm: np.ndarray, per_packet: int) -> list[np.ndarray]:
    """Split PCM into packet-sized slices (the last one zero-padded)."""
    extra = (-len(pcm)) % per_packet
    pcm = np.concatenate([pcm, np.zeros(extra, dtype=np.int16)]) if extra else pcm
    return [pcm[i : i + per_packet] for i in range(0, len(pcm), per_packet)]


def _speech_flags(levels: list[int], hangover: int = 3) -> list[bool]:
    """Energy VAD with hangover: True while a packet (or a recent one) is loud."""
    flags, quiet = [], hangover + 1
    for level in levels:
        quiet = 0 if level < VAD_THRESHOLD_DBOV else quiet + 1
        flags.append(quiet <= hangover)
    return flags


def _constant_rate(encoder: Callable[[np.ndarray], bytes], bytes_per_10ms: int):
    """Build an encoder for codecs with fixed bytes per ms (G.711, G.722, G.726)."""

    def run(pcm, info: CodecInfo, ptime_ms: int, vad: bool, **_):
        stream = encoder(pcm)
        size = bytes_per_10ms * ptime_ms // 10
        pcm_chunks = _packet_pcm(pcm, info.audio_rate * ptime_ms // 1000)
        levels = [level_dbov(chunk) for chunk in pcm_chunks]
        speech = _speech_flags(levels) if vad else [True] * len(levels)
        timeline, step, silent_run = _Timeline(info), info.samples(ptime_ms), 0
        for i, chunk in enumerate(pcm_chunks):
            ts = i * step
            if speech[i]:
                timeline.add(stream[i * size : (i + 1) * size].ljust(size, b"\xff"), ts, step,
                             level=levels[i])
                silent_run = 0
                continue
            if silent_run % CN_REFRESH_PACKETS == 0:
                cn = comfort_noise(levels[i], reflection_coefficients(chunk))
                timeline.add(cn, ts, step, "cn", levels[i], CODECS["CN"].payload_type)
            silent_run += 1
        return timeline.items

    return run


def _require_av(name: str):
    if av is None:
        raise CodecUnavailable("PyAV (package 'av') is not installed")
    try:
        av.codec.Codec(name, "w")
    except Exception as exc:  # av raises UnknownCodecError / ValueError by version
        raise CodecUnavailable(f"FFmpeg in PyAV has no {name!r} encoder ({exc})") from exc


def av_encode(name: str, pcm: np.ndarray, rate: int, *, bit_rate: int | None = None,
              options: dict[str, str] | None = None) -> list[bytes]:
    """Run mono int16 ``pcm`` through PyAV encoder ``name``; return its packets."""
    _require_av(name)
    ctx = av.CodecContext.create(name, "w")
    ctx.sample_rate, ctx.format, ctx.layout = rate, "s16", "mono"
    if bit_rate:
        ctx.bit_rate = bit_rate
    ctx.options = dict(options or {})
    ctx.open()
    frame_size = ctx.frame_size or 160
    packets = []
    for pts, chunk in enumerate(_packet_pcm(pcm, frame_size)):
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, pts * frame_size, Fraction(1, rate)
        packets += [bytes(p) for p in ctx.encode(frame)]
    packets += [bytes(p) for p in ctx.encode(None)]
    return packets


def _g722_stream(pcm: np.ndarray) -> bytes:
    return b"".join(av_encode("g722", pcm, 16000))


def _g726_stream(pcm: np.ndarray) -> bytes:
    return b"".join(av_encode("g726le", pcm, 8000, bit_rate=32000, options={"code_size": "4"}))


def _opus(pcm, info: CodecInfo, ptime_ms: int, cbr: bool, bitrate: int | None, **_):
    if ptime_ms not in (10, 20, 40, 60):
        raise ValueError("opus ptime must be 10, 20, 40 or 60 ms")
    options = {"application": "voip", "frame_duration": str(ptime_ms),
               "vbr": "off" if cbr else "on"}
    frames = av_encode("libopus", pcm, 48000, bit_rate=bitrate or 24000, options=options)
    timeline, step = _Timeline(info), info.samples(ptime_ms)
    chunks = _packet_pcm(pcm, step)
    for i, chunk in enumerate(chunks):
        timeline.add(frames[i], i * step, step, level=level_dbov(chunk))
    return timeline.items


def _amr(pcm, info: CodecInfo, ptime_ms: int, vad: bool, bitrate: int | None, **_):
    if ptime_ms % 20:
        raise ValueError("AMR ptime must be a multiple of 20 ms")
    options = {"dtx": "1" if vad else "0"}
    frames = av_encode("libopencore_amrnb", pcm, 8000, bit_rate=bitrate or 12200, options=options)
    per_packet, step = ptime_ms // 20, info.samples(ptime_ms)
    timeline, chunks = _Timeline(info), _packet_pcm(pcm, step)
    for i, chunk in enumerate(chunks):
        group = frames[i * per_packet : (i + 1) * per_packet]
        if not group or all(_amr_type(f) == 15 for f in group):
            continue  # DTX: nothing sent
        kind = "sid" if any(_amr_type(f) == 8 for f in group) else "speech"
        timeline.add(amr_octet_aligned(group), i * step, step, kind, level_dbov(chunk))
    return timeline.items


def _amr_type(storage_frame: bytes) -> int:
    """Frame type (FT) from an AMR storage-format frame header."""
    return (storage_frame[0] >> 3) & 0x0F


def amr_octet_aligned(storage_frames: list[bytes], cmr: int = 15) -> bytes:
    """RFC 4867 octet-aligned payload: CMR byte, TOC entries, frame data.

    Input frames are in AMR storage format (RFC 4867 section 5: one header
    byte ``0 FT(4) Q 0 0`` then the speech bits), as FFmpeg produces them.
    """
    tocs = bytes((f[0] & 0x7C) | (0x80 if i < len(storage_frames) - 1 else 0)
                 for i, f in enumerate(storage_frames))
    return bytes([(cmr & 0x0F) << 4]) + tocs + b"".join(f[1:] for f in storage_frames)


def _g729(pcm, info: CodecInfo, ptime_ms: int, vad: bool, **_):
    if ptime_ms % 10:
        raise ValueError("G.729 ptime must be a multiple of 10 ms")
    try:
        frames = g729.encode_frames(pcm, vad)
    except g729.Bcg729Unavailable as exc:
        raise CodecUnavailable(str(exc)) from exc
    per_packet, timeline = ptime_ms // 10, _Timeline(info)
    for first in range(0, len(frames), per_packet):
        _g729_packets(timeline, frames, first, min(first + per_packet, len(frames)), pcm)
    return timeline.items


def _g729_packets(timeline: _Timeline, frames: list[bytes], first: int, stop: int,
                  pcm: np.ndarray) -> None:
    """Pack frames ``first:stop`` into packets (RFC 3551: speech..., then <=1 SID).

    An untransmitted frame or a SID frame ends the packet being built.
    """
    start, data = first, b""
    for index in range(first, stop + 1):
        frame = frames[index] if index < stop else b""
        if frame and not data:
            start = index
        data += frame
        if data and (not frame or len(frame) == g729.SID_BYTES):
            count = index - start + (1 if frame else 0)
            kind = "sid" if len(data) == g729.SID_BYTES else "speech"
            span = pcm[start * 80 : (start + count) * 80]
            timeline.add(data, start * 80, count * 80, kind, level_dbov(span))
            data = b""


_ENCODERS = {
    "PCMU": _constant_rate(g711.ulaw_encode, 80),
    "PCMA": _constant_rate(g711.alaw_encode, 80),
    "G722": _constant_rate(_g722_stream, 80),
    "G726-32": _constant_rate(_g726_stream, 40),
    "opus": _opus,
    "AMR": _amr,
    "G729": _g729,
}
