"""Speech-like audio and a G.711 encoder in numpy, for the benchmark capture.

`speech_pcm` synthesises a few seconds of 8 kHz int16 audio that has the statistics of a talker:
voiced syllables (a wandering pitch with harmonics shaped by two moving formants), unvoiced
fricative bursts, pauses between talk spurts and a low background noise floor. `g711_frames`
encodes it once to mu-law or A-law and cuts it into 20 ms frames (160 bytes), which the capture
generator cycles through with a per-stream offset.

The encoders follow ITU-T G.711 as implemented by the reference Sun `g711.c` (the same rules as
CPython's `audioop.lin2ulaw` / `lin2alaw`): mu-law on 14-bit magnitudes with bias 0x84 >> 2 and
clip 8159, A-law on 13-bit magnitudes with even-bit inversion (0x55).
"""
from __future__ import annotations

import numpy as np

RATE = 8000
FRAME_SAMPLES = 160                     # 20 ms at 8 kHz

_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int32)
_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159


def ulaw_encode(pcm: np.ndarray) -> np.ndarray:
    """G.711 mu-law: int16 samples -> uint8 code words."""
    x = np.asarray(pcm, dtype=np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = np.searchsorted(_ULAW_SEG_END, mag, side="left")     # first segment whose end >= mag
    code = (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def alaw_encode(pcm: np.ndarray) -> np.ndarray:
    """G.711 A-law: int16 samples -> uint8 code words."""
    x = np.asarray(pcm, dtype=np.int32) >> 3
    mask = np.where(x >= 0, 0xD5, 0x55)
    mag = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(_ALAW_SEG_END, mag, side="left")
    segc = np.minimum(seg, 7)
    shift = np.where(segc < 2, 1, segc)
    code = (segc << 4) | ((mag >> shift) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    """Inverse of `ulaw_encode` (for self-checks)."""
    u = ~np.asarray(codes, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mag = (((u & 0x0F) << 3) + _ULAW_BIAS) << exponent
    return np.where(u & 0x80, _ULAW_BIAS - mag, mag - _ULAW_BIAS).astype(np.int16)


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    """Inverse of `alaw_encode` (for self-checks)."""
    a = np.asarray(codes, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


def speech_pcm(seconds: float = 6.0, seed: int = 7) -> np.ndarray:
    """Speech-like int16 PCM at 8 kHz: talk spurts of syllables separated by pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = rng.normal(0.0, 10.0, n)                      # background noise floor (~ -70 dBFS)
    pos = int(0.2 * RATE)
    while pos < n:
        spurt_end = min(n, pos + int(rng.uniform(0.9, 2.2) * RATE))
        while pos < spurt_end:
            length = int(rng.uniform(0.12, 0.3) * RATE)
            seg = slice(pos, min(n, pos + length))
            count = seg.stop - seg.start
            if rng.random() < 0.2:
                out[seg] += _fricative(rng, count)
            else:
                out[seg] += _vowel(rng, count)
            pos += length + int(rng.uniform(0.0, 0.06) * RATE)
        pos += int(rng.uniform(0.3, 0.8) * RATE)            # pause between talk spurts
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def _envelope(count: int) -> np.ndarray:
    """Raised-cosine attack and decay over a syllable."""
    t = np.linspace(0.0, np.pi, count)
    return np.sin(t) ** 0.6


def _vowel(rng: np.random.Generator, count: int) -> np.ndarray:
    """A voiced syllable: harmonics of a drifting pitch under two gliding formants."""
    t = np.arange(count) / RATE
    f0 = rng.uniform(95.0, 210.0) * (1.0 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    f1 = np.linspace(rng.uniform(350, 800), rng.uniform(350, 800), count)
    f2 = np.linspace(rng.uniform(1000, 2300), rng.uniform(1000, 2300), count)
    signal = np.zeros(count)
    for h in range(1, int(3400 / f0.min()) + 1):
        freq = h * f0
        gain = (np.exp(-((freq - f1) / 160.0) ** 2) + 0.5 * np.exp(-((freq - f2) / 220.0) ** 2)
                + 0.04 / h)
        signal += np.where(freq < 3500, gain, 0.0) * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    signal /= np.max(np.abs(signal)) or 1.0
    level = rng.uniform(2500, 9000)                     # -22 .. -11 dBFS peaks
    return level * _envelope(count) * signal


def _fricative(rng: np.random.Generator, count: int) -> np.ndarray:
    """An unvoiced burst: differentiated (high-tilted) noise."""
    noise = np.diff(rng.normal(0.0, 1.0, count + 1))
    return rng.uniform(600, 1800) * _envelope(count) * noise


def g711_frames(law: str, seconds: float = 6.0, seed: int = 7) -> list[bytes]:
    """The speech clip encoded once in `law` ("ulaw" or "alaw"), as 160-byte frames."""
    pcm = speech_pcm(seconds, seed)
    codes = ulaw_encode(pcm) if law == "ulaw" else alaw_encode(pcm)
    raw = codes.tobytes()
    return [raw[i:i + FRAME_SAMPLES] for i in range(0, len(raw) - FRAME_SAMPLES + 1, FRAME_SAMPLES)]
