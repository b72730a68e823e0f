"""G.729 (Annex A/B) frames through the system's libbcg729, via ctypes.

bcg729 1.x API (``bcg729/encoder.h``)::

    ctx *initBcg729EncoderChannel(uint8_t enableVAD);
    void bcg729Encoder(ctx *, const int16_t in[80], uint8_t out[10], uint8_t *outLen);
    void closeBcg729EncoderChannel(ctx *);

``outLen`` is 10 for a speech frame, 2 for an Annex B SID frame and 0 for an
untransmitted (DTX) frame. The decoder is wrapped too, for round-trip tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

FRAME_SAMPLES = 80  # 10 ms at 8 kHz
SPEECH_BYTES = 10
SID_BYTES = 2

_I16P = ctypes.POINTER(ctypes.c_int16)
_U8P = ctypes.POINTER(ctypes.c_uint8)


class Bcg729Unavailable(RuntimeError):
    """libbcg729 is not installed (Debian/Ubuntu package ``libbcg729-0``)."""


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    """Load libbcg729 and declare the prototypes we use."""
    name = ctypes.util.find_library("bcg729") or "libbcg729.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise Bcg729Unavailable(f"cannot load libbcg729 ({exc})") from exc
    lib.initBcg729EncoderChannel.restype = ctypes.c_void_p
    lib.initBcg729EncoderChannel.argtypes = [ctypes.c_uint8]
    lib.bcg729Encoder.restype = None
    lib.bcg729Encoder.argtypes = [ctypes.c_void_p, _I16P, _U8P, _U8P]
    lib.closeBcg729EncoderChannel.argtypes = [ctypes.c_void_p]
    lib.initBcg729DecoderChannel.restype = ctypes.c_void_p
    lib.initBcg729DecoderChannel.argtypes = []
    lib.bcg729Decoder.restype = None
    lib.bcg729Decoder.argtypes = [ctypes.c_void_p, _U8P, ctypes.c_uint8, ctypes.c_uint8,
                                  ctypes.c_uint8, ctypes.c_uint8, _I16P]
    lib.closeBcg729DecoderChannel.argtypes = [ctypes.c_void_p]
    return lib


def available() -> bool:
    """True when libbcg729 can be loaded."""
    try:
        _library()
    except Bcg729Unavailable:
        return False
    return True


def encode_frames(pcm: np.ndarray, vad: bool = False) -> list[bytes]:
    """Encode 8 kHz int16 PCM into one G.729 frame per 10 ms.

    With ``vad`` the Annex B VAD/DTX is on: silent frames come back as 2-byte
    SID frames or as ``b""`` (nothing transmitted).
    """
    lib = _library()
    samples = np.ascontiguousarray(_pad(pcm), dtype=np.int16)
    ctx = lib.initBcg729EncoderChannel(1 if vad else 0)
    out = (ctypes.c_uint8 * SPEECH_BYTES)()
    length = ctypes.c_uint8()
    frames = []
    try:
        for start in range(0, len(samples), FRAME_SAMPLES):
            frame = samples[start : start + FRAME_SAMPLES]
            lib.bcg729Encoder(ctx, frame.ctypes.data_as(_I16P), out, ctypes.byref(length))
            frames.append(bytes(out[: length.value]))
    finally:
        lib.closeBcg729EncoderChannel(ctx)
    return frames


def decode_frames(frames: list[bytes]) -> np.ndarray:
    """Decode G.729 frames (10 or 2 bytes; ``b""`` = lost) to int16 PCM."""
    lib = _library()
    ctx = lib.initBcg729DecoderChannel()
    pcm = np.zeros(FRAME_SAMPLES * len(frames), dtype=np.int16)
    try:
        for i, frame in enumerate(frames):
            buf = (ctypes.c_uint8 * SPEECH_BYTES).from_buffer_copy(frame.ljust(SPEECH_BYTES, b"\0"))
            target = pcm[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            lib.bcg729Decoder(ctx, buf, len(frame), int(not frame), int(len(frame) == SID_BYTES),
                              0, target.ctypes.data_as(_I16P))
    finally:
        lib.closeBcg729DecoderChannel(ctx)
    return pcm


def _pad(pcm: np.ndarray) -> np.ndarray:
    """Zero-pad ``pcm`` to a whole number of 10 ms frames."""
    extra = (-len(pcm)) % FRAME_SAMPLES
    return np.concatenate([pcm, np.zeros(extra, dtype=np.int16)]) if extra else pcm
