"""Feed a flood interleaved with the legitimate call through the path `appliance analyze` uses
(`Pipeline` + `Policy`, `appliance/analyze.py`) and measure it: peak traced memory, time, counters,
and whether the call's `cleartext_media` alert was raised."""
from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass, field

from appliance.alerts import CLEARTEXT_MEDIA
from appliance.policy import Policy
from collectors.pipeline import Pipeline, PipelineSettings
from tests.hostile.streams import FLOODS, LegitCall, interleave, legit_call

LEGIT_STREAM = "udp:10.1.0.10:16384-10.2.0.20:20000/rtp"     # the caller's PCMU stream (tests.synth)
SAMPLE_EVERY = 256


@dataclass
class Outcome:
    flood: str
    units: int
    frames: int
    seconds: float
    peak: int                         # bytes traced above the pipeline's own start, at the worst moment
    pipeline: Pipeline
    policy: Policy
    most: dict = field(default_factory=dict)   # largest table sizes seen while feeding

    @property
    def legit_alert(self) -> bool:
        return any(a.type == CLEARTEXT_MEDIA and a.stream == LEGIT_STREAM for a in self.policy.active())

    @property
    def counters(self) -> dict:
        p = self.pipeline
        return {"decode_errors": p.decode_errors, "sip_errors": p.sip.errors, "sip_limited": p.sip.limited,
                "tls_errors": p.tls.errors, "bad_rtp": p.media.bad_rtp, "udp_evicted": p.udp.evicted,
                "finished_dropped": p.finished_dropped}


_LEGIT: LegitCall | None = None


def legit() -> LegitCall:
    global _LEGIT
    if _LEGIT is None:
        _LEGIT = legit_call()
    return _LEGIT


def run(flood: str, units: int, settings: PipelineSettings | None = None, trace: bool = True,
        **options) -> Outcome:
    """The flood's `units` beside the call, through one Pipeline + Policy; frames are built before
    tracing starts, so the peak is what the collector holds, not the input."""
    frames = list(interleave(legit(), FLOODS[flood](units, **options)))
    if trace:
        tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0] if trace else 0
        began = time.perf_counter()
        policy = Policy()
        pipeline = Pipeline(policy.observe, settings)
        policy.describe_endpoint = pipeline.endpoints.describe
        most = {"udp_flows": 0, "tcp_flows": 0, "finished": 0}
        for n, (ts, frame) in enumerate(frames):
            pipeline.feed(ts, 1, frame, len(frame))
            if not n % SAMPLE_EVERY:
                _sample(pipeline, most)
        _sample(pipeline, most)
        pipeline.finish()
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] - start if trace else 0
    finally:
        if trace:
            tracemalloc.stop()
    return Outcome(flood, units, len(frames), seconds, peak, pipeline, policy, most)


def _sample(pipeline: Pipeline, most: dict) -> None:
    for key, size in (("udp_flows", len(pipeline.udp.flows)), ("tcp_flows", len(pipeline.tcp.flows)),
                      ("finished", len(pipeline.finished))):
        most[key] = max(most[key], size)
