"""`python -m bench.live`: live capture throughput of `appliance collect` on a veth link.

For each worker count (1, 2) and each requested rate (BENCH_LIVE_RATES, packets/s, default
50000,100000,200000) the benchmark

1. starts `appliance collect --interface <monitor> --workers N --duration D --format json` in the
   monitor namespace and waits until it says "appliance: capturing" on stderr (every worker's
   TPACKET_V3 ring is open), at most WARMUP_S;
2. replays bench/out/offline.pcap (bench.offline's capture, generated if missing) with
   `tcpreplay --pps=RATE --limit=COUNT` into the other end of the veth pair, COUNT = RATE *
   BENCH_LIVE_SECONDS (default 6; the file is looped when COUNT exceeds it; `--duration` stops a
   tcpreplay that falls behind at 1.5x that, so the collector always outlives the replay);
3. records what tcpreplay sent ("Actual: N packets") and the rate it reached ("Rated: ... pps",
   which on 2 cores may be below the request), the report's captures[0] packets and kernel drops,
   whether packets + drops == sent, and the collector's CPU time and peak RSS.

CPU and RSS come from `os.wait4` on the `ip netns exec` child, which execs the appliance. On Linux
the rusage a wait returns covers the process *and its reaped descendants* (the kernel fills it with
RUSAGE_BOTH), and the collector joins its fan-out worker processes before it exits, so CPU s is
user + system of the whole collector tree (coordinator and workers) over its whole life: start-up,
the idle warm-up, the replay and the final report. Peak RSS is `ru_maxrss`: the largest single
process of that tree, not a sum.

Namespaces `vbench<pid>m` (monitor) and `vbench<pid>s` (replay) and the veth pair
`vbench<pid>c` / `vbench<pid>r` are created here and always removed; nothing else is touched.
Writes bench/out/live.json. The target "200,000 packets/s with 0 drops" is reported, never asserted.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.capture import ensure_capture
from bench.tools import appliance_bin, warm_cache

OUT_DIR = Path(__file__).resolve().parent / "out"
WORKERS = (1, 2)
WARMUP_S = 3.0                     # longest wait for the collector to open its ring before the replay
SLACK_S = 3.0                      # collector duration beyond the longest replay allowed
TARGET_PPS = 200_000
_ACTUAL = re.compile(r"Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds")
_RATED = re.compile(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps")
_FAILED = re.compile(r"Failed packets:\s+(\d+)")


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


@contextmanager
def veth_link():
    """(monitor namespace, monitor interface, replay namespace, replay interface); removed on exit."""
    p = f"vbench{os.getpid()}"
    mon, src, mon_if, src_if = f"{p}m", f"{p}s", f"{p}c", f"{p}r"
    made: list[str] = []
    try:
        for ns in (mon, src):
            sh("ip", "netns", "add", ns)
            made.append(ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", src_if, "netns", src, "type", "veth", "peer", "name", mon_if, "netns", mon)
        sh("ip", "netns", "exec", src, "ip", "link", "set", src_if, "up")
        sh("ip", "netns", "exec", mon, "ip", "link", "set", mon_if, "up")
        yield mon, mon_if, src, src_if
    finally:
        for ns in made:   # only our own namespaces; deleting one removes its end of the veth pair
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                os.kill(int(pid), signal.SIGKILL)     # a leftover of ours (a worker of a killed collector)
            sh("ip", "netns", "del", ns, check=False)


def spawn(argv: list[str], stdout: Path, stderr: Path) -> tuple[subprocess.Popen, float]:
    """Start `argv` with its output in files; (process, start time)."""
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    return proc, time.perf_counter()


def reap(proc: subprocess.Popen, started: float, timeout: float) -> dict:
    """Wait for `proc` with `os.wait4` (killing it by PID after `timeout` s): wall time, exit, rusage."""
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here: keep Popen from waiting again
    return {"wall_s": round(time.perf_counter() - started, 3), "exit": os.waitstatus_to_exitcode(status),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "user_s": round(usage.ru_utime, 3),
            "sys_s": round(usage.ru_stime, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def run_one(link, pcap: str, total: int, workers: int, rate: int, seconds: float) -> dict:
    """One collector + one replay at `rate` packets/s; the row of the table (and the JSON)."""
    mon, mon_if, src, src_if = link
    count = int(rate * seconds)
    cap_s = math.ceil(seconds * 1.5)               # tcpreplay stops here even if it falls behind
    duration = WARMUP_S + cap_s + SLACK_S
    replay = ["ip", "netns", "exec", src, "tcpreplay", f"--pps={rate}", f"--limit={count}",
              f"--duration={cap_s}", "-i", src_if]
    if count > total:
        replay.append(f"--loop={math.ceil(count / total)}")
    out = {k: OUT_DIR / f"live.{k}" for k in ("collector.stdout", "collector.stderr", "tcpreplay.stdout",
                                               "tcpreplay.stderr")}
    collect = ["ip", "netns", "exec", mon, appliance_bin(), "collect", "--interface", mon_if,
               "--workers", str(workers), "--duration", f"{duration:g}", "--format", "json"]
    collector_proc, c_start = spawn(collect, out["collector.stdout"], out["collector.stderr"])
    try:
        ready_s = wait_ready(out["collector.stderr"], c_start)
        replay_proc, r_start = spawn(replay + [pcap], out["tcpreplay.stdout"], out["tcpreplay.stderr"])
        tcpreplay = reap(replay_proc, r_start, cap_s + 30)
    except BaseException:
        os.kill(collector_proc.pid, signal.SIGINT)   # by PID (no poll(): wait4 reaps); it stops its workers
        reap(collector_proc, c_start, 15)
        raise
    collector = reap(collector_proc, c_start, duration + 60)
    return _row(workers, rate, count, tcpreplay, collector | {"ready_s": ready_s}, out)


def wait_ready(stderr: Path, started: float) -> float | None:
    """Seconds until the collector says "appliance: capturing" (every worker listens), at most
    WARMUP_S; None when it did not say so in time: the replay starts anyway (and a late ring shows as
    received + drops < sent)."""
    while time.perf_counter() - started < WARMUP_S:     # no poll(): os.wait4 must reap it, for its rusage
        if b"appliance: capturing" in stderr.read_bytes():
            return round(time.perf_counter() - started, 3)
        time.sleep(0.02)
    return None


def _row(workers, rate, count, tcpreplay, collector, out) -> dict:
    text = out["tcpreplay.stdout"].read_text(errors="replace") + out["tcpreplay.stderr"].read_text(errors="replace")
    actual, rated, failed = _ACTUAL.search(text), _RATED.search(text), _FAILED.search(text)
    sent, send_s = (int(actual[1]), float(actual[3])) if actual else (0, 0.0)
    sent_pps = round(float(rated[1])) if rated else (round(sent / send_s) if send_s else 0)
    try:
        capture = json.loads(out["collector.stdout"].read_text())["captures"][0]
    except (ValueError, KeyError, IndexError):
        capture = {"packets": None, "drops": None}
    received, drops = capture["packets"], capture["drops"]
    ok = received is not None and received + drops == sent
    return {"workers": workers, "requested_pps": rate, "limit": count, "sent": sent, "send_s": send_s,
            "sent_pps": sent_pps, "tcpreplay_failed": int(failed[1]) if failed else None,
            "received": received, "drops": drops, "drop_pct": round(100 * drops / sent, 3) if ok and sent else None,
            "accounted": ok, "collector": collector, "tcpreplay": tcpreplay, "loadavg_after": os.getloadavg()}


def table(rows: list[dict]) -> list[str]:
    """The plain aligned table and the line against the target."""
    head = ("workers", "req pps", "sent pps", "sent", "received", "kernel drops", "drop %", "recv+drops=sent",
            "collector CPU s", "peak RSS MiB")
    body = [(str(r["workers"]), f"{r['requested_pps']:,}", f"{r['sent_pps']:,}", f"{r['sent']:,}",
             "-" if r["received"] is None else f"{r['received']:,}", "-" if r["drops"] is None else f"{r['drops']:,}",
             "-" if r["drop_pct"] is None else f"{r['drop_pct']:.2f}", "yes" if r["accounted"] else "NO",
             f"{r['collector']['cpu_s']:.2f}", f"{r['collector']['peak_rss_mib']:.1f}") for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in [head, *body]]
    return lines[:1] + ["  ".join("-" * w for w in widths)] + lines[1:] + [verdict(rows)]


def verdict(rows: list[dict]) -> str:
    """The runs requested at 200,000 packets/s: met when >= 99 % of that rate was really sent, every
    frame is accounted for (received + drops == sent) and the kernel dropped none."""
    head = f"target {TARGET_PPS:,} packets/s with 0 drops:"
    tried = [r for r in rows if r["requested_pps"] == TARGET_PPS]
    if not tried:
        return f"{head} not measured ({TARGET_PPS} is not in BENCH_LIVE_RATES)"
    parts = []
    for r in tried:
        met = r["sent_pps"] >= 0.99 * TARGET_PPS and r["accounted"] and r["drops"] == 0
        parts.append(f"{r['workers']} worker(s) at {r['sent_pps']:,} pps sent, {r['drops']} drops: "
                     f"{'met' if met else 'NOT met'}")
    return f"{head} " + "; ".join(parts)


def _first_line(done: subprocess.CompletedProcess) -> str:
    return ((done.stdout or done.stderr).strip().splitlines() or ["unknown"])[0]


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, AF_PACKET)"
    for tool in ("ip", "tcpreplay"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


def main() -> int:
    reason = _skip_reason()
    if reason:
        print(f"bench.live: skipped: {reason}")
        return 0
    rates = [int(r) for r in os.environ.get("BENCH_LIVE_RATES", "50000,100000,200000").split(",") if r.strip()]
    seconds = float(os.environ.get("BENCH_LIVE_SECONDS", "6"))
    pcap, truth, _ = ensure_capture(str(OUT_DIR))
    warm_cache(pcap)
    load = os.getloadavg()
    print(f"capture: {pcap}, {truth['packets']:,} packets; load average {load[0]:.2f} "
          "(runs share the 2 cores with tcpreplay: anything else running skews them)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # still remove the namespaces
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even if started with SIGINT ignored:
    #                                                            children must not inherit SIG_IGN
    rows = []
    with veth_link() as link:
        for workers in WORKERS:
            for rate in rates:
                print(f"workers {workers}, {rate:,} pps ...", end=" ", flush=True)
                row = run_one(link, pcap, truth["packets"], workers, rate, seconds)
                rows.append(row)
                print(f"sent {row['sent']:,} at {row['sent_pps']:,} pps, received {row['received']}, "
                      f"drops {row['drops']}", flush=True)
    print()
    for line in table(rows):
        print(line)
    print("CPU s = user + system of the collector and its workers over the whole run "
          "(start-up, replay, idle tail, report); peak RSS = largest single process")
    result = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
              "kernel": os.uname().release, "loadavg_before": load,
              "tcpreplay": _first_line(sh("tcpreplay", "--version", check=False)),
              "capture": {"path": pcap, "packets": truth["packets"]}, "seconds": seconds, "warmup_s": WARMUP_S,
              "target": verdict(rows), "results": rows}
    with open(OUT_DIR / "live.json", "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nwrote {OUT_DIR / 'live.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
