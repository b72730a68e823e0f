"""Profile the appliance's offline analysis on the first N packets of the benchmark capture.

    .venv/bin/python -m bench.profile [PACKETS=200000] [LINES=15]

Cuts bench/out/offline.pcap (made by `make bench`) to its first PACKETS records, runs
`appliance.analyze.analyze_files` on the cut under cProfile and prints the top LINES functions
by own time (tottime), then by cumulative time. The stats are kept in bench/out/profile.pstats.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import struct
import sys
import time
from pathlib import Path

from bench.capture import ensure_capture

OUT_DIR = Path(__file__).resolve().parent / "out"


def cut(src: str, dst: str, packets: int) -> int:
    """Copy the pcap global header and the first `packets` records of `src` to `dst`."""
    written = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fout.write(fin.read(24))
        while written < packets:
            head = fin.read(16)
            if len(head) < 16:
                break
            caplen = struct.unpack("<IIII", head)[2]
            fout.write(head + fin.read(caplen))
            written += 1
    return written


def main(argv: list[str]) -> int:
    packets = int(argv[0]) if argv else 200_000
    lines = int(argv[1]) if len(argv) > 1 else 15
    pcap, _, _ = ensure_capture(str(OUT_DIR))
    subset = str(OUT_DIR / f"offline-{packets}.pcap")
    count = cut(pcap, subset, packets)
    from appliance.analyze import analyze_files
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(analyze_files, [subset])
    elapsed = time.perf_counter() - started
    print(f"{count} packets in {elapsed:.2f} s under cProfile ({count / elapsed:,.0f} packets/s, "
          "profiling overhead included)")
    profiler.dump_stats(str(OUT_DIR / "profile.pstats"))
    for key in ("tottime", "cumulative"):
        print(f"\ntop {lines} by {key}:")
        print(_table(profiler, key, lines))
    return 0


def _table(profiler: cProfile.Profile, key: str, lines: int) -> str:
    """pstats' listing without its preamble (totals and ordering lines)."""
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(key).print_stats(lines)
    listing = text.getvalue()
    start = listing.find("   ncalls")
    return listing[start:].rstrip() if start >= 0 else listing.rstrip()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
