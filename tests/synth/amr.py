"""AMR-NB and AMR-WB RTP payloads (RFC 4867) in both payload formats.

:func:`bandwidth_efficient` packs AMR storage-format frames (header byte
``0 FT(4) Q 0 0`` then the speech bits, as FFmpeg and libvo-amrwbenc emit
them) into the RFC 4867 section 4.3 bandwidth-efficient payload: a 4-bit CMR,
6-bit TOC entries (F, FT, Q), the speech bits of each frame back to back, and
zero padding to the next octet. :func:`codecs.amr_octet_aligned` is the
octet-aligned counterpart.

Encoders:

* AMR-NB (8 kHz, 20 ms frames): PyAV ``libopencore_amrnb``, through
  :func:`codecs.av_encode` (the frames ``codecs.encode_packets("AMR")`` uses);
* AMR-WB (16 kHz, 20 ms frames): PyAV ``libvo_amrwbenc`` when this FFmpeg has
  it, else the system's libvo-amrwbenc through ctypes (``E_IF_encode``, the
  library FFmpeg wraps). Neither present raises :class:`codecs.CodecUnavailable`.

:func:`encode_amr_packets` mirrors :func:`codecs.encode_packets`: one
:class:`payloads.Payload` per packet, DTX frames dropped, SID packets marked
``kind="sid"`` and talkspurt starts marked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

from .audio import speech_like
from .codecs import (CodecInfo, CodecUnavailable, _amr_type, _packet_pcm, _Timeline, amr_octet_aligned,
                     av_encode)
from .payloads import Payload, level_dbov

try:
    import av
except ImportError:  # pragma: no cover - depends on the environment
    av = None

#: RFC 4867 table 1 / 3GPP TS 26.101: speech bits per frame type 0-7, SID (8).
AMR_NB_BITS = (95, 103, 118, 134, 148, 159, 204, 244, 39)
#: RFC 4867 / 3GPP TS 26.201: speech bits per frame type 0-8, SID (9).
AMR_WB_BITS = (132, 177, 253, 285, 317, 365, 397, 461, 477, 40)
NO_DATA = 15
#: Bit rate (bit/s) -> AMR-WB mode (frame type).
AMR_WB_MODES = {6600: 0, 8850: 1, 12650: 2, 14250: 3, 15850: 4, 18250: 5, 19850: 6, 23050: 7, 23850: 8}

AMR_INFO: dict[str, CodecInfo] = {
    "AMR": CodecInfo(96, 8000, 160, "AMR"),                                        # bandwidth-efficient
    "AMR-WB": CodecInfo(98, 16000, 320, "AMR-WB", audio_rate=16000),               # bandwidth-efficient
    "AMR-WB/octet": CodecInfo(98, 16000, 320, "AMR-WB", fmtp="octet-align=1", audio_rate=16000),
}


def frame_bits(wideband: bool) -> tuple[int, ...]:
    return AMR_WB_BITS if wideband else AMR_NB_BITS


def sid_type(wideband: bool) -> int:
    return 9 if wideband else 8


def bandwidth_efficient(storage_frames: list[bytes], wideband: bool = False, cmr: int = 15) -> bytes:
    """RFC 4867 section 4.3 payload from storage-format frames (one packet's worth)."""
    bits_per_type = frame_bits(wideband)
    writer = _BitWriter()
    writer.put(cmr & 0x0F, 4)
    for i, frame in enumerate(storage_frames):
        follows = 1 if i < len(storage_frames) - 1 else 0
        writer.put((follows << 5) | (frame[0] >> 2 & 0x1F), 6)     # F | FT(4) | Q
    for frame in storage_frames:
        ft = _amr_type(frame)
        count = bits_per_type[ft] if ft < len(bits_per_type) else 0
        if len(frame) - 1 < (count + 7) // 8:
            raise ValueError(f"frame type {ft} needs {count} bits, frame has {len(frame) - 1} bytes")
        writer.put(int.from_bytes(frame[1:], "big") >> (8 * (len(frame) - 1) - count), count)
    return writer.bytes()


class _BitWriter:
    def __init__(self):
        self.value, self.bits = 0, 0

    def put(self, value: int, count: int) -> None:
        self.value = (self.value << count) | (value & ((1 << count) - 1))
        self.bits += count

    def bytes(self) -> bytes:
        pad = (-self.bits) % 8
        return (self.value << pad).to_bytes((self.bits + pad) // 8, "big")


# -- AMR-WB encoder ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _vo_amrwbenc() -> ctypes.CDLL:
    name = ctypes.util.find_library("vo-amrwbenc") or "libvo-amrwbenc.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise CodecUnavailable(f"no AMR-WB encoder: PyAV has no 'libvo_amrwbenc' and the system "
                               f"library cannot be loaded ({exc})") from exc
    lib.E_IF_init.restype = ctypes.c_void_p
    lib.E_IF_init.argtypes = []
    lib.E_IF_encode.restype = ctypes.c_int
    lib.E_IF_encode.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int16),
                                ctypes.POINTER(ctypes.c_uint8), ctypes.c_int]
    lib.E_IF_exit.restype = None
    lib.E_IF_exit.argtypes = [ctypes.c_void_p]
    return lib


def amr_wb_backend() -> str:
    """Which AMR-WB encoder is used: "pyav" or "libvo-amrwbenc" (raises CodecUnavailable)."""
    if av is not None:
        try:
            av.codec.Codec("libvo_amrwbenc", "w")
            return "pyav"
        except Exception:  # av raises UnknownCodecError / ValueError by version
            pass
    _vo_amrwbenc()
    return "libvo-amrwbenc"


def amr_wb_frames(pcm: np.ndarray, bitrate: int = 23850, dtx: bool = False) -> list[bytes]:
    """16 kHz mono int16 ``pcm`` -> AMR-WB storage-format frames, one per 20 ms."""
    if bitrate not in AMR_WB_MODES:
        raise ValueError(f"AMR-WB bit rate must be one of {sorted(AMR_WB_MODES)}")
    if amr_wb_backend() == "pyav":
        return av_encode("libvo_amrwbenc", pcm, 16000, bit_rate=bitrate, options={"dtx": "1" if dtx else "0"})
    lib = _vo_amrwbenc()
    state = lib.E_IF_init()
    out = (ctypes.c_uint8 * 64)()
    frames = []
    try:
        for chunk in _packet_pcm(np.asarray(pcm, dtype=np.int16), 320):
            chunk = np.ascontiguousarray(chunk, dtype=np.int16)
            size = lib.E_IF_encode(state, AMR_WB_MODES[bitrate],
                                   chunk.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), out, int(dtx))
            frames.append(bytes(out[:size]))
    finally:
        lib.E_IF_exit(state)
    return frames


# -- payloads ------------------------------------------------------------------------------------
def encode_amr_packets(codec: str = "AMR", seconds: float = 2.0, ptime_ms: int = 20, seed: int = 0, *,
                       pcm: np.ndarray | None = None, vad: bool = False, bitrate: int | None = None,
                       octet_aligned: bool = False) -> list[Payload]:
    """AMR ("AMR", 8 kHz) or AMR-WB ("AMR-WB", 16 kHz) payloads, bandwidth-efficient unless
    ``octet_aligned``. ``bitrate`` defaults to 12200 (NB) / 23850 (WB)."""
    if codec not in ("AMR", "AMR-WB"):
        raise ValueError("codec must be 'AMR' or 'AMR-WB'")
    if ptime_ms % 20:
        raise ValueError("AMR ptime must be a multiple of 20 ms")
    wideband = codec == "AMR-WB"
    info = AMR_INFO["AMR-WB/octet" if wideband and octet_aligned else codec]
    if pcm is None:
        pcm = speech_like(seconds, info.audio_rate, seed)
    if wideband:
        frames = amr_wb_frames(pcm, bitrate or 23850, vad)
    else:
        frames = av_encode("libopencore_amrnb", pcm, 8000, bit_rate=bitrate or 12200,
                           options={"dtx": "1" if vad else "0"})
    per_packet, step = ptime_ms // 20, info.samples(ptime_ms)
    timeline, chunks = _Timeline(info), _packet_pcm(pcm, info.audio_rate * ptime_ms // 1000)
    for i, chunk in enumerate(chunks):
        group = frames[i * per_packet:(i + 1) * per_packet]
        if not group or all(_amr_type(f) == NO_DATA for f in group):
            continue  # DTX: nothing sent
        kind = "sid" if any(_amr_type(f) == sid_type(wideband) for f in group) else "speech"
        data = amr_octet_aligned(group) if octet_aligned else bandwidth_efficient(group, wideband)
        timeline.add(data, i * step, step, kind, level_dbov(chunk))
    return timeline.items


__all__ = ["AMR_INFO", "AMR_NB_BITS", "AMR_WB_BITS", "CodecUnavailable", "amr_wb_backend", "amr_wb_frames",
           "bandwidth_efficient", "encode_amr_packets"]
