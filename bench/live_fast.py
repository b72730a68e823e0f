"""`python -m bench.live_fast`: the collector against a sender faster than it (bench/txring.py: an
AF_PACKET TX ring filled with numpy, in its own namespace, not tcpreplay).

1. CPU per packet per worker at a fixed offered rate: for 1 and 2 workers, `appliance collect` runs
   (stopped by SIGINT SLACK_S after the sender) once idle and once while the sender offers
   BENCH_FAST_RATE frames/s (default 100,000) for BENCH_FAST_SECONDS (default 5); (CPU with
   traffic - CPU idle) / frames received, per worker count.
   CPU is the collector tree's user + system from `os.wait4` (bench/live.py explains why it covers
   the workers), so start-up and idling are in both runs and cancel out.
2. Drop-free rate: for 1 and 2 workers, the sender offers each rate of BENCH_FAST_RATES (default
   300000,500000,0; 0 = as fast as it can) for BENCH_FAST_SECONDS; frames sent, received, kernel
   drops. The drop-free rate is the highest rate really sent with no kernel drop.
3. The wire alone: the sender as fast as it can with nothing capturing, once before and once after the
   runs above: the most this machine's emulated wire (TX ring, veth transmit, the peer's receive) carries,
   and its CPU per frame. No collector can be shown faster than this here.

The sender, its veth softirq work and the collector share the machine's 2 cores (and here, other
engineers' jobs): the figures are floors of what the collector does on an idle machine.
Writes bench/out/live_fast.json.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from bench.capture import ensure_capture
from bench.live import OUT_DIR, SLACK_S, _skip_reason, reap, spawn, veth_link
from bench.tools import appliance_bin

ROOT = Path(__file__).resolve().parents[1]
WORKERS = (1, 2)
READY_S = 60.0          # a loaded machine can take many seconds to start the collector


def run_one(link, pcap: str, workers: int, rate: int | None, seconds: float) -> dict:
    """One collector run; `rate` None: no traffic (the idle run)."""
    mon, mon_if, src, src_if = link
    out = {k: OUT_DIR / f"live_fast.{k}" for k in ("collector.stdout", "collector.stderr", "sender.stdout",
                                                    "sender.stderr")}
    collect = ["ip", "netns", "exec", mon, appliance_bin(), "collect", "--interface", mon_if,
               "--workers", str(workers), "--duration", "600", "--format", "json"]
    collector_proc, c_start = spawn(collect, out["collector.stdout"], out["collector.stderr"])
    sent = {"sent": 0, "seconds": 0.0, "pps": 0, "cpu_s": None}
    try:
        ready = _ready(out["collector.stderr"])
        if rate is not None and ready:
            send = ["ip", "netns", "exec", src, sys.executable, "-m", "bench.txring", src_if, pcap, str(rate),
                    f"{seconds:g}"]
            sender, s_start = spawn(send, out["sender.stdout"], out["sender.stderr"])
            reap(sender, s_start, seconds + 30)
            sent = json.loads(out["sender.stdout"].read_text() or "{}") or sent
        else:
            time.sleep(seconds)
        time.sleep(SLACK_S)
    finally:
        os.kill(collector_proc.pid, signal.SIGINT)      # by PID: it finishes, reports and stops its workers
    collector = reap(collector_proc, c_start, 120)
    try:
        capture = json.loads(out["collector.stdout"].read_text())["captures"][0]
    except (ValueError, KeyError, IndexError):
        capture = {"packets": None, "drops": None}
    return {"workers": workers, "offered_pps": rate, "sent": sent["sent"], "sent_pps": sent["pps"],
            "sender_cpu_s": sent.get("cpu_s"),
            "received": capture["packets"], "drops": capture["drops"], "cpu_s": collector["cpu_s"],
            "peak_rss_mib": collector["peak_rss_mib"], "loadavg_after": os.getloadavg()}


def wire_alone(link, pcap: str, seconds: float) -> dict:
    """The sender as fast as it can with nothing capturing on the monitor end: frames/s and the CPU
    per frame of its sending loop (its transmit and, on its core, the veth peer's receive)."""
    _mon, _mon_if, src, src_if = link
    out = {k: OUT_DIR / f"live_fast.wire.{k}" for k in ("stdout", "stderr")}
    send = ["ip", "netns", "exec", src, sys.executable, "-m", "bench.txring", src_if, pcap, "0", f"{seconds:g}"]
    sender, started = spawn(send, out["stdout"], out["stderr"])
    reap(sender, started, seconds + 30)
    sent = json.loads(out["stdout"].read_text() or "{}") or {"sent": 0, "pps": 0, "cpu_s": 0}
    us = sent["cpu_s"] / sent["sent"] * 1e6 if sent["sent"] else None
    return {"sent": sent["sent"], "sent_pps": sent["pps"], "cpu_s": sent["cpu_s"], "us_per_frame": us}


def _ready(stderr: Path, timeout: float = READY_S) -> bool:
    """Whether the collector said "appliance: capturing" (every worker's ring open) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if b"appliance: capturing" in stderr.read_bytes():
            return True
        time.sleep(0.02)
    return False


def main() -> int:
    reason = _skip_reason()
    if reason:
        print(f"live_fast: skipped ({reason})")
        return 0
    os.chdir(ROOT)
    rate = int(os.environ.get("BENCH_FAST_RATE", "100000"))
    seconds = float(os.environ.get("BENCH_FAST_SECONDS", "5"))
    rates = [int(r) for r in os.environ.get("BENCH_FAST_RATES", "300000,500000,0").split(",")]
    pcap, _truth, _ = ensure_capture(str(OUT_DIR))
    result = {"cpu": [], "rates": [], "wire": []}
    with veth_link() as link:
        result["wire"].append(wire_alone(link, pcap, seconds))
        for workers in WORKERS:
            idle = run_one(link, pcap, workers, None, seconds)
            busy = run_one(link, pcap, workers, rate, seconds)
            us = (busy["cpu_s"] - idle["cpu_s"]) / busy["received"] * 1e6 if busy["received"] else None
            result["cpu"].append({"workers": workers, "idle": idle, "busy": busy, "us_per_packet": us})
        for workers in WORKERS:
            for offered in rates:
                result["rates"].append(run_one(link, pcap, workers, offered, seconds))
        result["wire"].append(wire_alone(link, pcap, seconds))
    for line in render(result, rate):
        print(line)
    (OUT_DIR / "live_fast.json").write_text(json.dumps(result, indent=1))
    return 0


def _per_frame(run: dict) -> str:
    """The sender's CPU per frame sent (its sending loop), with the capture's delivery on its core."""
    if not run.get("sender_cpu_s") or not run["sent"]:
        return "-"
    return f"{run['sender_cpu_s'] / run['sent'] * 1e6:.2f}"


def render(result: dict, rate: int) -> list[str]:
    lines = [f"CPU per packet at {rate:,} frames/s offered (idle run subtracted):"]
    for row in result["cpu"]:
        busy, us = row["busy"], row["us_per_packet"]
        lines.append(f"  {row['workers']} worker(s): sent {busy['sent_pps']:,}/s, received {busy['received']}, "
                     f"drops {busy['drops']}, CPU {busy['cpu_s']:.2f} s - idle {row['idle']['cpu_s']:.2f} s = "
                     + ("-" if us is None else f"{us:.2f} us/packet ({us / row['workers']:.2f} per worker if shared)"))
    lines.append("drop-free rate (sender: AF_PACKET TX ring):")
    lines.append("  workers  offered      sent pps   received      drops  sender us/frame")
    for r in result["rates"]:
        offered = "max" if not r["offered_pps"] else f"{r['offered_pps']:,}"
        lines.append(f"  {r['workers']:>7}  {offered:>7}  {r['sent_pps']:>12,}  {r['received'] or 0:>9,}  "
                     f"{r['drops'] if r['drops'] is not None else '-':>9}  {_per_frame(r):>15}")
    for wire in result.get("wire", []):
        lines.append(f"  the wire alone (nothing capturing): {wire['sent_pps']:,} frames/s, sender CPU "
                     + ("-" if wire["us_per_frame"] is None else f"{wire['us_per_frame']:.2f} us/frame"))
    for workers in WORKERS:
        free = [r["sent_pps"] for r in result["rates"] if r["workers"] == workers and r["drops"] == 0]
        lines.append(f"  drop-free with {workers} worker(s): "
                     + (f"{max(free):,} frames/s" if free else "none of the rates tried"))
    return lines


if __name__ == "__main__":
    sys.exit(main())
