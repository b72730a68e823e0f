"""Running the compared tools and reading what they print.

`run` starts one child with `subprocess.Popen` and reaps it with `os.wait4`, which returns that
child's own resource usage: wall time is measured around start and reap, peak RSS is the child's
`ru_maxrss` (KiB on Linux). Output goes to files in bench/out/ so big reports cost no pipe time.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    """One timed execution of a tool."""
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mib: float
    exit_code: int
    stdout: str        # path of the captured stdout
    stderr: str        # path of the captured stderr


@dataclass(frozen=True)
class Tool:
    """A compared tool: its name and how to run it on a capture."""
    name: str
    argv: tuple[str, ...]          # "{pcap}" and "{out}" are substituted
    note: str = ""

    def command(self, pcap: str, out_dir: str) -> list[str]:
        return [a.format(pcap=pcap, out=out_dir) for a in self.argv]


def appliance_bin() -> str:
    """The `appliance` console script next to the running interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / "appliance"
    return str(candidate) if candidate.exists() else (shutil.which("appliance") or str(candidate))


def tools() -> list[Tool]:
    """The three tools, in the order they run; a missing binary is left out by `available`."""
    return [
        Tool("appliance", (appliance_bin(), "analyze", "{pcap}", "--format", "json", "--no-progress"),
             "full report: every stream's verdict, calls, endpoints, alerts"),
        Tool("tshark", (shutil.which("tshark") or "tshark", "-q", "-n", "-r", "{pcap}", "-z", "rtp,streams",
                        "--enable-heuristic", "rtp_udp"),
             "RTP stream statistics (heuristic RTP on UDP)"),
        Tool("ndpiReader", (shutil.which("ndpiReader") or "ndpiReader", "-i", "{pcap}", "-q",
                            "-w", "{out}/ndpi.summary.txt"),
             "protocol detection per flow; -q silences stdout, -w keeps the protocol summary"),
    ]


def available(tool: Tool) -> bool:
    return shutil.which(tool.argv[0]) is not None or os.access(tool.argv[0], os.X_OK)


def run(tool: Tool, pcap: str, out_dir: str) -> Run:
    """Run `tool` once on `pcap`, timing it (CPU from `os.wait4`) and taking its peak RSS from the
    kernel's high-water mark of the tool's own memory (VmHWM), read while it runs: `ru_maxrss` also
    counts the bench process's memory the child shared before its exec (the 10M step showed every
    tool with the bench's own 984 MiB)."""
    stdout = os.path.join(out_dir, f"{tool.name}.stdout")
    stderr = os.path.join(out_dir, f"{tool.name}.stderr")
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(tool.command(pcap, out_dir), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak_kib = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kib = max(peak_kib, _high_water_kib(proc.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here: keep Popen from waiting again
    return Run(wall, usage.ru_utime, usage.ru_stime, peak_kib / 1024.0, proc.returncode, stdout, stderr)


def _high_water_kib(pid: int) -> int:
    """VmHWM of a running process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def warm_cache(path: str) -> None:
    """Read the capture once so every tool starts with it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


# start, end, src, port, dst, port, SSRC, payload (may hold spaces), packets, lost "(n%)" ...
_TSHARK_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)"
                         r"\s+(.+?)\s+(\d+)\s+-?\d+ \(")


def tshark_streams(stdout_path: str) -> list[dict]:
    """Rows of tshark's `-z rtp,streams` table: src, src_port, dst, dst_port, ssrc, payload, packets."""
    rows = []
    with open(stdout_path, errors="replace") as f:
        for line in f:
            m = _TSHARK_ROW.match(line)
            if m:
                rows.append({"src": m[1], "src_port": int(m[2]), "dst": m[3], "dst_port": int(m[4]),
                             "ssrc": int(m[5], 16), "payload": m[6], "packets": int(m[7])})
    return rows


def ndpi_protocols(summary_path: str) -> dict[str, dict]:
    """nDPI's per-protocol totals from its `-w` file: name -> packets, bytes, flows (bidirectional)."""
    out: dict[str, dict] = {}
    try:
        with open(summary_path, errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4 and all(p.strip().isdigit() for p in parts[1:]):
                    out[parts[0].strip()] = {"packets": int(parts[1]), "bytes": int(parts[2]), "flows": int(parts[3])}
    except OSError:
        pass
    return out


def version(argv: list[str]) -> str:
    """First line of a tool's version output (for the record)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unavailable"
    text = (done.stdout or done.stderr).strip()
    for line in text.splitlines():
        if line.strip() and "Running as user" not in line:
            return line.strip()
    return "unknown"
