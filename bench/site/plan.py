"""The site's traffic and its replay plan, shared by the live bench (bench/site/__main__.py) and the
offline truth mode (bench/site/truth.py), so both see the same frames at the same pace:

* the options that decide the traffic (`add_traffic_options`) and the site they make (`generate`);
* the rate steps (`steps`), how many frames each step sends (`step_counts`: the sender stops at the
  frames generated), and when each frame goes out (`send_times`: at the step's rate, with the sender's
  SETTLE_S pause between steps), which are the offline capture's timestamps.
"""
from __future__ import annotations

import argparse

from .fleet import build_fleet
from .timeline import Site, TrafficConfig

Steps = list[tuple[float, float]]          # (packets/s, seconds) per step
SETTLE_S = 6.0                             # the sender's quiet between steps (the collector's counters land)


def add_traffic_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phones", type=int, default=300)
    p.add_argument("--seconds", type=float, default=60.0, help="wall seconds of traffic, split over the steps")
    p.add_argument("--rates", default="5,50,100,200", help="packets/s per step, in thousands")
    p.add_argument("--calls-per-phone-hour", type=float, default=6.0)
    p.add_argument("--mean-call-seconds", type=float, default=90.0)


def steps(args: argparse.Namespace) -> Steps:
    rates = args.rates.split(",")
    return [(float(r) * 1000, args.seconds / len(rates)) for r in rates]


def generate(args: argparse.Namespace, seed: int) -> Site:
    """The fleet and every frame the steps will send (a little more: generation stops after a slot)."""
    site = Site(build_fleet(args.phones, seed), TrafficConfig(calls_per_phone_hour=args.calls_per_phone_hour,
                                                              mean_call_seconds=args.mean_call_seconds, seed=seed))
    site.run_until(sum(int(rate * seconds) for rate, seconds in steps(args)))
    site.finish()
    return site


def step_counts(plan: Steps, total: int) -> list[int]:
    """Frames each step sends, as the sender does: rate x seconds, while frames remain."""
    counts, at = [], 0
    for rate, seconds in plan:
        counts.append(min(total - at, int(rate * seconds)))
        at += counts[-1]
    return counts


def send_times(plan: Steps, total: int, start: float = 0.0):
    """(frame index, seconds from `start`) of every frame sent, in order."""
    at, clock = 0, start
    for (rate, _), count in zip(plan, step_counts(plan, total)):
        for i in range(count):
            yield at + i, clock + i / rate
        at += count
        clock += count / rate + SETTLE_S
