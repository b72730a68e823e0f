"""`python -m bench.site.storm`: the collector's coordinator in a site's boot storm, without namespaces.

    python -m bench.site.storm [--phones 5000] [--frames 75000] [--rate 5000]

bench/site's first step (5,000 frames/s for 15 s) is the storm: every phone's DHCP, LLDP-MED, REGISTER
or TLS session, and the first calls. Its alerts reach the API as fast as one process, the coordinator,
runs them through the policy and writes them with everything else the workers saw (group commit,
alerts first: appliance/collect.py). When that process needs more than its core, alerts queue; whether
it gets a full core on a busy 2-core machine decides the run's p99.

This replays the storm's frames through one Pipeline (the workers' events), then through the
coordinator's own code (Policy, Sink, StoreBacklog, BufferedRecorder(Recorder(GroupCommit)) on a fresh
SQLite store with one webhook) as a discrete-event simulation: a message arrives when its frame is sent
at `--rate`; the coordinator takes what has arrived (GROUP_MAX at most), handles it, writes the urgent
writes and then observations for OBSERVATIONS_BUDGET of its clock; its clock advances by the CPU time
each step really took here. Run twice: at the bench's rate, and with everything arriving at once (the
coordinator saturated: its CPU for the storm). Prints events, the coordinator's CPU by part, and the
time from the message that raised an alert arriving to the alert's write committing. CPU time, so a busy machine changes it less
than wall time (and it does not include the workers, the queue between them, or the API).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from appliance.collect import GROUP_LINGER, GROUP_MAX, OBSERVATIONS_BUDGET, OBSERVATIONS_PER_WRITE, URGENT_PER_WRITE, Sink
from appliance.policy import Policy
from appliance.store import migrate
from appliance.store.buffered import BufferedRecorder
from appliance.store.crypto import SecretBox, generate_key
from appliance.store.engine import open_store
from appliance.store.group import GroupCommit
from appliance.store.models import Alert
from appliance.store.recorder import Recorder
from appliance.store.settings import StoreSettings
from appliance.store.webhooks import create_webhook
from appliance.store_backlog import StoreBacklog
from collectors.pipeline import Pipeline

from .fleet import build_fleet
from .probe import percentile
from .timeline import Site, TrafficConfig

def storm_events(phones: int, frames: int, rate: float, seed: int = 1) -> tuple[list, float]:
    """(arrival s, event) of the site's first `frames` frames sent at `rate`, and the Pipeline's CPU s."""
    site = Site(build_fleet(phones, seed), TrafficConfig(seed=seed))
    site.run_until(frames)
    buf, offsets = site.frames.buf, site.frames.offsets
    arrivals, now, epoch = [], [0.0], time.time()          # capture times as a live capture's
    pipeline = Pipeline(lambda event: arrivals.append((now[0], event)))
    started = time.process_time()
    for i in range(min(frames, len(offsets) - 1)):
        now[0] = i / rate
        pipeline.feed(epoch + now[0], 1, bytes(buf[offsets[i]:offsets[i + 1]]))
    return arrivals, time.process_time() - started


class Coordinator:
    """appliance.collect's coordinator loop on a simulated clock that advances by real CPU time."""

    def __init__(self, store_dir: Path):
        settings = StoreSettings(None, store_dir, secret_key=generate_key())
        migrate.upgrade(settings)
        self.store = open_store(settings)
        with self.store.session() as session:
            create_webhook(session, SecretBox(generate_key()), "https://siem.example.net/hook")
        self.clock, self.arrived, self.cpu = 0.0, 0.0, Counter()
        self.raised, self.written, self.incidents = {}, {}, set()
        recorder = BufferedRecorder(Recorder(GroupCommit(self.store), "site"))
        self.policy = Policy(on_alert=self._raise, on_withdraw=lambda withdrawal: self.sink.withdraw(withdrawal))
        self.sink = Sink(self.policy, recorder, "site", backlog=StoreBacklog())

    def _raise(self, alert) -> None:
        self.raised.setdefault(id(alert), self.arrived)
        self.sink.alert(alert, self.policy.describe(alert.endpoint))

    def _timed(self, part: str, work, *args) -> None:
        started = time.process_time()
        work(*args)
        spent = time.process_time() - started
        self.clock += spent
        self.cpu[part] += spent

    def _write(self, writes: list) -> None:
        part = "alert writes" if any(w.kind == "alert" for w in writes) else "observation writes"
        self._timed(part, self.sink._write, writes)
        self.written.update((id(w.args[0]), self.clock) for w in writes if w.kind == "alert")

    def _handle(self, group: list) -> None:
        with self.sink.batch():
            for self.arrived, event in group:
                self.sink.event(event)

    def run(self, arrivals: list) -> None:
        position, backlog = 0, self.sink.backlog
        while position < len(arrivals) or len(backlog):
            until = self.clock
            if position < len(arrivals) and not len(backlog):        # nothing to write: wait and linger
                self.clock = max(self.clock, arrivals[position][0])
                until = self.clock + GROUP_LINGER
            group = []
            while position < len(arrivals) and arrivals[position][0] <= until and len(group) < GROUP_MAX:
                group.append(arrivals[position])
                position += 1
            if until > self.clock and group:
                self.clock = until if len(group) < GROUP_MAX else max(self.clock, group[-1][0])
            self._timed("policy", self._handle, group)
            urgent = backlog.urgent()
            for start in range(0, len(urgent), URGENT_PER_WRITE):
                self._write(urgent[start:start + URGENT_PER_WRITE])
            until = self.clock + OBSERVATIONS_BUDGET
            while len(backlog) and self.clock < until:
                self._write(backlog.next_observations(OBSERVATIONS_PER_WRITE))

    def stored_incidents(self) -> set[tuple[str, str]]:
        with self.store.session(readonly=True) as session:
            return {(endpoint, kind) for endpoint, kind in session.execute(select(Alert.endpoint, Alert.type))}

    def latencies(self) -> list[float]:
        return sorted(self.written[k] - self.raised[k] for k in self.written if k in self.raised)

    def close(self) -> None:
        self.store.close()


def simulate(arrivals: list, label: str) -> Coordinator:
    with tempfile.TemporaryDirectory(prefix="storm-") as tmp:
        coordinator = Coordinator(Path(tmp))
        try:
            coordinator.run(arrivals)
            coordinator.incidents = coordinator.stored_incidents()
        finally:
            coordinator.close()
    lat = coordinator.latencies()
    busy = sum(coordinator.cpu.values())
    parts = ", ".join(f"{part} {seconds:.2f}" for part, seconds in sorted(coordinator.cpu.items()))
    print(f"{label:<26} coordinator CPU {busy:6.2f} s ({parts}); arrived -> written p50 "
          f"{percentile(lat, 50):.2f} s p99 {percentile(lat, 99):.2f} s max {lat[-1] if lat else 0:.2f} s")
    return coordinator


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.site.storm", description=__doc__.split("\n\n")[0])
    p.add_argument("--phones", type=int, default=5000)
    p.add_argument("--frames", type=int, default=75_000)
    p.add_argument("--rate", type=float, default=5000.0, help="frames/s (bench/site's first step: 5,000)")
    args = p.parse_args(argv)
    arrivals, pipeline_cpu = storm_events(args.phones, args.frames, args.rate)
    kinds = Counter(type(event).__name__ for _, event in arrivals)
    seconds = args.frames / args.rate
    print(f"storm: {args.phones} phones, {args.frames:,} frames ({seconds:.0f} s at {args.rate:g}/s), "
          f"{len(arrivals):,} events ({', '.join(f'{k} {n}' for k, n in kinds.most_common())}); "
          f"workers' pipeline CPU {pipeline_cpu:.2f} s")
    simulate(arrivals, f"at {args.rate:g} frames/s")
    simulate([(0.0, event) for _, event in arrivals], "all at once (saturated)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
