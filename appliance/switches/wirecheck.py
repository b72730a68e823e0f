"""Close the loop after a SPAN change: listen on the collector's port for a few seconds and report
what the mirror delivers (frames, hosts, RTP streams and their sequence gaps, kernel drops), or a
clear failure when nothing arrives."""
from __future__ import annotations

import time
from dataclasses import dataclass

from collectors.decode.decoder import LINK_ETHERNET, Decoder
from collectors.mirror_health import MirrorHealth
from collectors.sources.live import LiveSource


@dataclass(frozen=True)
class WireCheck:
    interface: str
    seconds: float
    health: dict

    @property
    def ok(self) -> bool:
        return self.health["frames"] > 0

    def message(self) -> str:
        h = self.health
        if not self.ok:
            return (f"wire check FAILED: no frame arrived on {self.interface} in {self.seconds:g} s. Check that "
                    f"{self.interface} is cabled to the SPAN destination port, is up, and that the mirrored "
                    f"ports carry traffic now")
        text = (f"wire check: {h['frames']} frames from {len(h['hosts'])} host(s) on {self.interface} in "
                f"{self.seconds:g} s; {h['rtp_streams']} RTP stream(s), {h['rtp_lost']} of {h['rtp_expected']} "
                f"RTP packets missing")
        if h["oversubscribed"]:
            text += ("; MIRROR OVERSUBSCRIBED: most RTP streams show sequence gaps together — mirror fewer "
                     "ports, rx only, or the voice VLAN instead")
        if h["kernel_drops"]:
            text += f"; the appliance dropped {h['kernel_drops']} frame(s) itself (add workers or ring memory)"
        return text


def check_mirror(interface: str, seconds: float = 5.0, until_frames: int | None = None) -> WireCheck:
    """Listen on `interface` for `seconds` (or until `until_frames` frames arrived); CaptureError when
    the port cannot be opened."""
    source = LiveSource(interface, bpf_filter=None, block_size=1 << 20, block_count=4, block_timeout_ms=20)
    decoder, health = Decoder(), MirrorHealth()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            for frame in source.packets(timeout=0.1):
                health.add(decoder.decode(frame.ts, LINK_ETHERNET, frame.data))
            if until_frames and health.frames >= until_frames:
                break
    finally:
        source.close()
    return WireCheck(interface, seconds, health.summary(source.kernel_drops))
