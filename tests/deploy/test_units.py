"""deploy/: the systemd units pass `systemd-analyze verify` and run commands the CLI really has; the
collector holds exactly CAP_NET_RAW and CAP_NET_ADMIN and the API nothing; prepare-mirror-nic.sh makes
a veth in a namespace of its own a silent promiscuous listener (and --check reports); backup-sqlite.sh
copies a store consistently while it is being written; every script parses; the env example documents
every variable; nginx and logrotate configurations parse where those tools are installed."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import APPLIANCE, ROOT, need_tool
from tests.live.netns import need_root_and_netns, prefix, sh

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("appliance*"))
SCRIPTS = sorted(DEPLOY.glob("*.sh"))
VENV_APPLIANCE = "/opt/appliance/venv/bin/appliance"     # where deploy/README.md installs it
SRC = "/opt/appliance/src"                               # the source checkout the units point into
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
SERVICE_SECTION_LISTS = ("AmbientCapabilities", "CapabilityBoundingSet", "RestrictAddressFamilies", "ReadWritePaths")


# -- reading unit files ---------------------------------------------------------------------------
def unit_settings(path: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [value, ...]}} — systemd keys may repeat (an empty value resets a list)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path.name}: {line!r} outside a section"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def effective_list(values: list[str]) -> set[str]:
    """A list setting as systemd accumulates it: words add up, an empty assignment clears."""
    result: set[str] = set()
    for value in values:
        if not value:
            result.clear()
        else:
            result.update(value.split())
    return result


def instance(unit: Path) -> str:
    """The name to verify a unit under: templates get an instance (a mirror port)."""
    return unit.name.replace("@.", "@eth1.")


def exec_starts(unit: Path) -> list[list[str]]:
    commands = []
    for value in unit_settings(unit).get("Service", {}).get("ExecStart", []):
        argv = shlex.split(value.lstrip("-+!@:"))
        commands.append([word.replace("%i", "eth1") for word in argv])
    return commands


def test_the_deploy_directory_has_the_units():
    names = {unit.name for unit in UNITS}
    assert {"appliance-collector@.service", "appliance-api.service", "appliance-purge.service",
            "appliance-purge.timer", "appliance-backup.service", "appliance-backup.timer",
            "appliance-mirror-nic@.service"} <= names


# -- systemd-analyze verify -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fake_root(tmp_path_factory) -> Path:
    """A root directory laid out as deploy/README.md installs the appliance: the distribution's units
    (so dependencies such as network-online.target resolve), ours in /etc/systemd/system, the venv's
    `appliance` (a wrapper around this test venv's) and the source checkout's scripts. `verify --root`
    then needs no running systemd (PID 1 here is not systemd)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd; .ci/run installs it)")
    if not SYSTEM_UNITS.is_dir():
        pytest.skip(f"{SYSTEM_UNITS} is missing: no distribution units to verify against")
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    venv_bin = root / VENV_APPLIANCE.lstrip("/")
    venv_bin.parent.mkdir(parents=True)
    venv_bin.write_text(f"#!/bin/sh\nexec {shlex.quote(str(APPLIANCE))} \"$@\"\n")
    venv_bin.chmod(0o755)
    scripts = root / SRC.lstrip("/") / "deploy"
    scripts.mkdir(parents=True)
    for script in SCRIPTS:
        shutil.copy(script, scripts / script.name)
    return root


def analyze(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args[:1], f"--root={root}", "--man=no", "--generators=no",
                           *args[1:]], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_passes_systemd_analyze_verify(fake_root, unit):
    """No error and no warning at all (an unknown key is only a warning, but a silent no-op)."""
    proc = analyze(fake_root, "verify", instance(unit))
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


def test_verify_would_catch_a_broken_unit(fake_root, tmp_path):
    """The check is real: a misspelt key or a missing binary makes verify speak up."""
    broken = fake_root / "etc/systemd/system/appliance-broken.service"
    broken.write_text("[Service]\nExecStart=/opt/appliance/venv/bin/no-such-binary\nProtectSytem=strict\n")
    try:
        proc = analyze(fake_root, "verify", broken.name)
    finally:
        broken.unlink()
    assert "ProtectSytem" in proc.stderr and "no-such-binary" in proc.stderr and proc.returncode != 0


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda unit: unit.name)
def test_services_are_hardened(fake_root, unit):
    """systemd's own exposure score of each service stays in its "OK" band or better (< 3.0 of 10)."""
    proc = analyze(fake_root, "security", "--offline=yes", instance(unit))
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout)
    assert match, proc.stdout[-2000:] + proc.stderr
    assert float(match.group(1)) < 3.0, proc.stdout


# -- the commands in ExecStart exist -----------------------------------------------------------------
def cli_commands() -> list[tuple[str, list[str]]]:
    found = []
    for unit in UNITS:
        for argv in exec_starts(unit):
            if argv[0] == VENV_APPLIANCE:
                found.append((unit.name, argv[1:]))
    return found


def test_units_run_the_installed_appliance_or_shipped_scripts():
    for unit in UNITS:
        for argv in exec_starts(unit):
            if argv[0] == VENV_APPLIANCE:
                continue
            assert argv[0].startswith(f"{SRC}/deploy/"), f"{unit.name}: unexpected ExecStart {argv}"
            shipped = DEPLOY / argv[0].removeprefix(f"{SRC}/deploy/")
            assert shipped.is_file() and os.access(shipped, os.X_OK), f"{shipped} is missing or not executable"
    assert {" ".join(args[:1]) for _, args in cli_commands()} == {"collect", "serve", "db"}


@pytest.mark.parametrize("unit, args", cli_commands(), ids=lambda value: value if isinstance(value, str) else None)
def test_exec_start_subcommand_and_flags_exist(unit, args):
    """`appliance <sub> --help` knows every flag the unit passes, and the command line parses as the
    CLI would parse it (choices such as --format jsonl included), without running it."""
    flags = [a for a in args if a.startswith("--")]
    first_flag = next((n for n, a in enumerate(args) if a.startswith("-")), len(args))
    subcommand = args[:first_flag]           # e.g. ["collect"], ["db", "purge"]
    proc = subprocess.run([str(APPLIANCE), *subcommand, "--help"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    for flag in flags:
        assert flag in proc.stdout, f"{unit}: `appliance {' '.join(subcommand)}` has no {flag}"
    import typer.main

    from appliance.cli import app
    command = typer.main.get_command(app)
    for name in subcommand:
        command = command.commands[name]
    command.make_context(" ".join(subcommand), list(args[len(subcommand):]))   # raises on a bad option/value


# -- privileges --------------------------------------------------------------------------------------
def service(unit_name: str) -> dict[str, list[str]]:
    return unit_settings(DEPLOY / "systemd" / unit_name)["Service"]


def test_collector_holds_exactly_cap_net_raw_and_cap_net_admin():
    svc = service("appliance-collector@.service")
    expected = {"CAP_NET_RAW", "CAP_NET_ADMIN"}
    assert effective_list(svc["AmbientCapabilities"]) == expected
    assert effective_list(svc["CapabilityBoundingSet"]) == expected
    assert svc["User"] == ["appliance"] and svc["NoNewPrivileges"] == ["yes"]
    assert effective_list(svc["RestrictAddressFamilies"]) == {"AF_PACKET", "AF_UNIX", "AF_INET", "AF_INET6",
                                                             "AF_NETLINK"}
    [argv] = exec_starts(DEPLOY / "systemd" / "appliance-collector@.service")
    assert argv[1:] == ["collect", "--interface", "eth1", "--store", "--format", "jsonl"]


@pytest.mark.parametrize("unit", ["appliance-api.service", "appliance-purge.service", "appliance-backup.service"])
def test_unprivileged_units_hold_no_capability(unit):
    svc = service(unit)
    assert effective_list(svc["AmbientCapabilities"]) == set()
    assert "CapabilityBoundingSet" in svc and effective_list(svc["CapabilityBoundingSet"]) == set()
    assert svc["User"] == ["appliance"] and svc["NoNewPrivileges"] == ["yes"]
    assert "AF_PACKET" not in effective_list(svc["RestrictAddressFamilies"])


def test_api_listens_on_loopback_only():
    svc = service("appliance-api.service")
    [argv] = exec_starts(DEPLOY / "systemd" / "appliance-api.service")
    assert argv[1:] == ["serve"]
    assert not any(v.startswith(("APPLIANCE_HOST=", "APPLIANCE_PORT=")) for v in svc.get("Environment", []))
    from appliance.settings import Settings
    assert Settings.__dataclass_fields__["host"].default == "127.0.0.1"     # the code's default
    example = env_example()
    assert example.get("APPLIANCE_HOST") == "127.0.0.1"


@pytest.mark.parametrize("unit", ["appliance-collector@.service", "appliance-api.service"])
def test_long_running_units_are_hardened_and_restart_with_back_off(unit):
    svc = service(unit)
    unit_section = unit_settings(DEPLOY / "systemd" / unit)["Unit"]
    for key, value in (("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                       ("NoNewPrivileges", "yes"), ("Restart", "on-failure")):
        assert svc.get(key) == [value], f"{unit}: {key}"
    assert svc["EnvironmentFile"][0] == "/etc/appliance/appliance.env"
    assert "/var/lib/appliance" in effective_list(svc["ReadWritePaths"])
    assert "APPLIANCE_DATA_DIR=/var/lib/appliance" in svc["Environment"]
    assert svc["RestartSec"] and unit_section["StartLimitBurst"] and unit_section["StartLimitIntervalSec"]


# -- environment file --------------------------------------------------------------------------------
def env_example() -> dict[str, str]:
    """Variables the example sets, and those it documents commented out (value '')."""
    found = {}
    for line in (ROOT / "appliance" / "examples" / "appliance.env").read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), "" if line.startswith("#") else match.group(2))
    return found


def test_env_example_documents_every_variable_the_code_reads():
    code = (ROOT / "appliance" / "settings.py").read_text()
    read = set(re.findall(r"\"(APPLIANCE_[A-Z_]+)\"", code))
    assert {"APPLIANCE_DATA_DIR", "APPLIANCE_DATABASE_URL", "APPLIANCE_SECRET_KEY", "APPLIANCE_SENSOR_ID",
            "APPLIANCE_INTERFACES", "APPLIANCE_HOST", "APPLIANCE_PORT", "APPLIANCE_RETENTION_DAYS"} <= read
    documented = env_example()
    missing = read - set(documented)
    assert not missing, f"appliance/examples/appliance.env does not document {sorted(missing)}"
    assert "APPLIANCE_CONFIG" in documented
    for unit in UNITS:                       # and every variable a unit sets
        for value in unit_settings(unit).get("Service", {}).get("Environment", []):
            name = value.split("=", 1)[0]
            if name.startswith(("APPLIANCE_", "BACKUP_")):
                assert name in documented, f"{unit.name} sets {name}, undocumented"


# -- prepare-mirror-nic.sh in a namespace --------------------------------------------------------------
def nic_state(ns: str, iface: str) -> dict:
    [link] = json.loads(sh("ip", "-n", ns, "-j", "-d", "link", "show", "dev", iface).stdout)
    [addr] = json.loads(sh("ip", "-n", ns, "-j", "addr", "show", "dev", iface).stdout)
    ipv6 = sh("ip", "netns", "exec", ns, "cat", f"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6", check=False)
    return {"flags": set(link["flags"]), "promiscuity": link.get("promiscuity", 0),
            "addresses": [a["local"] for a in addr.get("addr_info", [])], "ipv6_disabled": ipv6.stdout.strip() == "1"}


def offloads(ns: str, iface: str) -> dict[str, str]:
    out = sh("ip", "netns", "exec", ns, "ethtool", "-k", iface).stdout
    return {name: state for name, state in re.findall(r"^([a-z-]+): (on|off)", out, re.M)}


def prepare(ns: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, str(DEPLOY / "prepare-mirror-nic.sh"), *args],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


def report_lines(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """{check: OK|FAIL|CHANGED|SKIP} from the script's table."""
    return {parts[1]: parts[0] for parts in (line.split(None, 2) for line in proc.stdout.splitlines())
            if len(parts) >= 2 and parts[0] in ("OK", "FAIL", "CHANGED", "SKIP")}


def test_prepare_mirror_nic_in_a_namespace():
    need_root_and_netns()
    ns, iface, peer = f"{prefix()}d", "mir0", "mir0p"
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "add", iface, "type", "veth", "peer", "name", peer)
        sh("ip", "-n", ns, "addr", "add", "192.0.2.10/24", "dev", iface)
        sh("ip", "-n", ns, "addr", "add", "2001:db8::10/64", "dev", iface, "nodad")
        sh("ip", "-n", ns, "link", "set", peer, "up")          # carrier: the kernel adds a link-local too
        sh("ip", "-n", ns, "link", "set", iface, "up")
        before = nic_state(ns, iface)
        assert before["addresses"] and "PROMISC" not in before["flags"]

        check = prepare(ns, "--check", iface)                     # reports, changes nothing
        assert check.returncode == 1 and "not ready" in check.stderr
        assert report_lines(check)["promiscuous"] == "FAIL" and report_lines(check)["addresses"] == "FAIL"
        assert nic_state(ns, iface) == before

        # As appliance-mirror-nic@.service runs it: root holding nothing but CAP_NET_ADMIN.
        done = subprocess.run(["ip", "netns", "exec", ns, "setpriv", "--bounding-set=-all,+net_admin",
                               "--inh-caps=-all", str(DEPLOY / "prepare-mirror-nic.sh"), iface],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "CHANGED" in done.stdout and f"{iface} is ready for capture" in done.stdout
        after = nic_state(ns, iface)
        assert {"UP", "PROMISC", "NOARP"} <= after["flags"] and after["promiscuity"] >= 1
        assert after["addresses"] == [] and after["ipv6_disabled"]
        if shutil.which("ethtool"):
            state = offloads(ns, iface)
            for feature in ("generic-receive-offload", "generic-segmentation-offload", "tcp-segmentation-offload",
                            "rx-vlan-offload"):
                assert state.get(feature, "off") == "off", feature

        again = prepare(ns, iface)                                # idempotent: nothing left to change
        assert again.returncode == 0 and "CHANGED" not in again.stdout, again.stdout
        assert nic_state(ns, iface) == after
        check = prepare(ns, "--check", iface)
        assert check.returncode == 0 and set(report_lines(check).values()) <= {"OK", "SKIP"}, check.stdout

        no_ethtool = prepare(ns, "--check", iface, env={"ETHTOOL": "/nonexistent/ethtool"})
        assert no_ethtool.returncode == 0
        assert report_lines(no_ethtool)["offloads"] == "SKIP" and "ethtool is not installed" in no_ethtool.stdout
        assert "ethtool is missing" in no_ethtool.stderr

        sh("ip", "-n", ns, "addr", "add", "192.0.2.11/24", "dev", iface)     # drift: --check notices
        drift = prepare(ns, "--check", iface)
        assert drift.returncode == 1 and report_lines(drift)["addresses"] == "FAIL" and "192.0.2.11" in drift.stdout
    finally:
        sh("ip", "netns", "del", ns, check=False)


def test_prepare_mirror_nic_usage_errors():
    proc = subprocess.run([str(DEPLOY / "prepare-mirror-nic.sh")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "usage" in proc.stderr
    proc = subprocess.run([str(DEPLOY / "prepare-mirror-nic.sh"), "--check", "no-such-if0"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "no-such-if0: no such interface" in proc.stderr


# -- backup-sqlite.sh ------------------------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sqlalchemy import select, func
    from appliance.store import StoreSettings, open_store
    from appliance.store.models import Sensor
    store = open_store(StoreSettings(None, Path(sys.argv[1])))
    stop = Path(sys.argv[2])
    with store.session() as session:
        session.add(Sensor(id="total", packets=0, drops=0))
    n = 0
    while not stop.exists():
        n += 1
        with store.session() as session:        # one transaction: a row and the counter that counts it
            session.add(Sensor(id=f"w-{n}", name="x" * 150, packets=n, drops=0))
            session.get(Sensor, "total").packets = Sensor.packets + 1
        if n == 50:
            print("writing", flush=True)
    print(n, flush=True)
    store.close()
""")


def test_backup_sqlite_is_consistent_while_the_store_is_written(tmp_path):
    from sqlalchemy import func, select

    from appliance.store import StoreSettings, open_store
    from appliance.store.migrate import current_revision, head_revision
    from appliance.store.models import Sensor
    data, backups, stop = tmp_path / "data", tmp_path / "backups", tmp_path / "stop"
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(data), "PYTHON": sys.executable}
    env.pop("APPLIANCE_DATABASE_URL", None)
    upgrade = subprocess.run([str(APPLIANCE), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert writer.stdout.readline().strip() == "writing", writer.stderr.read()
        runs = [subprocess.run([str(DEPLOY / "backup-sqlite.sh"), "--dest", str(backups), "--keep", "2"],
                               env=env, capture_output=True, text=True, timeout=300) for _ in range(3)]
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written = int(out.strip())
    for run in runs:
        assert run.returncode == 0 and run.stdout.startswith("backup: "), run.stdout + run.stderr
    copies = sorted(backups.glob("appliance-*.db"))
    assert len(copies) == 2, "--keep 2 keeps the two newest copies"
    assert "removed old copy" in runs[-1].stdout
    assert not list(backups.glob("*.partial*"))
    for copy in copies:
        restored = tmp_path / f"restore-{copy.stem}"
        restored.mkdir()
        shutil.copy(copy, restored / "appliance.db")          # restore: one self-contained file
        settings = StoreSettings(None, restored)
        assert current_revision(settings) == head_revision(settings)
        store = open_store(settings)
        try:
            with store.session(readonly=True) as session:
                rows = session.scalar(select(func.count()).select_from(Sensor).where(Sensor.id.like("w-%")))
                total = session.get(Sensor, "total").packets
                highest = session.scalar(select(func.max(Sensor.packets)).where(Sensor.id.like("w-%")))
        finally:
            store.close()
        assert 50 <= rows <= written
        assert total == rows == highest, "the copy holds whole transactions only"
        assert not (restored / "appliance.db-wal").exists() or (restored / "appliance.db-wal").stat().st_size == 0


def test_backup_sqlite_refuses_postgresql_and_a_missing_store(tmp_path):
    script = str(DEPLOY / "backup-sqlite.sh")
    proc = subprocess.run([script], env={**os.environ, "APPLIANCE_DATABASE_URL": "postgresql://x@h/db",
                                         "APPLIANCE_DATA_DIR": str(tmp_path)}, capture_output=True, text=True)
    assert proc.returncode == 2 and "pg_dump" in proc.stderr
    env = {k: v for k, v in os.environ.items() if k != "APPLIANCE_DATABASE_URL"}
    proc = subprocess.run([script, "--data-dir", str(tmp_path / "none")], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "no store at" in proc.stderr
    proc = subprocess.run([script, "--keep", "zero"], env=env, capture_output=True, text=True)
    assert proc.returncode == 2


# -- syntax of scripts and configurations ---------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_parses_and_is_executable(script):
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/usr/bin/env bash\n")


def test_ifupdown_snippet_calls_the_shipped_script():
    text = (DEPLOY / "network" / "interfaces.d-appliance-mirror").read_text()
    assert f"{SRC}/deploy/prepare-mirror-nic.sh $IFACE" in text and "inet manual" in text


def test_nginx_configuration_parses(tmp_path):
    nginx = need_tool("nginx")
    openssl = need_tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")], check=True,
                   capture_output=True)
    site = (DEPLOY / "nginx" / "appliance.conf").read_text()
    site = site.replace("/etc/appliance/tls/appliance.crt", str(tmp_path / "c.pem"))
    site = site.replace("/etc/appliance/tls/appliance.key", str(tmp_path / "k.pem"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(textwrap.dedent(f"""
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/error.log;
        events {{}}
        http {{
            access_log off;
            client_body_temp_path {tmp_path}/body;
            proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi;
            uwsgi_temp_path {tmp_path}/uwsgi;
            scgi_temp_path {tmp_path}/scgi;
            include {tmp_path}/site.conf;
        }}
    """))
    proc = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "proxy_buffering off" in site and "TLSv1.2 TLSv1.3" in site and "Strict-Transport-Security" in site


def test_nginx_example_proxies_the_sse_stream_unbuffered():
    site = (DEPLOY / "nginx" / "appliance.conf").read_text()
    stream = site.split("location = /api/v1/alerts/stream", 1)[1].split("}", 1)[0]
    assert "proxy_buffering off" in stream and "access_log off" in stream
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header}" in site
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site and "server 127.0.0.1:8080" in site


def test_logrotate_configuration_parses(tmp_path):
    logrotate = shutil.which("logrotate") or shutil.which("/usr/sbin/logrotate")
    if logrotate is None:
        pytest.skip("logrotate is not installed")
    import grp
    import pwd
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    text = (DEPLOY / "logrotate" / "appliance").read_text()
    assert "su appliance appliance" in text and "/var/lib/appliance/switch-logs/*.log" in text
    logs = tmp_path / "switch-logs"
    logs.mkdir()
    (logs / "core-1.log").write_text("session\n" * 10)
    config = tmp_path / "appliance"
    config.write_text(text.replace("appliance appliance", f"{user} {group}")
                      .replace("/var/lib/appliance/switch-logs", str(logs)))
    proc = subprocess.run([logrotate, "-d", "-s", str(tmp_path / "state"), str(config)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "error:" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "core-1.log" in proc.stdout + proc.stderr
