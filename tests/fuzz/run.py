"""`make fuzz`: every target through atheris, one libFuzzer process each, seeded from the corpus kept
in the repository (tests/data/fuzz/<target>/), then a table of what was tried and found.

    python -m tests.fuzz.run [--runs N] [--jobs J] [--timeout S] [--rss-limit-mb M] [TARGET ...]

Per target: at most N inputs (-runs), a per-input timeout (-timeout: a hang), an RSS limit
(-rss_limit_mb: unbounded memory). Artifacts (crash-*, timeout-*, oom-*) and logs go to build/fuzz/<target>/.
New inputs that add coverage are merged back into the stored corpus only when small (--keep-max-bytes)
and few (--keep-max-files per target). Exit status 1 when anything crashed, hung or ran out of memory.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "fuzz"
WORK = ROOT / "build" / "fuzz"
MAX_LEN = {"pcap": 8192, "pcapng": 8192, "tls_certificate": 4096, "pipeline_frames": 8192,
           "pipeline_udp": 8192, "pipeline_tcp": 8192, "payload_classifier": 16384}
DEFAULT_MAX_LEN = 4096


def libfuzzer(target: str, args: list[str], log: Path, timeout: float | None = None) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "tests.fuzz.atheris_main", target, *args]
    with open(log, "w") as out:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, log.read_text(errors="replace")


def run_target(target: str, opts) -> dict:
    work = WORK / target
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    seeds = CORPUS / target
    seeds.mkdir(parents=True, exist_ok=True)
    args = [str(work / "corpus"), str(seeds), f"-runs={opts.runs}", f"-timeout={opts.timeout}",
            f"-rss_limit_mb={opts.rss_limit_mb}", f"-max_len={MAX_LEN.get(target, DEFAULT_MAX_LEN)}",
            f"-artifact_prefix={work}/", "-print_final_stats=1", f"-seed={opts.seed}"]
    if opts.max_total_time:
        args.append(f"-max_total_time={opts.max_total_time}")
    started = time.monotonic()
    code, text = libfuzzer(target, args, work / "fuzz.log")
    seconds = time.monotonic() - started
    artifacts = sorted(p.name for p in work.iterdir() if p.is_file() and p.name.split("-")[0] in
                       ("crash", "timeout", "oom", "leak", "slow"))
    result = {
        "target": target, "inputs": _inputs(text), "seconds": round(seconds, 1), "exit": code,
        "crashes": sum(a.startswith(("crash-", "leak-")) for a in artifacts) or int("Uncaught Python exception" in text),
        "hangs": sum(a.startswith("timeout-") for a in artifacts),
        "ooms": sum(a.startswith("oom-") for a in artifacts),
        "peak_rss_mb": _peak_rss(text), "artifacts": [str(work / a) for a in artifacts],
    }
    if opts.keep and code == 0:
        result["kept"] = _keep_new(target, work, seeds, opts)
    print(f"  {target}: {result['inputs']} inputs, {result['crashes']} crashes, {result['hangs']} hangs, "
          f"{result['ooms']} ooms, {result['peak_rss_mb']} MB, {result['seconds']} s", flush=True)
    return result


def _inputs(text: str) -> int:
    done = re.findall(r"Done (\d+) runs in", text)
    if done:
        return int(done[-1])
    status = re.findall(r"^#(\d+)\s", text, re.M)
    return int(status[-1]) if status else 0


def _peak_rss(text: str) -> int:
    values = [int(v) for v in re.findall(r"rss: (\d+)Mb", text)]
    values += [int(v) for v in re.findall(r"stat::peak_rss_mb:\s+(\d+)", text)]
    values += [int(v) for v in re.findall(r"used: (\d+)Mb", text)]
    return max(values, default=0)


def _keep_new(target: str, work: Path, seeds: Path, opts) -> int:
    """Merge coverage-adding inputs into a scratch dir, then keep the smallest few in the corpus."""
    before = {p.name for p in seeds.iterdir()}
    merged = work / "merged"
    merged.mkdir()
    for p in seeds.iterdir():
        shutil.copy(p, merged / p.name)
    code, _ = libfuzzer(target, ["-merge=1", f"-max_len={MAX_LEN.get(target, DEFAULT_MAX_LEN)}",
                                 f"-timeout={opts.timeout}", f"-rss_limit_mb={opts.rss_limit_mb}",
                                 str(merged), str(work / "corpus")], work / "merge.log", timeout=1800)
    if code != 0:
        return 0
    new = sorted((p for p in merged.iterdir() if p.name not in before and p.stat().st_size <= opts.keep_max_bytes),
                 key=lambda p: p.stat().st_size)
    room = max(0, opts.keep_max_total - len(before))
    kept = new[:min(opts.keep_max_files, room)]
    for p in kept:
        shutil.copy(p, seeds / p.name)
    return len(kept)


def table(results: list[dict]) -> str:
    lines = ["| target | inputs tried | crashes | hangs | OOM | peak RSS (MB) | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['target']} | {r['inputs']:,} | {r['crashes']} | {r['hangs']} | {r['ooms']} | "
                     f"{r['peak_rss_mb']} | {r['seconds']:.0f} |")
    total = sum(r["inputs"] for r in results)
    lines.append(f"| **all {len(results)}** | {total:,} | {sum(r['crashes'] for r in results)} | "
                 f"{sum(r['hangs'] for r in results)} | {sum(r['ooms'] for r in results)} | "
                 f"{max((r['peak_rss_mb'] for r in results), default=0)} | "
                 f"{sum(r['seconds'] for r in results):.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help=f"default: all ({', '.join(TARGETS)})")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=int, default=5, help="seconds per input before it is a hang")
    parser.add_argument("--rss-limit-mb", type=int, default=1024)
    parser.add_argument("--max-total-time", type=int, default=0, help="seconds per target (0: no limit)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS", "1")))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-keep", dest="keep", action="store_false",
                        help="do not merge new interesting inputs into tests/data/fuzz")
    parser.add_argument("--keep-max-bytes", type=int, default=2048)
    parser.add_argument("--keep-max-files", type=int, default=8, help="new files kept per target and run")
    parser.add_argument("--keep-max-total", type=int, default=64, help="files per target in the corpus")
    opts = parser.parse_args(argv)
    targets = opts.targets or list(TARGETS)
    for t in targets:
        if t not in TARGETS:
            parser.error(f"unknown target {t!r}")
    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"fuzzing {len(targets)} targets, {opts.runs:,} inputs each, {opts.jobs} at a time", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        results = list(pool.map(lambda t: run_target(t, opts), targets))
    print()
    print(f"fuzz run of {started:%Y-%m-%d %H:%M} UTC, -runs={opts.runs} -timeout={opts.timeout} "
          f"-rss_limit_mb={opts.rss_limit_mb}")
    print(table(results))
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "summary.json").write_text(json.dumps({"started": started.isoformat(), "runs": opts.runs,
                                                   "results": results}, indent=1))
    bad = [r for r in results if r["crashes"] or r["hangs"] or r["ooms"] or r["exit"] != 0]
    for r in bad:
        print(f"{r['target']}: exit {r['exit']}, artifacts {r['artifacts']} (log: {WORK / r['target'] / 'fuzz.log'})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
