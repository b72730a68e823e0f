"""Shared fixtures: run the analyzer the way users do and check every report against the schema."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from appliance.analyze import analyze_files
from appliance.schema import report_schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
APPLIANCE = Path(sys.executable).parent / "appliance"
_VALIDATOR = jsonschema.Draft202012Validator(report_schema())


def validate_report(report: dict) -> dict:
    """Every report a test produces must satisfy the shipped JSON Schema."""
    errors = sorted(_VALIDATOR.iter_errors(report), key=lambda e: list(e.path))
    assert not errors, "report violates voip-report/1: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
    return report


def analyze(*paths) -> dict:
    """In-process analysis (same pipeline as the CLI), schema-checked."""
    return validate_report(analyze_files([str(p) for p in paths]))


def analyze_cli(*paths, check: bool = True) -> dict:
    """The console script as users run it, schema-checked."""
    proc = subprocess.run([str(APPLIANCE), "analyze", *map(str, paths), "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return validate_report(json.loads(proc.stdout))


def stream_by_tuple(report: dict, src: str, sport: int, dst: str, dport: int, kind: str = "rtp") -> dict:
    matches = [s for s in report["streams"] if (s["src"], s["src_port"], s["dst"], s["dst_port"], s["kind"])
               == (src, sport, dst, dport, kind)]
    assert matches, f"no {kind} stream {src}:{sport} -> {dst}:{dport} in {[s['id'] for s in report['streams']]}"
    return matches[0]


def alert_pairs(report: dict) -> set[tuple[str, str]]:
    return {(a["type"], a["endpoint"]) for a in report["alerts"]}


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def is_root() -> bool:
    return os.geteuid() == 0


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60.0, log=None) -> None:
    """Until `base`/health answers 200 (an `appliance serve` or `run` the test started); fails with what
    the process said (its stderr when it is a pipe, else the `log` file it writes to) if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = process.stderr.read() if process.stderr else (log.read_text() if log is not None else "")
            raise AssertionError(f"the appliance exited ({process.returncode}) before answering /health: {said}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base}/health did not answer within {timeout:g} s")
