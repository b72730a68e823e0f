"""Deterministic, speech-like test audio.

The signal is not speech, but it has the properties codecs and voice-activity
detectors react to:

* talkspurts made of syllables (4-6 per second) separated by real silence
  gaps, so VAD / DTX / comfort-noise paths are exercised;
* voiced syllables: a harmonic series on a wandering pitch (90-250 Hz) shaped
  by a vowel-like formant envelope and a syllable amplitude envelope;
* unvoiced syllables: high-passed noise bursts (fricatives);
* a very low noise floor everywhere (a real microphone is never all-zero).

Everything is driven by ``numpy.random.default_rng`` seeded from the caller's
seed, and the timing (:func:`speech_schedule`) does not depend on the sample
rate, so the same seed gives the same "utterance" at 8, 16 or 48 kHz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Vowel formants (F1, F2, F3) in Hz, roughly those of an adult speaker.
VOWELS: tuple[tuple[float, float, float], ...] = (
    (730.0, 1090.0, 2440.0),  # a
    (530.0, 1840.0, 2480.0),  # e
    (270.0, 2290.0, 3010.0),  # i
    (570.0, 840.0, 2410.0),  # o
    (300.0, 870.0, 2240.0),  # u
)
FORMANT_BANDWIDTHS = (90.0, 110.0, 170.0)
PITCH_RANGE = (90.0, 250.0)
#: Harmonics are synthesised up to this frequency (or 0.45 * rate).
MAX_HARMONIC_HZ = 5000.0


@dataclass(frozen=True)
class Segment:
    """One stretch of the utterance, in seconds from the start."""

    start: float
    end: float
    kind: str  # "voiced", "unvoiced" or "silence"

    @property
    def duration(self) -> float:
        return self.end - self.start


def speech_schedule(seconds: float, seed: int = 0) -> list[Segment]:
    """Lay out talkspurts, syllables and silence gaps over ``seconds``.

    Talkspurts last 0.8-2.5 s and are followed by 0.4-1.2 s of silence; a
    syllable is voiced (80 %) or an unvoiced burst (20 %).
    """
    rng = np.random.default_rng([seed, 0x5EED])
    segments: list[Segment] = []
    t = 0.0
    while t < seconds:
        spurt_end = min(t + rng.uniform(0.8, 2.5), seconds)
        while t < spurt_end:
            voiced = rng.random() >= 0.2
            length = rng.uniform(0.12, 0.30) if voiced else rng.uniform(0.05, 0.12)
            end = min(t + length, seconds)
            segments.append(Segment(t, end, "voiced" if voiced else "unvoiced"))
            t = end
        if t < seconds:
            end = min(t + rng.uniform(0.4, 1.2), seconds)
            segments.append(Segment(t, end, "silence"))
            t = end
    return segments


def speaker_pitch(seed: int) -> float:
    """Mean pitch (Hz) of the synthetic speaker for ``seed``."""
    return float(np.random.default_rng([seed, 0xF0]).uniform(105.0, 210.0))


def speech_like(
    seconds: float,
    rate: int = 8000,
    seed: int = 0,
    level_dbfs: float = -20.0,
    noise_floor_dbfs: float = -80.0,
) -> np.ndarray:
    """Return ``seconds`` of speech-like mono int16 PCM at ``rate`` Hz.

    ``level_dbfs`` is the RMS level of the active (non-silent) parts;
    ``noise_floor_dbfs`` the RMS of the background noise present everywhere.
    """
    n = int(round(seconds * rate))
    signal = np.zeros(n, dtype=np.float64)
    active = np.zeros(n, dtype=bool)
    f0 = speaker_pitch(seed)
    for index, seg in enumerate(speech_schedule(seconds, seed)):
        if seg.kind == "silence":
            continue
        i0, i1 = int(round(seg.start * rate)), int(round(seg.end * rate))
        if i1 <= i0:
            continue
        seg_rng = np.random.default_rng([seed, index])
        if seg.kind == "voiced":
            signal[i0:i1] = _voiced(i1 - i0, rate, f0, seg_rng)
        else:
            signal[i0:i1] = _unvoiced(i1 - i0, seg_rng)
        active[i0:i1] = True
    return _to_int16(signal, active, level_dbfs, noise_floor_dbfs, seed)


def _voiced(n: int, rate: int, mean_f0: float, rng: np.random.Generator) -> np.ndarray:
    """One voiced syllable: harmonics of a gliding pitch through a vowel."""
    pitch = _pitch_contour(n, mean_f0, rng)
    phase = 2.0 * np.pi * np.cumsum(pitch) / rate + rng.uniform(0, 2 * np.pi)
    formants = VOWELS[int(rng.integers(len(VOWELS)))]
    top = min(MAX_HARMONIC_HZ, 0.45 * rate)
    out = np.zeros(n)
    for k in range(1, int(top // PITCH_RANGE[0]) + 1):
        freq = k * pitch
        gain = _formant_gain(freq, formants) / k
        gain[freq >= top] = 0.0
        if not gain.any():
            break
        out += gain * np.sin(k * phase)
    out += 0.02 * rng.standard_normal(n)  # breathiness
    return out * _syllable_envelope(n)


def _pitch_contour(n: int, mean_f0: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth pitch glide through 4 random points around ``mean_f0``."""
    points = np.clip(mean_f0 * rng.uniform(0.8, 1.25, size=4), *PITCH_RANGE)
    return np.interp(np.linspace(0.0, 3.0, n), np.arange(4), points)


def _formant_gain(freq: np.ndarray, formants: tuple[float, float, float]) -> np.ndarray:
    """Resonance-shaped gain at ``freq`` for three formants (plus a floor)."""
    gain = np.full_like(freq, 0.05)
    for centre, width, weight in zip(formants, FORMANT_BANDWIDTHS, (1.0, 0.6, 0.3)):
        gain += weight / (1.0 + ((freq - centre) / width) ** 2)
    return gain


def _unvoiced(n: int, rng: np.random.Generator) -> np.ndarray:
    """A fricative-like burst: first-difference (high-passed) white noise."""
    noise = np.diff(rng.standard_normal(n + 1)) * 0.35
    return noise * _syllable_envelope(n)


def _syllable_envelope(n: int) -> np.ndarray:
    """Rise-and-fall amplitude envelope of a syllable (zero at both ends)."""
    x = np.linspace(0.0, 1.0, n)
    return np.sin(np.pi * x) ** 0.6


def _to_int16(
    signal: np.ndarray, active: np.ndarray, level_dbfs: float, floor_dbfs: float, seed: int
) -> np.ndarray:
    """Scale active parts to ``level_dbfs`` RMS, add the noise floor, clip."""
    full_scale = 32768.0
    if active.any():
        rms = float(np.sqrt(np.mean(signal[active] ** 2))) or 1.0
        signal = signal * (full_scale * 10 ** (level_dbfs / 20) / rms)
    floor = np.random.default_rng([seed, 0xF100]).standard_normal(len(signal))
    signal = signal + floor * full_scale * 10 ** (floor_dbfs / 20)
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


def active_mask(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Boolean per-sample mask: True where :func:`speech_like` is not silence."""
    n = int(round(seconds * rate))
    mask = np.zeros(n, dtype=bool)
    for seg in speech_schedule(seconds, seed):
        if seg.kind != "silence":
            mask[int(round(seg.start * rate)) : int(round(seg.end * rate))] = True
    return mask
