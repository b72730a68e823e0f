"""`python -m bench.site`: a site's voice VLAN on a mirror port, through the whole live product.

    python -m bench.site --phones 300 --seconds 60 [--rates 5,50,100,200] [--seed 1]

Builds the fleet and its traffic (bench/site/timeline.py), creates a veth pair in two namespaces,
starts `appliance run` on a fresh store in the monitor namespace (API, dispatcher, collector workers
with the store, a webhook to the bench's loopback receiver), replays the traffic at each rate step in
turn, and prints a table per step and, last, one line:

site: phones N, calls C, packets P, peak PPS kpps, drops D, incidents found F/E, false K, alert latency
p50 X s p99 Y s, webhook latency p99 Z s, collector RSS M MiB

Nothing here asserts a figure; bench/README.md records runs. Needs root (namespaces, AF_PACKET).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from . import sender, service
from .measure import dashboard_paint, delivered, list_total, sensor_counters, wire_drops, withdrawn
from .netns import SENDER_CPU, wire
from .plan import add_traffic_options, generate, steps as plan_steps
from .probe import ApiTimer, IncidentWatcher, WebhookReceiver, percentile
from .report import Row, Summary, print_summary, print_table
from .timeline import Site

OUT = Path(__file__).resolve().parent.parent / "out"
DRAIN_S = 20.0


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__.split("\n\n")[0])
    add_traffic_options(p)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-dashboard", action="store_true", help="skip the Chromium first-paint reading")
    p.add_argument("--steer", action="store_true",
                   help="pin the sender to one CPU and steer the monitor port's receive work to the others (RPS)")
    p.add_argument("--json", type=Path, default=OUT / "site.json")
    p.add_argument("--keep", type=Path, default=None,
                   help="directory for the appliance's store and logs, kept after the run (default: a temporary one)")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> Summary:
    steps = plan_steps(args)
    started = time.perf_counter()
    site = generate(args, args.seed)
    print(f"site: {len(site.phones)} phones, {len(site.frames):,} frames ({site.site_seconds:.0f} s of site time, "
          f"{site.truth.calls} calls) generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    marks = defaultdict(list)              # frame -> the incidents it is the first frame of (one may start two)
    for key, index in site.truth.first_frame.items():
        marks[index].append(key)
    with wire(steer=args.steer) as link, _state_dir(args.keep) as tmp:
        receiver = WebhookReceiver(link.monitor_ns, service.HOOK_PORT)
        receiver.start()
        svc = service.start(link.monitor_ns, link.monitor_if, Path(tmp))
        watcher = IncidentWatcher(link.monitor_ns, svc.base, svc.token)
        timer = ApiTimer(link.monitor_ns, svc.base, svc.token)
        try:
            watcher.start()
            timer.start()
            summary = _replay(args, site, marks, steps, link, svc, watcher, timer)
            _drain(watcher, site.truth.required(summary.packets))
            summary.withdrawn = withdrawn(link.monitor_ns, svc.base, svc.token)
            if not args.no_dashboard:
                summary.dashboard = dashboard_paint(link.monitor_ns, svc.base, svc.token)
                summary.endpoints = list_total(link.monitor_ns, svc.base, svc.token, "endpoints")
        finally:
            watcher.stop.set()
            timer.stop.set()
            watcher.join(15)
            svc.stop()
            receiver.close()
        summary.finish(site, watcher.first_seen, receiver.first_seen, watcher.traffic_time)
    return summary


@contextmanager
def _state_dir(keep: Path | None):
    """Where the appliance under test keeps its store and logs: `keep` (left for a look afterwards:
    which stream an unexpected incident names, its evidence) or a temporary directory."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="site-bench-") as tmp:
            yield tmp
        return
    keep.mkdir(parents=True, exist_ok=False)
    yield str(keep)


def _replay(args, site, marks, steps, link, svc, watcher, timer) -> Summary:
    collectors = svc.collectors()
    summary = Summary(phones=len(site.phones), baseline_mib=svc.rss_mib(collectors))
    packets0, drops0 = sensor_counters(link.monitor_ns, svc.base, svc.token)
    cpu0, wire0, port0 = svc.cpu_seconds(collectors), wire_drops(link), delivered(link)
    whole0 = svc.cpu_seconds(svc.tree())
    pid, pipe = sender.start(site.frames, list(marks), steps, link.sender_ns, link.sender_if,
                             SENDER_CPU if args.steer else None)
    position = 0
    for line in pipe:
        kind, *fields = line.split()
        if kind == "mark":
            for key in marks[int(fields[0])]:
                summary.sent_at[key] = float(fields[1])
        elif kind == "step":
            number, sent, seconds = int(fields[0]), int(fields[1]), float(fields[2])
            time.sleep(sender.SETTLE_S - 0.5)                 # the collector's next counters report
            packets, drops = sensor_counters(link.monitor_ns, svc.base, svc.token)
            cpu, lost, port = svc.cpu_seconds(collectors), wire_drops(link), delivered(link)
            whole = svc.cpu_seconds(svc.tree())
            position += sent
            samples = timer.take()
            summary.rows.append(Row(
                target_kpps=steps[number][0] / 1000, sent=sent, seconds=seconds, received=packets - packets0,
                drops=drops - drops0, wire_drops=lost - wire0, delivered=port - port0, cpu_s=cpu - cpu0,
                pss_mib=svc.rss_mib(collectors), held=_held(site, position, steps, number),
                store_bytes=svc.store_bytes(), calls_done=sum(1 for _, end in site.truth.spans if end <= position) // 2,
                api={name: (percentile(v, 50), percentile(v, 99)) for name, v in samples.items()},
                service_cpu_s=whole - whole0, sender_cpu_s=float(fields[4]) if len(fields) > 4 else None))
            packets0, drops0, cpu0, wire0, port0, whole0 = packets, drops, cpu, lost, port, whole
        elif kind == "error":
            raise RuntimeError(f"sender: {' '.join(fields)}")
        elif kind == "done":
            break
    os.waitpid(pid, 0)
    return summary


def _held(site: Site, position: int, steps, number: int) -> tuple[int, int]:
    """Media streams the collector holds at the end of a step: (still sending, ended less than the
    collector's 60 s idle timeout ago), frame positions converted with each step's rate."""
    rate = steps[number][0]
    idle_since = max(0, position - int(rate * 60))
    active = sum(1 for first, last in site.truth.spans if first <= position < last)
    idle = sum(1 for first, last in site.truth.spans if idle_since <= last <= position)
    return active, idle


def _drain(watcher: IncidentWatcher, required: set) -> None:
    """After the traffic: wait (at most DRAIN_S) until every required incident is readable."""
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline and not required <= set(watcher.first_seen):
        time.sleep(0.2)


def main(argv=None) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print("site: needs root (network namespaces and AF_PACKET)", file=sys.stderr)
        return 2
    summary = run(args)
    print_table(summary)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary.as_dict(), indent=2))
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
