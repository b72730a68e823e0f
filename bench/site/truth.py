"""`python -m bench.site.truth`: the site bench's truth over many fleets, offline (no namespaces, no root).

    python -m bench.site.truth --phones 2000 --seeds 1-20 [--rates 5,50,100,200] [--seconds 60]
                               [--keep DIR] [--json bench/out/site-truth.json]

For each seed: the same site traffic `python -m bench.site --seed S` replays (bench/site/plan.py: same
generator, steps and rates, so the same frames; SRTP keys are seeded too, only the TLS handshakes' random
bytes differ), written to a pcap whose timestamps are when the live sender would send each frame (the
step's rate, the pause between steps); `appliance analyze` reads it as a user would (a subprocess,
`--format json`); its alerts are scored against the site's truth by the live bench's own rule
(bench/site/score.py). One line per seed, then a total:

seed S: phones N, calls C, frames P, expected E, found F, false K [...], missing [...]; CPU s ...

CPU is user+system: this process's for generating and writing, the subprocess's for analysing (so a busy
machine changes it less than wall time). Offline analysis is one process: the ordering effects between
the live collector's two capture workers (which worker sees a call's SIP or media first) do not show
here; `python -m bench.site` is the test of those.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.pcap import global_header

from .plan import add_traffic_options, generate, send_times, step_counts, steps
from .score import Score, incident_key, score
from .service import appliance_bin

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
_RECORD = struct.Struct("<IIII")              # pcap record header: seconds, microseconds, lengths


@dataclass
class SeedResult:
    seed: int
    phones: int
    calls: int
    frames: int
    score: Score
    cpu: dict = field(default_factory=dict)          # generate / pcap / analyze: CPU seconds
    alerts: dict = field(default_factory=dict)       # "ip type" -> (summary, evidence) of false ones

    def line(self) -> str:
        s = self.score
        cpu = ", ".join(f"{part} {seconds:.1f}" for part, seconds in self.cpu.items())
        return (f"seed {self.seed}: phones {self.phones}, calls {self.calls}, frames {self.frames:,}, "
                f"expected {s.expected}, found {s.found}, false {s.false} {s.false_list}, "
                f"missing {s.missing}, non-phones {len(s.other)}; CPU s {cpu}")


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.site.truth", description=__doc__.split("\n\n")[0])
    add_traffic_options(p)
    p.add_argument("--seeds", default="1", help="seeds to run: 1-20, or 1,4,7-9")
    p.add_argument("--keep", type=Path, default=None, help="directory for each seed's pcap and report (kept)")
    p.add_argument("--json", type=Path, default=OUT / "site-truth.json")
    return p.parse_args(argv)


def seeds(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


def run_seed(args: argparse.Namespace, seed: int, workdir: Path) -> SeedResult:
    """Generate, write, analyse and score one seed; `workdir` gets seed-S.pcap and seed-S.json."""
    cpu0 = time.process_time()
    site = generate(args, seed)
    cpu1 = time.process_time()
    plan = steps(args)
    total = sum(step_counts(plan, len(site.frames)))
    pcap = workdir / f"seed-{seed}.pcap"
    write_pcap(site, plan, pcap, start=time.time())
    cpu2 = time.process_time()
    report, analyze_cpu = analyze(pcap, workdir / f"seed-{seed}.json")
    seen = {incident_key(alert) for alert in report["alerts"]}
    sent = site.truth.required(total)
    result = SeedResult(seed, len(site.phones), site.truth.calls, total, score(site.truth, seen, sent),
                        {"generate": cpu1 - cpu0, "pcap": cpu2 - cpu1, "analyze": analyze_cpu})
    wrong = set(result.score.false_list)
    result.alerts = {f"{a['endpoint']} {a['type']}": [a["summary"], a["evidence"]]
                     for a in report["alerts"] if incident_key(a) in wrong}
    return result


def write_pcap(site, plan, path: Path, start: float) -> None:
    """The frames the live sender would send, stamped when it would send them (microseconds)."""
    buf, offsets = memoryview(site.frames.buf), site.frames.offsets
    pack = _RECORD.pack
    with path.open("wb", buffering=1 << 20) as out:
        out.write(global_header())
        for index, at in send_times(plan, len(site.frames), start):
            first, end = offsets[index], offsets[index + 1]
            us = int(at * 1e6)
            out.write(pack(us // 1_000_000, us % 1_000_000, end - first, end - first))
            out.write(buf[first:end])


def analyze(pcap: Path, report_path: Path) -> tuple[dict, float]:
    """`appliance analyze PCAP --format json --no-progress` with this checkout's code, no APPLIANCE_*
    settings but a data directory of its own; the report and the subprocess's CPU seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["APPLIANCE_DATA_DIR"] = str(report_path.parent)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with report_path.open("w") as out:
        done = subprocess.run([appliance_bin(), "analyze", str(pcap), "--format", "json", "--no-progress"],
                              env=env, stdout=out, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"appliance analyze failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(report_path.read_text()), cpu


def total_line(results: list[SeedResult]) -> str:
    calls, frames = sum(r.calls for r in results), sum(r.frames for r in results)
    expected, found = sum(r.score.expected for r in results), sum(r.score.found for r in results)
    false = sum(r.score.false for r in results)
    cpu = {part: sum(r.cpu[part] for r in results) / len(results) for part in results[0].cpu}
    per = ", ".join(f"{part} {seconds:.1f}" for part, seconds in cpu.items())
    return (f"total: seeds {len(results)}, phones {results[0].phones}, calls {calls:,}, frames {frames:,}, "
            f"expected {expected:,}, found {found:,}, false {false}; CPU s per seed {per}")


def main(argv=None) -> int:
    args = parse(argv)
    results = []
    for seed in seeds(args.seeds):
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            result = run_seed(args, seed, args.keep)
        else:
            with tempfile.TemporaryDirectory(prefix="site-truth-") as tmp:
                result = run_seed(args, seed, Path(tmp))
        results.append(result)
        print(result.line(), flush=True)
        for key, (summary, evidence) in result.alerts.items():
            print(f"  false {key}: {summary}; evidence {evidence}", flush=True)
    print(total_line(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([{**asdict(r), "false": r.score.false} for r in results], indent=2))
    return 0 if all(r.score.found == r.score.expected and not r.score.false for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
