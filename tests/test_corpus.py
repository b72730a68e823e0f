"""The shared corpus of public captures, scored with the shared scorer (skipped where absent)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import APPLIANCE, SHARED

SCORER = SHARED / "tools" / "score.py"
LABELS = SHARED / "corpus" / "labels.json"

pytestmark = pytest.mark.skipif(not (SCORER.exists() and LABELS.exists()),
                                reason="../shared/corpus is not present on this machine")


def test_score_is_perfect_on_the_labelled_corpus():
    proc = subprocess.run([sys.executable, str(SCORER), "--labels", str(LABELS), "--analyzer", str(APPLIANCE) + " analyze",
                           "--json"], capture_output=True, text=True, timeout=1800)
    summary = json.loads(proc.stdout)
    problems = {c["file"]: c["failure"] or c["problems"] for c in summary["captures"] if not c["ok"]}
    assert summary["perfect"] and proc.returncode == 0, f"{summary['summary']}: {json.dumps(problems)[:1500]}"
    assert summary["totals"]["captures"] >= 100
