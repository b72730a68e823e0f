"""Start-up cost of the command line: `appliance analyze` reads packets without importing the web, store
or table stacks (issue 18's ≤ 0.3 s start-up; measured with `python -X importtime`, not timed here)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DATA, ROOT

HEAVY = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "prometheus_client", "httpx",
         "netmiko", "rich"}

PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr))
sys.argv = ["appliance", *sys.argv[1:]]
from appliance.cli import main
main()
"""


def loaded(*argv: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    return proc, set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_stack():
    proc = subprocess.run([sys.executable, "-c", "import sys, appliance.cli; print(' '.join(sys.modules))"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not {name.split(".")[0] for name in proc.stdout.split()} & HEAVY


def test_analyze_reads_a_capture_without_the_web_store_or_table_stacks():
    proc, modules = loaded("analyze", "--no-progress", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["alerts"], "the analysis ran"
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_the_table_format_still_loads_rich_when_asked():
    proc, modules = loaded("analyze", "--format", "table", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
    assert proc.returncode == 0, proc.stderr
    assert "rich" in modules and "srtp_downgrade" in proc.stdout
