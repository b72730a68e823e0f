"""`appliance analyze` in a subprocess, with its peak RSS: the end-to-end measurement of a flood."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.hostile.streams import FLOODS
from tests.hostile.harness import legit
from tests.synth import write_pcap

RUNNER = ("import atexit, sys\n"
          "from tests.hostile.analyze_rss import peak_rss_kib\n"
          "atexit.register(lambda: print('MAXRSS_KIB', peak_rss_kib(), file=sys.stderr))\n"
          "sys.argv = ['appliance', 'analyze', '--format', 'json', '--no-progress'] + sys.argv[1:]\n"
          "from appliance.cli import main\nmain()\n")


def peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM): unlike ru_maxrss, not inherited from the parent across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def write_flood(path: Path, floods: dict[str, int]) -> Path:
    """A pcap of the legitimate call with every named flood's units interleaved."""
    frames = legit().frames
    for name, units in floods.items():
        frames = list(interleave_frames(frames, FLOODS[name](units)))
    return write_pcap(path, frames)


def interleave_frames(frames, flood):
    import heapq
    return heapq.merge(frames, flood, key=lambda item: item[0])


def analyze(pcap: Path) -> tuple[int, dict, int]:
    """(exit status, the JSON report, peak RSS in bytes) of `appliance analyze` on `pcap`."""
    done = subprocess.run([sys.executable, "-c", RUNNER, str(pcap)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=300)
    rss = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("MAXRSS_KIB"))
    report = json.loads(done.stdout) if done.returncode == 0 else {}
    return done.returncode, report, rss * 1024
