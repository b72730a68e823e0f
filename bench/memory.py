"""`python -m bench.memory`: the collector pipeline's memory (tracemalloc), three ways.

1. bench capture: the first BENCH_MEMORY_PACKETS (default 300,000) frames of the bench capture (500
   RTP streams and their RTCP, most settled) through the batched path; the memory the pipeline holds
   (flows, streams, calls, fast-path entries; not the interpreter or imported modules) per flow and
   per RTP stream.
2. streams: BENCH_MEMORY_CALLS (default 200) calls of bench.calls_day (SIP, G.711 RTP both ways,
   half SRTP, RTCP) fed live-like (`Pipeline.feed_many`, sweeping on packet time, `tick` on the clock,
   events into the appliance's Policy as `appliance collect` does). Memory per stream while they all
   send (settled), once they stopped (ended, held until the idle timeout) and once expired (kept for
   the end report), with the allocation sites that hold most of it.
3. day: waves of short calls over a simulated day (BENCH_MEMORY_DAY_WAVES waves of
   BENCH_MEMORY_WAVE_CALLS calls, one wave a minute; default 1,440 x 3 = 4,320 calls), memory and
   the held objects printed every two simulated hours. The live state must stay flat; what is kept
   for the end report (ended streams, calls, alerts) grows until its limits. The day runs with the
   live collector's limits (`appliance collect`: appliance.collect.LIVE_PIPELINE and LIVE_ALERTS,
   5,000 ended streams, 2,000 ended calls, 5,000 alerts, reached within the day: from then on memory
   must be flat), then (BENCH_MEMORY_ANALYZE_DAY=1, the default) with `appliance analyze`'s (100,000
   ended streams, 20,000 calls, 100,000 alerts: not reached in a day of this bench, so it shows the
   memory per call an offline report keeps).
"""
from __future__ import annotations

import gc
import os
import sys
import tracemalloc
from dataclasses import replace

from bench.calls_day import CallMaker, DayPlan, waves
from bench.capture import ensure_capture
from bench.live import OUT_DIR

SITES = 6                 # allocation sites listed per measurement
HOUR = 3600.0


def main() -> int:
    capture_memory(int(os.environ.get("BENCH_MEMORY_PACKETS", "300000")))
    stream_memory(int(os.environ.get("BENCH_MEMORY_CALLS", "200")))
    day = DayPlan(calls_per_wave=int(os.environ.get("BENCH_MEMORY_WAVE_CALLS", "3")),
                  waves=int(os.environ.get("BENCH_MEMORY_DAY_WAVES", "1440")))
    from appliance.collect import LIVE_ALERTS, LIVE_PIPELINE
    print(f"memory: a day of calls with the live collector's limits (appliance collect: {LIVE_PIPELINE.max_finished:,} "
          f"ended streams, {LIVE_PIPELINE.max_ended_calls:,} ended calls, {LIVE_ALERTS:,} alerts kept for the end report)")
    day_memory(day, LIVE_PIPELINE, LIVE_ALERTS)
    if os.environ.get("BENCH_MEMORY_ANALYZE_DAY", "1") == "1":
        print("memory: the same day with appliance analyze's limits (everything kept for the report)")
        day_memory(day)
    return 0


# -- 1. the bench capture -----------------------------------------------------------------------
def capture_memory(limit: int) -> None:
    pcap, _truth, _ = ensure_capture(str(OUT_DIR))
    from collectors.pipeline import Pipeline
    from collectors.sources.pcapfile import PcapFileSource
    source = PcapFileSource(pcap)
    fed = [0]

    def consume(buf, pos, layout):
        if fed[0] >= limit:
            return len(buf), 0, True        # stop reading (reported as a cut capture, ignored here)
        result = pipeline.feed_records(buf, pos, layout)
        fed[0] += result[1]
        return result

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pipeline = Pipeline(lambda event: None)
    source.walk(consume)
    pipeline.fast.flush()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    flows = len(pipeline.udp.flows) + len(pipeline.tcp.flows)
    rtp = sum(1 for f in pipeline.udp.flows.values() if f.rtp is not None)
    print(f"memory: {fed[0]:,} frames fed, {flows} flows ({rtp} RTP streams) hold {held / 2**20:.1f} MiB: "
          f"{held / max(flows, 1) / 1024:.1f} KiB per flow, {held / max(rtp, 1) / 1024:.1f} KiB per RTP stream")


# -- 2. one wave of calls: active, idle, expired --------------------------------------------------
class Live:
    """A pipeline fed as a live worker feeds it, its events going into the appliance's policy."""

    def __init__(self, settings=None, max_alerts: int | None = None):
        from appliance.policy import Policy, PolicySettings
        from collectors.pipeline import Pipeline
        self.policy = Policy(PolicySettings(max_alerts=max_alerts))
        self.pipeline = Pipeline(self.policy.observe, settings)

    def feed(self, frames: list) -> float:
        """Feed frames; returns the time of the last one."""
        self.pipeline.feed_many(frames)
        return frames[-1][0]

    def idle_until(self, end: float, now: float) -> None:
        """The wall clock moves on with no frames: housekeeping once a second, as CaptureLoop does."""
        while now < end:
            now = min(end, now + 1.0)
            self.pipeline.tick(now)

    def media_streams(self) -> int:
        flows = self.pipeline.udp.flows.values()
        return sum((f.rtp is not None) + (f.rtcp is not None) for f in flows)


def stream_memory(calls: int) -> None:
    plan = DayPlan(calls_per_wave=calls, waves=1, media_seconds=8.0)
    _warm_up(plan)
    gc.collect()
    tracemalloc.start(12)
    base = _held()
    start_snapshot = tracemalloc.take_snapshot()
    live = Live()
    start = plan.start
    settled = start + 0.05 * calls + 6.0              # the last call's media has run 6 s: all settled
    live.feed(_wave(plan, lambda ts: ts < settled))
    live.pipeline.tick(settled)
    active = live.media_streams()
    _report("active (settled, sending)", _held() - base, active, start_snapshot)
    ended = live.feed(_wave(plan, lambda ts: ts >= settled))
    live.idle_until(ended + 30.0, ended)               # stopped sending 30 s ago: held until the idle timeout
    idle = live.media_streams()
    _report("idle (stopped 30 s ago, held)", _held() - base, idle, start_snapshot)
    live.idle_until(ended + live.pipeline.settings.idle_timeout + 2.0, ended + 30.0)
    finished = sum((f.rtp is not None) + (f.rtcp is not None) for f in live.pipeline.finished)
    _report("expired (kept for the end report)", _held() - base, finished, start_snapshot)
    tracemalloc.stop()


def _wave(plan: DayPlan, wanted) -> list:
    """The frames of the plan's first wave whose time is `wanted`, made afresh (the same every time):
    frames not yet fed are not held while the pipeline's memory is measured."""
    _at, frames = next(waves(plan))
    return [frame for frame in frames if wanted(frame[0])]


def _warm_up(plan: DayPlan) -> None:
    """Imports, compiled patterns and first-use caches are paid once per process, not per stream."""
    live = Live()
    _at, frames = next(waves(replace(plan, calls_per_wave=2), CallMaker(seed=1)))
    live.feed(frames)
    live.pipeline.finish()


def _held() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


OWN = ("collectors/flows.py", "collectors/fastpath.py", "collectors/pipeline.py", "collectors/decode/",
       "collectors/media/", "collectors/classify/")      # a stream's own state; the rest: calls, SIP, policy


def _report(what: str, held: int, streams: int, since) -> None:
    sites = _sites(since)
    own = sum(size for site, size in sites if site.startswith(OWN))
    n = max(streams, 1)
    print(f"memory: {streams} streams {what}: {held / n:,.0f} B per stream held by the pipeline and policy "
          f"({held / 2**20:.2f} MiB), of which the stream's own state (flow, streams, verdicts, fast path, "
          f"address index) {own / n:,.0f} B, its call's SIP, endpoint and policy state {(held - own) / n:,.0f} B")
    for site, size in sites[:SITES]:
        print(f"    {size / n:8,.0f} B/stream  {site}")


def _sites(since) -> list[tuple[str, int]]:
    """Memory grown since `since`, by the innermost project line that allocated it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    grown: dict[str, int] = {}
    for stat in tracemalloc.take_snapshot().compare_to(since, "traceback"):
        site = "other"
        for frame in reversed(stat.traceback):
            if frame.filename.startswith(root) and "/bench/" not in frame.filename:
                site = f"{os.path.relpath(frame.filename, root)}:{frame.lineno}"
                break
        grown[site] = grown.get(site, 0) + stat.size_diff
    return sorted(grown.items(), key=lambda item: -item[1])


# -- 3. a day of calls ------------------------------------------------------------------------------
def day_memory(plan: DayPlan, settings=None, max_alerts: int | None = None) -> None:
    _warm_up(plan)
    gc.collect()
    tracemalloc.start()
    base = _held()
    live = Live(settings, max_alerts)
    every = max(1, int(2 * HOUR / plan.wave_every))
    calls = 0
    marks = []
    for n, (at, frames) in enumerate(waves(plan), 1):
        live.idle_until(at, at - plan.wave_every + 10.0)   # the quiet minute between waves
        live.feed(frames)
        calls += plan.calls_per_wave
        if n % every == 0 or n == plan.waves:
            marks.append(_day_line(live, (at - plan.start + plan.wave_every) / HOUR, calls, _held() - base))
    live.idle_until(at + 2 * live.pipeline.settings.idle_timeout, at + plan.wave_every)
    marks.append(_day_line(live, None, calls, _held() - base))
    tracemalloc.stop()
    _day_growth(marks)


def _day_growth(marks: list[tuple]) -> None:
    """Memory per call between marks: from the first, over the second half, and from the first mark at
    which every limit of the report had been reached (it lets go of streams, calls and alerts)."""
    if len(marks) < 3:
        return
    (_, c1, m1, _), (_, c2, m2, _) = marks[0], marks[-2]
    (_, c3, m3, _) = marks[(len(marks) - 2) // 2]
    print(f"memory: day growth after the first mark: {(m2 - m1) / max(c2 - c1, 1):,.0f} B per call "
          f"({(m2 - m1) / 2**20:+.1f} MiB over {c2 - c1:,} calls); over the second half: "
          f"{(m2 - m3) / max(c2 - c3, 1):,.0f} B per call ({(m2 - m3) / 2**20:+.2f} MiB)")
    full = next((mark for mark in marks[:-1] if mark[3]), None)
    if full is None:
        print("memory: the report's limits were not all reached within the day")
    elif full is not marks[-2]:
        hours, c4, m4, _ = full
        print(f"memory: from {hours:.1f} h, every limit reached: {(m2 - m4) / max(c2 - c4, 1):,.0f} B per call "
              f"({(m2 - m4) / 2**20:+.2f} MiB over {c2 - c4:,} calls)")


def _day_line(live: Live, hours: float | None, calls: int, held: int) -> tuple:
    p, policy = live.pipeline, live.policy
    when = f"{hours:5.1f} h" if hours is not None else "drained"
    ended_calls = sum(1 for c in p.calls.calls.values() if c.ended_at is not None)
    print(f"memory: day {when}: {calls:6,} calls {held / 2**20:7.2f} MiB | live: {len(p.udp.flows)} flows, "
          f"{len(p.fast.entries)} fast entries, {len(p.media.by_endpoint)} media addresses, "
          f"{len(p.udp.serials):,} 5-tuples remembered (stream id serials) | "
          f"report: {len(p.finished):,} ended streams, {len(p.calls.calls):,} calls ({ended_calls:,} ended) | "
          f"sip: {len(p.calls.index):,} SDP addresses, {len(p.calls.received_invites):,} INVITE targets, "
          f"{len(p.sip.sessions):,} sessions, {len(p.endpoints.endpoints):,} endpoints | "
          f"{p.calls.forgotten:,} forgotten | "
          f"policy: {len(policy.alerts):,} alerts, {len(policy.srtp_offers):,} SRTP offers, "
          f"{len(policy.call_transport):,} call transports, {len(policy.legs.legs):,} legs, "
          f"{len(policy.downgrades):,} downgrades, {len(policy.sdp_media):,}+{len(policy.awaiting_sdp):,} "
          f"SDP/awaiting addresses | not kept: {p.finished_dropped:,} streams, {policy.alerts_dropped:,} alerts",
          flush=True)
    limits_reached = bool(p.finished_dropped and p.calls.forgotten and policy.alerts_dropped)
    return hours, calls, held, limits_reached


if __name__ == "__main__":
    sys.exit(main())
