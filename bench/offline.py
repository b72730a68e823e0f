"""`make bench`: offline throughput of the appliance against tshark and ndpiReader on one
generated capture (>= 1M packets, 500 concurrent G.711 RTP streams, half SRTP).

Steps: make or reuse bench/out/offline.pcap (bench/capture.py), read it once into the page cache,
then run each tool BENCH_REPEAT times (default 1) on it, keeping the best wall time and the peak
RSS of the runs; print the table and a sanity section, and write bench/out/offline.json.

Speed ratio = appliance packets/s / tool packets/s: above 1 the appliance is faster than the tool.
The issue's targets are ratio >= 4 against tshark and >= 0.5 against ndpiReader; they are reported,
never asserted. Which record walk the appliance took (compiled or numpy) is printed with them.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

from bench import sanity
from bench.capture import ensure_capture
from bench.repeat import ensure_repeated
from bench.tools import (Run, appliance_bin, available, ndpi_protocols, run, tools, tshark_streams, version,
                         warm_cache)

OUT_DIR = Path(__file__).resolve().parent / "out"
TARGETS = {"tshark": 4.0, "ndpiReader": 0.5}      # appliance packets/s over the tool's, at least


def main() -> int:
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", "1")))
    out_dir = str(OUT_DIR)
    pcap, truth, generated_s = ensure_capture(out_dir)
    packets = truth["packets"]
    if generated_s is None:
        print(f"capture: {pcap} (cached), {packets} packets, {truth['bytes'] / 2**20:.0f} MiB")
    else:
        print(f"capture: {pcap} generated in {generated_s:.1f} s, {packets} packets, "
              f"{truth['bytes'] / 2**20:.0f} MiB")
    warm_cache(pcap)

    selected = [t for t in tools() if available(t)]
    for t in tools():
        if t not in selected:
            print(f"skipped: {t.name} ({t.argv[0]} not found)")
    runs: dict[str, list[Run]] = {t.name: [] for t in selected}
    for i in range(repeat):
        for tool in selected:
            print(f"run {i + 1}/{repeat}: {tool.name} ...", end=" ", flush=True)
            r = run(tool, pcap, out_dir)
            runs[tool.name].append(r)
            print(f"{r.wall_s:.1f} s" + (f" (exit {r.exit_code})" if r.exit_code else ""), flush=True)

    rows = _rows(selected, runs, packets)
    print()
    for line in _table(rows):
        print(line)
    print()
    _targets(rows)

    summary = sanity.summarise(
        sanity.appliance_report(runs["appliance"][-1].stdout) if "appliance" in runs else None, truth,
        tshark_streams(runs["tshark"][-1].stdout) if "tshark" in runs else None,
        ndpi_protocols(os.path.join(out_dir, "ndpi.summary.txt")) if "ndpiReader" in runs else None)
    print("\nsanity")
    for line in sanity.render(summary):
        print("  " + line)

    result = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": _machine(),
              "capture": {k: v for k, v in truth.items() if k not in ("calls", "streams")} | {"path": pcap},
              "generation_s": generated_s, "repeat": repeat, "results": rows,
              "runs": {name: [vars(r) for r in rs] for name, rs in runs.items()}, "sanity": summary}
    if os.environ.get("BENCH_10M", "1") != "0":
        result["ten_million"] = _ten_million(pcap, selected, out_dir)
    with open(OUT_DIR / "offline.json", "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nwrote {OUT_DIR / 'offline.json'}")
    return 0


def _ten_million(pcap: str, selected, out_dir: str) -> list[dict]:
    """The same tools once each on the 1M capture written ten times (bench/repeat.py)."""
    big = str(OUT_DIR / "offline10m.pcap")
    packets = ensure_repeated(pcap, big)
    print(f"\n10M capture: {big}, {packets} packets, {os.path.getsize(big) / 2**20:.0f} MiB")
    warm_cache(big)
    runs = {}
    for tool in selected:
        print(f"run: {tool.name} ...", end=" ", flush=True)
        runs[tool.name] = [run(tool, big, out_dir)]
        print(f"{runs[tool.name][0].wall_s:.1f} s", flush=True)
    rows = _rows(selected, runs, packets)
    print()
    for line in _table(rows):
        print(line)
    _targets(rows)
    ap_row = next((r for r in rows if r["tool"] == "appliance"), None)
    report = (sanity.appliance_report(runs["appliance"][0].stdout) if ap_row else None) or {}
    streams = len(report.get("streams", []))
    print(f"appliance reported {streams} streams (10 x the 1M capture's)")
    return rows


def _targets(rows: list[dict]) -> None:
    if not any(r["tool"] == "appliance" for r in rows):
        return
    from collectors.batch import kernel
    print("appliance's record walk: " + ("compiled (collectors/batch/_kernel.c)" if kernel.available()
                                         else "numpy batch (the compiled walk is not built)"))
    for row in rows:
        target = TARGETS.get(row["tool"])
        if target is not None:
            verdict = "met" if row["speed_ratio"] >= target else "NOT met"
            print(f"target appliance >= {target:g}x {row['tool']}: {row['speed_ratio']:.2f}x ({verdict})")


def _rows(selected, runs: dict[str, list[Run]], packets: int) -> list[dict]:
    rows = []
    for tool in selected:
        rs = runs[tool.name]
        best = min(rs, key=lambda r: r.wall_s)
        rows.append({"tool": tool.name, "command": " ".join(tool.argv), "note": tool.note,
                     "wall_s": round(best.wall_s, 3), "cpu_s": round(best.user_s + best.sys_s, 3),
                     "packets_per_s": round(packets / best.wall_s),
                     "peak_rss_mib": round(max(r.max_rss_mib for r in rs), 1),
                     "exit_codes": sorted({r.exit_code for r in rs})})
    ap = next((r for r in rows if r["tool"] == "appliance"), None)
    for row in rows:
        row["speed_ratio"] = round(ap["packets_per_s"] / row["packets_per_s"], 3) if ap else None
    return rows


def _table(rows: list[dict]) -> list[str]:
    head = ("tool", "wall s", "CPU s", "packets/s", "peak RSS MiB", "speed ratio")
    body = [(r["tool"], f"{r['wall_s']:.2f}", f"{r['cpu_s']:.2f}", f"{r['packets_per_s']:,}", f"{r['peak_rss_mib']:.1f}",
             "-" if r["speed_ratio"] is None else f"{r['speed_ratio']:.2f}") for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)        # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths)))
    return [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body] + [
        "packets/s = capture packets / best wall time; CPU s = user + system of that run;",
        "speed ratio = appliance packets/s / tool packets/s (> 1: the appliance is faster)"]


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
            "appliance": appliance_bin(), "tshark": version(["tshark", "--version"]),
            "ndpiReader": version(["ndpiReader", "-h"])}


if __name__ == "__main__":
    sys.exit(main())
