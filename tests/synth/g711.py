"""G.711 mu-law / A-law in numpy (ITU-T G.711, the classic Sun g711.c rules).

Kept dependency-free so PCMU/PCMA captures can always be generated; the tests
check these against an independent decoder (PyAV).
"""

from __future__ import annotations

import numpy as np

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159


def _segment(magnitude: np.ndarray, lowest_bit: int) -> np.ndarray:
    """Index of the highest set bit above ``lowest_bit`` (0..7), vectorised."""
    seg = np.zeros(magnitude.shape, dtype=np.int32)
    for s in range(1, 8):
        seg[magnitude >= (1 << (lowest_bit + s))] = s
    return seg


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """Encode int16 samples to G.711 mu-law bytes (14-bit reference rules)."""
    x = np.asarray(pcm, dtype=np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = _segment(magnitude, 5)
    value = (seg << 4) | ((magnitude >> (seg + 1)) & 0x0F)
    value = np.where(magnitude >= 0x2000, 0x7F, value)  # clip
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 mu-law bytes to int16 samples."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + _ULAW_BIAS) << exponent
    return np.where(u & 0x80, _ULAW_BIAS - magnitude, magnitude - _ULAW_BIAS).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> bytes:
    """Encode int16 samples to G.711 A-law bytes (even bits inverted)."""
    x = np.asarray(pcm, dtype=np.int32) >> 3  # 13-bit linear
    mask = np.where(x >= 0, 0xD5, 0x55)
    magnitude = np.where(x >= 0, x, -x - 1)
    seg = _segment(magnitude, 4)
    shift = np.where(seg < 2, 1, seg)
    value = (seg << 4) | ((magnitude >> shift) & 0x0F)
    value = np.where(magnitude >= 0x1000, 0x7F, value)  # clip
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 A-law bytes to int16 samples."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)
