"""Start-up cost of the command line: `appliance analyze` reads packets without importing the web, store
or table stacks (issue 18's ≤ 0.3 s start-up; measured with `python -X importtime`, not timed here).

A small capture does not load numpy either (the batched fast path pays for its import only on large input,
and a classic pcap takes the compiled walk, which needs none; every path gives the same report,
tests/collectors/batch), nor pydantic: typer 0.29 coerces every
parameter through a pydantic TypeAdapter, so constraints.txt keeps typer 0.28, which does not."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DATA, ROOT

HEAVY = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "prometheus_client", "httpx",
         "netmiko", "rich"}
NOT_FOR_A_SMALL_CAPTURE = HEAVY | {"pydantic", "pydantic_core", "numpy"}

PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr))
sys.argv = ["appliance", *sys.argv[1:]]
from appliance.cli import main
%s
main()
"""

FULL_NAMES = PROBE.replace("sorted({m.split('.')[0] for m in sys.modules})", "sorted(sys.modules)")   # with submodules


def loaded(*argv: str, before: str = "") -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE % before, *argv], capture_output=True, text=True, cwd=ROOT,
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
    assert not modules & NOT_FOR_A_SMALL_CAPTURE, (sorted(modules & NOT_FOR_A_SMALL_CAPTURE),
                                                   "pydantic: is typer >= 0.29 installed? (see constraints.txt)")


def test_analyze_of_large_input_takes_the_compiled_walk_or_the_batched_path():
    """Input of BATCH_MIN_BYTES or more (here the threshold is lowered to the capture): a classic pcap takes
    the compiled walk where it was built, without numpy, and the numpy batch where it was not."""
    from collectors.batch import kernel
    capture = DATA / "lab" / "udp-srtp-fallback.pcap"
    lowered = f"import appliance.analyze; appliance.analyze.BATCH_MIN_BYTES = {capture.stat().st_size}"
    proc = subprocess.run([sys.executable, "-c", FULL_NAMES % lowered, "analyze", "--no-progress", str(capture)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    if kernel.available():
        assert "collectors.batch._kernel" in modules and "numpy" not in modules
    else:
        assert "numpy" in modules
    assert proc.stdout == loaded("analyze", "--no-progress", str(capture))[0].stdout


def test_a_classic_pcap_without_tls_loads_neither_scapy_nor_cryptography():
    """scapy (~0.1 s) opens only what needs its readers (pcapng, gzip, pipes); cryptography only parses
    certificates. Both paths: per frame, and batched (the threshold lowered to the capture)."""
    capture = DATA / "lab" / "udp-srtp-fallback.pcap"
    lowered = f"import appliance.analyze; appliance.analyze.BATCH_MIN_BYTES = {capture.stat().st_size}"
    for before in ("", lowered):
        proc, modules = loaded("analyze", "--no-progress", str(capture), before=before)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["alerts"], "the analysis ran"
        assert not modules & {"scapy", "cryptography"}, (before, sorted(modules & {"scapy", "cryptography"}))


# Read only with such frames, a TLS connection, a configuration or inventory file, a pseudonym key, scapy's
# readers or a command that records who ran it: a plain RTP capture needs none of them.
NOT_FOR_PLAIN_RTP = {"collectors.fingerprint.cdp", "collectors.fingerprint.lldp", "collectors.fingerprint.dhcp",
                     "collectors.tls.handshake", "collectors.tls.certificate", "collectors.tls.conversation"}
STDLIB_NOT_FOR_PLAIN_RTP = {"logging", "tomllib", "csv", "hashlib", "hmac", "getpass"}


def test_a_plain_rtp_capture_loads_no_tls_or_device_discovery_readers():
    """Per frame and batched. The standard-library modules are ours to avoid only while typer and the
    other dependencies do not import them (if one starts to, drop it from the list)."""
    capture = DATA / "lab" / "udp-srtp-fallback.pcap"
    lowered = f"import appliance.analyze; appliance.analyze.BATCH_MIN_BYTES = {capture.stat().st_size}"
    for before in ("", lowered):
        proc = subprocess.run([sys.executable, "-c", FULL_NAMES % before, "analyze", "--no-progress", str(capture)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["alerts"], "the analysis ran"
        modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
        assert not modules & NOT_FOR_PLAIN_RTP, (before, sorted(modules & NOT_FOR_PLAIN_RTP))
        assert not modules & STDLIB_NOT_FOR_PLAIN_RTP, (before, sorted(modules & STDLIB_NOT_FOR_PLAIN_RTP))


def test_a_tls_capture_loads_the_tls_readers():
    proc = subprocess.run([sys.executable, "-c", FULL_NAMES % "", "analyze", "--no-progress",
                           str(DATA / "lab" / "tls-srtp.pcap")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert {"collectors.tls.handshake", "collectors.tls.certificate"} <= modules
    assert json.loads(proc.stdout)["signaling"], "the SIP-TLS session was reported"


REGISTERED_ON_DEMAND = {"appliance.commands", "appliance.switch_commands", "appliance.firstrun", "appliance.status",
                        "appliance.audit_command"}
ALL_REGISTERED = "import appliance.cli_app; appliance.cli_app.OWN_COMMANDS = frozenset()"


def test_the_cli_own_commands_run_without_the_others_registered():
    """`analyze` (and the other commands of appliance/cli_app.py) run without importing the modules of the store,
    token, webhook, switch and SPAN commands; what they print is what the whole command line prints."""
    capture = str(DATA / "lab" / "udp-srtp-fallback.pcap")
    proc = subprocess.run([sys.executable, "-c", FULL_NAMES % "", "analyze", "--no-progress", capture],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert not modules & REGISTERED_ON_DEMAND, sorted(modules & REGISTERED_ON_DEMAND)
    for argv in (["analyze", "--no-progress", capture], ["analyze", "--help"], ["analyze", "--bad"], ["collect"],
                 ["example-config", "env"]):
        lean, whole = loaded(*argv)[0], loaded(*argv, before=ALL_REGISTERED)[0]
        assert (lean.returncode, lean.stdout) == (whole.returncode, whole.stdout), argv
        assert lean.stderr.splitlines()[:-1] == whole.stderr.splitlines()[:-1], argv


def test_other_commands_and_the_root_help_register_everything():
    proc, modules = loaded("--help")
    assert proc.returncode == 0 and all(name in proc.stdout for name in ("analyze", "db", "first-run", "span"))
    proc = subprocess.run([sys.executable, "-c", FULL_NAMES % "", "secret-key"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip()
    assert "appliance.commands" in set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_version_and_help_load_no_capture_or_web_stack():
    for argv in (["--version"], ["--help"]):
        proc, modules = loaded(*argv)
        assert proc.returncode == 0, proc.stderr
        assert not modules & (NOT_FOR_A_SMALL_CAPTURE - {"rich"} | {"netaddr", "scapy", "cryptography"}), argv


def test_the_table_format_still_loads_rich_when_asked():
    proc, modules = loaded("analyze", "--format", "table", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
    assert proc.returncode == 0, proc.stderr
    assert "rich" in modules and "srtp_downgrade" in proc.stdout


def test_libsrtp_loads_only_to_try_keys_seen_in_cleartext():
    """collectors.media.exposure (pylibsrtp, ~45M instructions) loads with the first a=crypto keys of cleartext
    SIP to try on a stream: a capture without them does not pay for it."""
    for capture, keys in (("udp-pcmu.pcap", False), ("tls-srtp.pcap", False), ("udp-g722-srtp.pcap", True)):
        proc = subprocess.run([sys.executable, "-c", FULL_NAMES % "", "analyze", "--no-progress",
                               str(DATA / "lab" / capture)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
        assert ("collectors.media.exposure" in modules) is keys and ("pylibsrtp" in modules) is keys, capture
