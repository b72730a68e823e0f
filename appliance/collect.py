"""`appliance collect`: live classification on a mirror port, alerts as they happen, and at the end
the same report as `analyze` (captures[0].path = "live:IFACE", packets and kernel drops).

One worker asked for runs in this process; several, or the default's (`auto_workers`), run as processes
joined by PACKET_FANOUT (flow hash) beside this one, the coordinator. Each worker's events come here, where one policy turns them into alerts; SIP that changes calls is
relayed between workers so media is tied to its call whichever worker saw the SIP.
"""
from __future__ import annotations

from contextlib import nullcontext

import multiprocessing
import os
import queue
import sys
import time
from dataclasses import dataclass, replace

from appliance.lifetime import end_with_parent
from appliance.policy import Policy, PolicySettings
from appliance.report import build_report, merge_snapshots
from appliance.store_backlog import StoreBacklog
from collectors.capture import CaptureLoop
from collectors.events import CallEnded
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.snapshot import take_snapshot
from collectors.sources.live import DEFAULT_FILTER, CaptureError, LiveSource

POLL = 0.1
GROUP_MAX = 200                           # worker messages taken at once at most
GROUP_LINGER = 0.05                       # s a group waits for more messages when nothing else waits
URGENT_PER_WRITE = 50                     # alerts (and what their endpoints saw) per transaction
OBSERVATIONS_PER_WRITE = 50               # observations per transaction (about 50 ms of store work)
OBSERVATIONS_BUDGET = 0.1                 # seconds of observation writes before new messages are taken

# What the end report of a live run keeps of what is over: the most recent ended streams, ended calls and
# alerts, so a collector that runs for weeks holds the same memory after its first hours as after days
# (bench.memory). Each of them left as it happened: alerts on stdout and to the store, and with --store
# every stream's final state (StreamEnded), every call let go (CallEnded) and every verdict. `analyze`
# keeps everything (PipelineSettings' defaults). The report says how many it let go (`not_kept`).
LIVE_PIPELINE = PipelineSettings(max_finished=5_000, max_ended_calls=2_000)
LIVE_ALERTS = 5_000


@dataclass(frozen=True)
class CollectSettings:
    interface: str
    duration: float | None = None
    workers: int = 1
    bpf_filter: str = DEFAULT_FILTER
    ring_kib: int = 64 * 1024              # receive ring per worker (the socket buffer of a mirror port)
    sensor_id: str = "sensor"
    pipeline: PipelineSettings = LIVE_PIPELINE
    policy: PolicySettings = PolicySettings()
    report_alerts: int = LIVE_ALERTS        # alerts held for the end report (the policy's max_alerts)
    coordinator: bool = False               # the policy and store writes in a process of their own, even
                                            # with one worker (always so with several)

    @property
    def coordinated(self) -> bool:
        return self.workers > 1 or self.coordinator


def auto_workers(cores: int | None) -> int:
    """Capture workers when none are asked for: one per core but one (at least one), each joined by
    PACKET_FANOUT, and the coordinator beside them. The coordinator (policy and store writes), the API and
    the webhook dispatcher need CPU too, and a worker is far from full: 0.27 us of CPU a frame, ~3.7 M
    frames/s a core (bench.live_fast). On 2 cores a second worker was 15-18 % more of the whole service's
    CPU at the 525 kpps site step (bench.site: its own 0.1 core, the kernel's fanout, SIP relayed
    between workers), which the other processes were short of."""
    return max(1, (cores or 1) - 1)


def collect(settings: CollectSettings, on_alert=None, stop=None, recorder=None) -> dict:
    """Capture until `duration` passes or `stop()` is true; returns the report. `recorder` (the
    store's seam) receives every event, every new, updated or withdrawn alert and the sensor's counters."""
    sink = wired(settings, recorder, on_alert)
    policy = sink.policy
    deadline = time.monotonic() + settings.duration if settings.duration else None
    should_stop = _stopper(deadline, stop)
    if not settings.coordinated:
        snapshot, stats = _single(settings, sink, should_stop)
    else:
        snapshot, stats = _parallel(settings, sink, should_stop)
    report = live_report(settings.interface, snapshot, stats, policy, stored=recorder is not None)
    if recorder is not None:
        recorder.snapshot(report)
    return report


def wired(settings: CollectSettings, recorder=None, on_alert=None) -> Sink:
    """The coordinator's policy and sink, joined: the policy's alerts and withdrawals go to the store
    (through the sink), and each alert to `on_alert` (as a contract dict)."""
    def alerted(alert) -> None:
        device_class = policy.describe(alert.endpoint)
        sink.alert(alert, device_class)
        if on_alert is not None:
            on_alert(alert.to_dict(device_class))

    policy = Policy(replace(settings.policy, max_alerts=settings.report_alerts), alerted,
                    on_withdraw=lambda withdrawal: sink.withdraw(withdrawal))
    sink = Sink(policy, recorder, settings.sensor_id, backlog=StoreBacklog() if settings.coordinated else None)
    return sink


def live_report(interface: str, snapshot, stats: dict, policy: Policy, stored: bool) -> dict:
    """The end report of a live run: captures[0] is the interface, with kernel drops, and how many
    ended streams, calls and alerts the report no longer lists (`not_kept`, and a warning)."""
    not_kept = {"streams": snapshot.streams_dropped, "calls": snapshot.calls_dropped, "alerts": policy.alerts_dropped}
    warnings = list(stats["warnings"])
    if any(not_kept.values()):
        where = "the store holds them" if stored else "alerts were printed as they happened"
        warnings.append(f"the report lists the most recent ended streams, calls and alerts; not listed: "
                        f"{not_kept['streams']} ended streams, {not_kept['calls']} calls, {not_kept['alerts']} "
                        f"alerts ({where})")
    capture = {"path": f"live:{interface}", "packets": stats["packets"], "bytes": stats["bytes"],
               "decode_errors": stats["decode_errors"], "drops": stats["drops"], "warnings": warnings,
               "not_kept": not_kept}
    return build_report([capture], snapshot, policy.active(), policy.settings)


class Sink:
    """Where workers' events and counters go: the policy, and the store when there is one. With a
    backlog (several workers, a coordinator) store writes wait there and `write()` sends them, alerts
    first (appliance/store_backlog.py); without one each is written as it comes."""

    def __init__(self, policy: Policy, recorder, sensor_id: str, backlog: StoreBacklog | None = None):
        self.policy, self.recorder, self.sensor_id = policy, recorder, sensor_id
        self.backlog = backlog if recorder is not None else None

    def event(self, event) -> None:
        if self.recorder is not None:
            stored = self._private(event)
            if self.backlog is not None:
                self.backlog.observe(stored)
            else:
                self.recorder.observe(stored)
        self.policy.observe(event)

    def _private(self, event):
        """The store shows a call's SIP URIs as the reports do (the policy's privacy settings)."""
        if not isinstance(event, CallEnded):
            return event
        privacy = self.policy.settings.privacy
        return replace(event, from_uri=privacy.uri(event.from_uri), to_uri=privacy.uri(event.to_uri))

    def alert(self, alert, device_class: str) -> None:
        if self.backlog is not None:
            self.backlog.alert(alert, device_class)
        elif self.recorder is not None:
            self.recorder.alert(alert, device_class)

    def withdraw(self, withdrawal) -> None:
        """An alert the policy took back: the store takes back its occurrence, in order after the alert."""
        if self.backlog is not None:
            self.backlog.withdraw(withdrawal)
        elif self.recorder is not None:
            self.recorder.withdraw(withdrawal)

    def waiting(self) -> int:
        return len(self.backlog) if self.backlog is not None else 0

    def write(self, budget: float) -> None:
        """Waiting alerts (with what their endpoints saw before them) in one transaction, then waiting
        observations, OBSERVATIONS_PER_WRITE per transaction, for about `budget` seconds: the
        coordinator is back for new messages (and their alerts) that soon, however long the backlog."""
        if self.backlog is None:
            return
        urgent = self.backlog.urgent()
        for start in range(0, len(urgent), URGENT_PER_WRITE):       # the first alerts readable sooner
            self._write(urgent[start:start + URGENT_PER_WRITE])
        until = time.monotonic() + budget
        while len(self.backlog) and time.monotonic() < until:
            self._write(self.backlog.next_observations(OBSERVATIONS_PER_WRITE))

    def _write(self, writes: list) -> None:
        if writes:
            with self.batch():
                prefetch = getattr(self.recorder, "prefetch", None)
                if prefetch is not None:
                    prefetch([write.args[0] for write in writes])
                for write in writes:
                    getattr(self.recorder, write.kind)(*write.args)

    def flush(self) -> None:
        if self.backlog is not None:
            self._write(self.backlog.drain())

    def batch(self):
        """The events handled in the block share one store transaction where the recorder groups writes."""
        group = getattr(self.recorder, "batch", None)
        return group() if group is not None else nullcontext()

    def counters(self, packets: int, drops: int) -> None:
        if self.recorder is not None:
            self.recorder.sensor_stats(self.sensor_id, packets, drops)


RING_BLOCK = 1 << 18                       # 256 KiB


def open_source(settings: CollectSettings, fanout_group: int | None = None) -> LiveSource:
    """Many small ring blocks rather than a few big ones: the kernel retires a TPACKET_V3 block when it
    is full *or* after the block timeout (50 ms), so below a few hundred thousand frames/s every block
    holds only 50 ms of traffic and the ring's capacity is blocks x 50 ms, whatever its size. With
    16 blocks of 4 MiB a worker that paused 0.8 s (a busy core, a burst of new calls) lost frames at
    2,000 frames/s (found by bench/site); 256 blocks of 256 KiB hold 12.8 s at low rates and the same
    bytes at high ones."""
    block = min(RING_BLOCK, max(1 << 16, settings.ring_kib * 1024 // 2))
    blocks = max(2, settings.ring_kib * 1024 // block)
    return LiveSource(settings.interface, settings.bpf_filter, fanout_group, block_size=block, block_count=blocks)


def _stopper(deadline, stop):
    def should_stop() -> bool:
        return (deadline is not None and time.monotonic() >= deadline) or (stop is not None and stop())
    return should_stop


def _single(settings: CollectSettings, sink: Sink, should_stop):
    source = open_source(settings)
    _announce(1)
    try:
        pipeline = Pipeline(sink.event, settings.pipeline)
        sink.policy.describe_endpoint = pipeline.endpoints.describe
        loop = CaptureLoop(source, pipeline, on_counters=sink.counters)
        try:
            loop.run(should_stop)
        except KeyboardInterrupt:
            pass
        stats = loop.finish()
        return take_snapshot(pipeline), {**stats, "warnings": []}
    finally:
        source.close()


# -- several workers ---------------------------------------------------------------------------
def _parallel(settings: CollectSettings, sink: Sink, should_stop):
    context = multiprocessing.get_context("fork")
    events, stop = context.Queue(), context.Event()
    inboxes = [context.Queue() for _ in range(settings.workers)]
    group = os.getpid() & 0xFFFF
    workers = [context.Process(target=_worker, args=(n, settings, group, events, inboxes[n], stop, os.getpid()),
                               daemon=True) for n in range(settings.workers)]
    for worker in workers:
        worker.start()
    try:
        results = _coordinate(sink, events, inboxes, stop, should_stop, len(workers))
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    snapshots = [snapshot for snapshot, _ in results]
    stats = {key: sum(s[key] for _, s in results) for key in ("packets", "bytes", "drops", "decode_errors")}
    return merge_snapshots(snapshots), {**stats, "warnings": []}


def _coordinate(sink: Sink, events, inboxes, stop, should_stop, count) -> list:
    """Workers' messages, handled in groups: what queued while the last writes went to the store is
    taken at once (up to GROUP_MAX) and goes through the policy; then the store gets the alerts, and a
    share of the observations waiting behind them (group commit: one transaction each)."""
    state = {"results": [], "ready": 0}
    try:
        while len(state["results"]) < count:
            if should_stop():
                stop.set()
            try:
                group = _take(events, wait=not sink.waiting())
            except KeyboardInterrupt:
                stop.set()
                continue
            with sink.batch():
                for message in group:
                    _handle(message, sink, inboxes, stop, count, state)
            sink.write(OBSERVATIONS_BUDGET)
    finally:
        sink.flush()
    return state["results"]


def _take(events, wait: bool = True) -> list:
    """The next message (waiting up to POLL, when `wait`) and whatever else is queued behind it, up to
    GROUP_MAX. When nothing else waits (`wait`), the messages of the next GROUP_LINGER are taken with it:
    a group's writes share a transaction and its look-ups ahead, whose cost is the same for one alert as
    for fifty (bench/site/storm.py: the 5,000-phone boot storm at its rate took the coordinator 11.6 s
    of CPU in groups of a message or two, 3.6 s in full groups)."""
    try:
        group = [events.get(timeout=POLL) if wait else events.get_nowait()]
    except queue.Empty:
        return []
    until = time.monotonic() + GROUP_LINGER if wait else 0.0
    try:
        while len(group) < GROUP_MAX:
            left = until - time.monotonic()
            group.append(events.get(timeout=left) if left > 0 else events.get_nowait())
    except queue.Empty:
        pass
    return group


def _handle(message, sink: Sink, inboxes, stop, count: int, state: dict) -> None:
    kind, worker, *payload = message
    if kind == "event":
        sink.event(payload[0])
    elif kind == "counters":
        sink.counters(*payload)
    elif kind == "sip":
        for n, inbox in enumerate(inboxes):
            if n != worker:
                inbox.put(payload[0])
    elif kind == "ready":
        state["ready"] += 1
        if state["ready"] == count:
            _announce(count)
    elif kind == "done":
        state["results"].append((payload[0], payload[1]))
    elif kind == "error":
        stop.set()
        raise CaptureError(payload[0])


def _worker(n: int, settings: CollectSettings, group: int, events, inbox, stop, parent: int) -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the coordinator decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)     # not the coordinator's graceful stop: its parent's death ends it
    end_with_parent(parent)                           # a coordinator killed outright takes its workers along
    try:
        source = open_source(settings, fanout_group=group)
    except CaptureError as exc:
        events.put(("error", n, str(exc)))
        return
    events.put(("ready", n))
    pipeline = Pipeline(lambda event: events.put(("event", n, event)), settings.pipeline)
    pipeline.sip.share = lambda *message: events.put(("sip", n, message))
    loop = CaptureLoop(source, pipeline, inbox=lambda: _drain(inbox),
                       on_counters=lambda packets, drops: events.put(("counters", n, packets, drops)))
    loop.run(stop.is_set)
    stats = loop.finish()
    source.close()
    events.put(("done", n, take_snapshot(pipeline), stats))


def _announce(workers: int) -> None:
    """One line on stderr once every worker listens: frames from now on are seen."""
    print(f"appliance: capturing with {workers} worker(s)", file=sys.stderr, flush=True)


def _drain(inbox) -> list:
    items = []
    while True:
        try:
            items.append(inbox.get_nowait())
        except queue.Empty:
            return items
