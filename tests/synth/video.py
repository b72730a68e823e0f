"""Real video RTP payloads: H.264 (RFC 6184) and VP8 (RFC 7741) from PyAV encoders.

A deterministic moving test pattern (:func:`moving_pattern`: drifting colour
bars, a gradient, a bouncing box and a little seeded sensor noise) is encoded
with PyAV ``libx264`` (constrained baseline, in-band SPS/PPS on every IDR) or
``libvpx`` (VP8, realtime) and packetized:

=====  ==================================================================
H264   PT 96: single NAL unit packets for NAL units that fit, FU-A
       fragments for larger ones (no STAP-A), packetization-mode=1
VP8    PT 97: RFC 7741 payload descriptor (X/I/M with a 15-bit PictureID
       by default, S bit and PID 0 on the first packet of a frame)
=====  ==================================================================

Both use the 90 kHz RTP clock; all packets of a frame share its timestamp and
the last one carries the marker bit. Payloads are at most ``mtu`` bytes
(default 1200). The functions return :class:`payloads.Payload` records like
:func:`codecs.encode_packets` (``data``, ``ts``, ``time``, ``marker``), ready
for :class:`rtp.RtpStream`. A missing encoder raises
:class:`codecs.CodecUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np

from .codecs import CodecUnavailable, _require_av
from .payloads import Payload

try:
    import av
except ImportError:  # pragma: no cover - depends on the environment
    av = None

CLOCK_RATE = 90000
MAX_PAYLOAD = 1200
#: Gap between the packets of one frame on the wire (a sender paces a frame's burst).
PACKET_GAP = 0.0002

#: H.264 NAL unit types used here (RFC 6184 section 5.2 / H.264 table 7-1).
NAL_SLICE, NAL_IDR, NAL_SEI, NAL_SPS, NAL_PPS = 1, 5, 6, 7, 8
NAL_STAP_A, NAL_FU_A = 24, 28


@dataclass(frozen=True)
class VideoInfo:
    """SDP/RTP facts about a video payload format."""

    payload_type: int
    rtpmap_name: str
    fmtp: str | None = None
    clock_rate: int = CLOCK_RATE

    @property
    def rtpmap(self) -> str:
        return f"{self.rtpmap_name}/{self.clock_rate}"


VIDEO_CODECS: dict[str, VideoInfo] = {
    "H264": VideoInfo(96, "H264", "profile-level-id=42e01f;packetization-mode=1"),
    "VP8": VideoInfo(97, "VP8"),
}


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded picture: its data units (H.264 NAL units, or one VP8 frame)."""

    index: int
    units: tuple[bytes, ...]
    keyframe: bool


# -- source --------------------------------------------------------------------------------------
def moving_pattern(seconds: float, fps: int, width: int = 320, height: int = 240,
                 seed: int = 0) -> Iterator[np.ndarray]:
    """``seconds * fps`` RGB frames (``height x width x 3`` uint8) of a moving pattern."""
    rng = np.random.default_rng(seed)
    bars = np.array([[235, 235, 235], [235, 235, 16], [16, 235, 235], [16, 235, 16],
                     [235, 16, 235], [235, 16, 16], [16, 16, 235], [16, 16, 16]], dtype=np.int16)
    xs, ys = np.meshgrid(np.arange(width), np.arange(height))
    split = height * 2 // 3             # bottom third: a diagonal gradient scrolling the other way
    box = max(8, min(width, height) // 5)
    vx, vy = 3 + seed % 5, 2 + seed % 3
    for i in range(int(round(seconds * fps))):
        frame = bars[((xs + 2 * i) * len(bars) // width) % len(bars)]
        grad = ((xs[split:] - 3 * i + ys[split:]) * 255 // (width + height)) % 256
        frame[split:] = np.stack([grad, 255 - grad, grad // 2], axis=-1)
        bx = abs((vx * i) % (2 * (width - box)) - (width - box))
        by = abs((vy * i) % (2 * (height - box)) - (height - box))
        frame[by:by + box, bx:bx + box] = (255 * (i % 2), 128, 255 * ((i // 2) % 2))
        frame += rng.integers(-4, 5, frame.shape, dtype=np.int16)          # sensor noise
        yield np.clip(frame, 0, 255).astype(np.uint8)


# -- encoders ------------------------------------------------------------------------------------
def _video_encoder(name: str, fps: int, width: int, height: int, bitrate: int, keyint: int,
                   options: dict[str, str]):
    _require_av(name)
    ctx = av.CodecContext.create(name, "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base, ctx.framerate = Fraction(1, fps), Fraction(fps, 1)
    ctx.bit_rate, ctx.gop_size, ctx.max_b_frames = bitrate, keyint, 0
    ctx.thread_count = 1            # one thread: deterministic output, one slice per picture
    ctx.options = options
    ctx.open()
    return ctx


def _encode_frames(ctx, seconds: float, fps: int, width: int, height: int, seed: int):
    """(pts, keyframe, data) of every packet the encoder produces, in decode order."""
    out = []
    for pts, rgb in enumerate(moving_pattern(seconds, fps, width, height, seed)):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = pts, Fraction(1, fps)
        out += [(p.pts, p.is_keyframe, bytes(p)) for p in ctx.encode(frame)]
    out += [(p.pts, p.is_keyframe, bytes(p)) for p in ctx.encode(None)]
    return out


def h264_frames(seconds: float = 3.0, fps: int = 20, seed: int = 0, *, width: int = 320,
                height: int = 240, bitrate: int = 400_000, keyint: int | None = None
                ) -> list[EncodedFrame]:
    """libx264 constrained-baseline pictures, split into NAL units (Annex B start codes removed)."""
    options = {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline",
               "x264-params": f"scenecut=0:min-keyint={keyint or fps}"}
    ctx = _video_encoder("libx264", fps, width, height, bitrate, keyint or fps, options)
    return [EncodedFrame(pts, tuple(split_annexb(data)), key)
            for pts, key, data in _encode_frames(ctx, seconds, fps, width, height, seed)]


def vp8_frames(seconds: float = 3.0, fps: int = 20, seed: int = 0, *, width: int = 320,
               height: int = 240, bitrate: int = 400_000, keyint: int | None = None
               ) -> list[EncodedFrame]:
    """libvpx VP8 frames (realtime, no alt-ref lag, so one visible frame per input frame)."""
    options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
               "auto-alt-ref": "0", "error-resilient": "1"}
    ctx = _video_encoder("libvpx", fps, width, height, bitrate, keyint or fps, options)
    return [EncodedFrame(pts, (data,), key)
            for pts, key, data in _encode_frames(ctx, seconds, fps, width, height, seed)]


def split_annexb(stream: bytes) -> list[bytes]:
    """NAL units of an H.264 Annex B byte stream (3- or 4-byte start codes)."""
    units, pos = [], stream.find(b"\x00\x00\x01")
    while pos >= 0:
        start = pos + 3
        nxt = stream.find(b"\x00\x00\x01", start)
        end = len(stream) if nxt < 0 else nxt
        unit = stream[start:end]
        if nxt >= 0:
            unit = unit.rstrip(b"\x00")     # the next start code's leading zero (00 00 00 01)
        if unit:
            units.append(unit)
        pos = nxt
    return units


# -- packetizers ---------------------------------------------------------------------------------
def packetize_h264(frames: list[EncodedFrame], fps: int, mtu: int = MAX_PAYLOAD) -> list[Payload]:
    """RFC 6184 non-interleaved mode: single NAL unit packets, FU-A for NAL units over ``mtu``."""
    if mtu < 3:
        raise ValueError("mtu too small for FU-A")
    out: list[Payload] = []
    for frame in frames:
        datas: list[bytes] = []
        for nal in frame.units:
            if len(nal) <= mtu:
                datas.append(nal)
                continue
            indicator = (nal[0] & 0xE0) | NAL_FU_A          # F and NRI of the NAL unit, type 28
            body, size = nal[1:], mtu - 2
            chunks = [body[i:i + size] for i in range(0, len(body), size)]
            for k, chunk in enumerate(chunks):
                header = (0x80 if k == 0 else 0) | (0x40 if k == len(chunks) - 1 else 0) | (nal[0] & 0x1F)
                datas.append(bytes([indicator, header]) + chunk)
        out += _frame_payloads(datas, frame.index, fps)
    return out


def packetize_vp8(frames: list[EncodedFrame], fps: int, mtu: int = MAX_PAYLOAD,
                  picture_id: bool = True) -> list[Payload]:
    """RFC 7741: payload descriptor + VP8 frame fragments of at most ``mtu`` bytes in all.

    With ``picture_id`` the descriptor is 4 bytes (X=1, I=1, M=1, 15-bit PictureID counting
    frames); without it, the 1-byte minimal descriptor. S=1 and PID=0 start each frame.
    """
    out: list[Payload] = []
    for n, frame in enumerate(frames):
        data = frame.units[0]
        size = mtu - (4 if picture_id else 1)
        chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
        datas = []
        for k, chunk in enumerate(chunks):
            first = 0x10 if k == 0 else 0x00               # S bit, PID 0
            if picture_id:
                pid = n & 0x7FFF
                descriptor = bytes([0x80 | first, 0x80, 0x80 | (pid >> 8), pid & 0xFF])
            else:
                descriptor = bytes([first])
            datas.append(descriptor + chunk)
        out += _frame_payloads(datas, frame.index, fps)
    return out


def _frame_payloads(datas: list[bytes], index: int, fps: int) -> list[Payload]:
    ts, time = index * CLOCK_RATE // fps, index / fps
    return [Payload(d, ts, time + k * PACKET_GAP, k == len(datas) - 1, None, "video")
            for k, d in enumerate(datas)]


def encode_video(codec: str, seconds: float = 3.0, fps: int = 20, seed: int = 0, *,
                 mtu: int = MAX_PAYLOAD, picture_id: bool = True, **options) -> list[Payload]:
    """Encode the test pattern with ``codec`` ("H264" or "VP8") into RTP payloads.

    ``options``: ``width``, ``height``, ``bitrate`` (bit/s), ``keyint`` (frames; default one
    keyframe per second).
    """
    if codec == "H264":
        return packetize_h264(h264_frames(seconds, fps, seed, **options), fps, mtu)
    if codec == "VP8":
        return packetize_vp8(vp8_frames(seconds, fps, seed, **options), fps, mtu, picture_id)
    raise ValueError(f"unknown video codec {codec!r}; choose from {sorted(VIDEO_CODECS)}")


__all__ = ["CodecUnavailable", "EncodedFrame", "VIDEO_CODECS", "VideoInfo", "encode_video",
           "h264_frames", "packetize_h264", "packetize_vp8", "split_annexb", "moving_pattern",
           "vp8_frames"]
