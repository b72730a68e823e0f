"""Hostile traffic beside one legitimate cleartext call (issue 9, item 2), run by hand or by `make bench`:
per flood, N and 4N units through `appliance analyze` (a subprocess, for its peak RSS) with the default
settings, and a table of units, packets/s, peak RSS, decode errors/skips counted and whether the call's
cleartext_media alert was raised. The floods are `tests/hostile/streams.py`'s."""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.hostile.analyze_rss import analyze, write_flood
from tests.hostile.harness import LEGIT_STREAM, run

# flood -> N (4N is run too); the one-packet flow floods are fed in process (Pipeline + Policy, defaults):
# writing 800,000 frames to a pcap first would measure the writer, not the collector
FLOODS = {"huge_header_udp": 16, "huge_header_tcp": 2, "endless_headers_udp": 16, "endless_headers_tcp": 16,
          "many_vias_tcp": 1, "deep_multipart_tcp": 16, "wide_multipart_tcp": 8, "many_mlines_tcp": 8,
          "tcp_holes": 256, "tls_claims": 64}
IN_PROCESS = {"udp_flow_flood": 200_000, "rtcp_flow_flood": 50_000, "rtp_every_bit": 256}


def rss_row(name: str, units: int, folder: Path) -> tuple:
    pcap = write_flood(folder / f"{name}-{units}.pcap", {name: units})
    began = time.perf_counter()
    status, report, rss = analyze(pcap)
    seconds = time.perf_counter() - began
    capture = report["captures"][0] if report else {}
    alert = any(a["type"] == "cleartext_media" and a["stream"] == LEGIT_STREAM for a in report.get("alerts", ()))
    packets = capture.get("packets", 0)
    return name, units, packets, packets / seconds, rss / 2**20, f"decode_errors={capture.get('decode_errors')}", \
        alert if status == 0 else f"exit {status}"


def in_process_row(name: str, units: int) -> tuple:
    from tests.hostile.analyze_rss import peak_rss_kib
    outcome = run(name, units, trace=False)
    rss = peak_rss_kib() / 1024
    c = outcome.counters
    counted = f"bad_rtp={c['bad_rtp']} udp_evicted={c['udp_evicted']} finished_dropped={c['finished_dropped']}"
    return name, units, outcome.frames, outcome.frames / outcome.seconds, rss, counted, outcome.legit_alert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("floods", nargs="*", help="some of: " + ", ".join([*FLOODS, *IN_PROCESS]))
    args = parser.parse_args()
    names = args.floods or [*FLOODS, *IN_PROCESS]
    print(f"| flood | units | packets | packets/s | peak RSS (MiB) | counted | legit alert |")
    print("|---|---:|---:|---:|---:|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if name in FLOODS:
                rows = [rss_row(name, FLOODS[name] * k, Path(tmp)) for k in (1, 4)]
            else:    # a fresh process per size, so its peak RSS is this flood's alone
                rows = [_child(name, IN_PROCESS[name] * k) for k in (1, 4)]
            for row in rows:
                flood, units, packets, rate, rss, counted, alert = row
                print(f"| {flood} | {units:,} | {packets:,} | {rate:,.0f} | {rss:.1f} | {counted} | {alert} |",
                      flush=True)


def _child(name: str, units: int) -> tuple:
    import json
    import subprocess
    import sys
    code = ("import json, sys; from bench.hostile import in_process_row; "
            f"print(json.dumps(in_process_row({name!r}, {units})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return tuple(json.loads(done.stdout.splitlines()[-1]))


if __name__ == "__main__":
    main()
