"""Codec-independent RTP payload formats and the :class:`Payload` record.

* RFC 4733 telephone-events (DTMF),
* RFC 3389 comfort noise,
* RFC 6464-style audio levels in dBov.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

#: RFC 4733 event codes for DTMF characters.
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11,
               "A": 12, "B": 13, "C": 14, "D": 15, "!": 16}  # "!" = flash


@dataclass(frozen=True)
class Payload:
    """One RTP payload with its timing inside the stream.

    ``ts`` is the RTP timestamp offset (clock units) from the stream's first
    sample and ``time`` the send time in seconds from the stream start.
    ``pt`` overrides the stream's payload type (comfort noise, DTMF).
    ``kind`` is "speech", "sid" (codec-internal silence descriptor), "cn"
    (RFC 3389) or "event" (RFC 4733); ``level`` is the audio level in -dBov.
    """

    data: bytes
    ts: int
    time: float
    marker: bool = False
    pt: int | None = None
    kind: str = "speech"
    level: int = 127


def level_dbov(pcm: np.ndarray) -> int:
    """Audio level of ``pcm`` as a positive number of dB below overload (0-127)."""
    if len(pcm) == 0:
        return 127
    rms = math.sqrt(float(np.mean(np.asarray(pcm, dtype=np.float64) ** 2)))
    if rms <= 0.0:
        return 127
    return int(min(127, max(0, round(-20 * math.log10(rms / 32768.0)))))


def telephone_event(
    digit: str, duration_ms: int = 100, volume: int = 10,
    ptime_ms: int = 20, clock_rate: int = 8000,
) -> list[bytes]:
    """RFC 4733 payloads for one DTMF ``digit`` lasting ``duration_ms``.

    One 4-byte payload per ``ptime_ms`` with a growing duration field; the
    final payload (E bit set, full duration) is sent three times, as
    recommended by RFC 4733 section 2.5.1.4.
    """
    event = DTMF_EVENTS[digit.upper()]
    step = clock_rate * ptime_ms // 1000
    total = clock_rate * duration_ms // 1000
    updates = max(1, math.ceil(total / step))
    out = [_event_bytes(event, False, volume, k * step) for k in range(1, updates)]
    out += [_event_bytes(event, True, volume, total)] * 3
    return out


def _event_bytes(event: int, end: bool, volume: int, duration: int) -> bytes:
    flags = (0x80 if end else 0x00) | (volume & 0x3F)
    return bytes([event, flags]) + min(duration, 0xFFFF).to_bytes(2, "big")


def dtmf_packets(
    digit: str, ts: int, time: float, duration_ms: int = 100, *,
    pt: int = 101, ptime_ms: int = 20, clock_rate: int = 8000,
) -> list[Payload]:
    """:func:`telephone_event` payloads placed in a stream starting at ``ts``.

    All packets of one event share the event's start timestamp; the first has
    the marker bit; packets are sent every ``ptime_ms``.
    """
    datas = telephone_event(digit, duration_ms, ptime_ms=ptime_ms, clock_rate=clock_rate)
    return [
        Payload(data, ts, time + (k + 1) * ptime_ms / 1000, k == 0, pt, "event")
        for k, data in enumerate(datas)
    ]


def comfort_noise(level: int = 70, reflection: Sequence[float] = ()) -> bytes:
    """RFC 3389 comfort-noise payload.

    ``level`` is the noise level in -dBov (0-127); ``reflection`` optional
    reflection coefficients in [-1, 1], each quantised to one byte.
    """
    spectral = bytes(int(round((min(1.0, max(-1.0, k)) + 1.0) * 127.5)) for k in reflection)
    return bytes([level & 0x7F]) + spectral


def reflection_coefficients(pcm: np.ndarray, order: int = 4) -> list[float]:
    """Levinson-Durbin reflection coefficients of ``pcm`` (for CN spectra)."""
    x = np.asarray(pcm, dtype=np.float64)
    r = [float(np.dot(x[: len(x) - i], x[i:])) for i in range(order + 1)]
    if r[0] <= 0.0:
        return [0.0] * order
    a, err, ks = [1.0], r[0], []
    for i in range(1, order + 1):
        k = -sum(a[j] * r[i - j] for j in range(i)) / err
        a = [a[j] + k * (a[i - j] if 0 < i - j < len(a) else 0.0) for j in range(i)] + [k]
        err *= 1.0 - k * k
        ks.append(max(-1.0, min(1.0, k)))
        if err <= 0.0:
            break
    return ks + [0.0] * (order - len(ks))
