"""Many sensors, one PostgreSQL, one API (deploy/README.md, "Many sensors"), live: a fresh database
migrated once with `appliance db upgrade`; two collectors, each in its own namespace on its own mirror
port with its own APPLIANCE_SENSOR_ID, capture recorded calls replayed concurrently and write into it
at the same time; one `appliance serve` on loopback shows both sensors with their packet counts and
each sensor's alerts — the same alerts `appliance analyze` finds in those captures offline."""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from contextlib import contextmanager

import httpx
import pytest

from collectors.sources.pcapfile import PcapFileSource
from tests.conftest import APPLIANCE, DATA, alert_pairs, analyze_cli, need_tool, wait_healthy
from tests.live.netns import need_root_and_netns, quiet, sh
from tests.live.test_collect import wait_ready

pytestmark = pytest.mark.lab

LAB = DATA / "lab"
PG_HOST, PG_PORT, PG_ADMIN_DB, PG_USERS = "127.0.0.1", 5432, "test", ("postgres", "root")
SENSORS = {"span-east": "udp-srtp-fallback.pcap",       # srtp_downgrade, sdes_keys_exposed
           "span-west": "tls-rtp.pcap"}                 # SIP over TLS, cleartext RTP: cleartext_media


@contextmanager
def fresh_database():
    """A database of its own on the local server (unique name), dropped at the end. Yields its URL
    over TCP (for the API on this host's loopback) and over the server's Unix socket (for collectors
    inside network namespaces, where 127.0.0.1 is the namespace's own loopback)."""
    import psycopg
    for user in PG_USERS:
        try:
            admin = psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user, connect_timeout=3,
                                    autocommit=True)
            break
        except psycopg.OperationalError:
            continue
    else:
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    name = f"appliance_ms_{secrets.token_hex(5)}"
    sockets = [d.strip() for d in admin.execute("SHOW unix_socket_directories").fetchone()[0].split(",") if d.strip()]
    if not sockets:
        admin.close()
        pytest.skip("the PostgreSQL server has no Unix socket: collectors in namespaces cannot reach it")
    try:
        admin.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as exc:
        admin.close()
        pytest.skip(f"cannot create a database on {PG_HOST}:{PG_PORT}: {exc}")
    try:
        yield (f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}",
               f"postgresql://{user}@/{name}?host={sockets[0]}&port={PG_PORT}")
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@contextmanager
def mirror_ports(count: int):
    """`count` mirror ports, each a veth whose capture end lives in a namespace of its own and whose
    other end (in a second namespace) is where the switch's copies are replayed. Built like
    tests/live/netns.replay_link, with names of their own so that several exist at once."""
    need_root_and_netns()
    base = f"ms{os.getpid() % 100000}"
    ports, namespaces = [], []
    try:
        for n in range(count):
            mon, src = f"{base}m{n}", f"{base}s{n}"
            for ns in (mon, src):
                sh("ip", "netns", "add", ns)
                namespaces.append(ns)
                quiet(ns)
            sh("ip", "link", "add", f"{base}r{n}", "netns", src, "type", "veth", "peer", "name", f"{base}c{n}",
               "netns", mon)
            sh("ip", "netns", "exec", src, "ip", "link", "set", f"{base}r{n}", "up")
            sh("ip", "netns", "exec", mon, "ip", "link", "set", f"{base}c{n}", "up")
            ports.append({"mon": mon, "monitor_if": f"{base}c{n}", "src": src, "replay_if": f"{base}r{n}"})
        yield ports
    finally:
        for ns in namespaces:
            sh("ip", "netns", "del", ns, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replay_seconds(capture) -> float:
    times = [frame.ts for frame in PcapFileSource(str(capture)).packets()]
    return times[-1] - times[0]


def test_two_live_sensors_write_into_one_postgresql_and_one_api_shows_both(tmp_path):
    need_tool("tcpreplay")
    offline = {sensor: analyze_cli(LAB / capture) for sensor, capture in SENSORS.items()}
    duration = max(replay_seconds(LAB / capture) for capture in SENSORS.values()) + 8
    with fresh_database() as (url, socket_url), mirror_ports(len(SENSORS)) as ports:
        base_env = {**os.environ, "APPLIANCE_DATABASE_URL": url, "APPLIANCE_DATA_DIR": str(tmp_path / "data")}
        for name in ("APPLIANCE_SENSOR_ID", "APPLIANCE_INTERFACES", "APPLIANCE_CONFIG"):
            base_env.pop(name, None)

        # Migrations run in one place, once, before any sensor starts.
        upgrade = subprocess.run([str(APPLIANCE), "db", "upgrade"], env=base_env, capture_output=True, text=True,
                                 timeout=120)
        assert upgrade.returncode == 0 and upgrade.stdout.startswith("store at revision"), upgrade.stderr

        collectors = {}
        for (sensor, capture), port in zip(SENSORS.items(), ports):
            env = {**base_env, "APPLIANCE_SENSOR_ID": sensor, "APPLIANCE_DATA_DIR": str(tmp_path / sensor),
                   "APPLIANCE_DATABASE_URL": socket_url}
            collectors[sensor] = subprocess.Popen(
                ["ip", "netns", "exec", port["mon"], str(APPLIANCE), "collect", "--interface", port["monitor_if"],
                 "--store", "--duration", f"{duration:.1f}", "--format", "jsonl", "--workers", "1"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for collector in collectors.values():
            wait_ready(collector)
        replays = [subprocess.Popen(["ip", "netns", "exec", port["src"], "tcpreplay", "-q", "-i", port["replay_if"],
                                     str(LAB / capture)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for capture, port in zip(SENSORS.values(), ports)]      # both mirrors busy at once
        for replay in replays:
            _, err = replay.communicate(timeout=300)
            assert replay.returncode == 0, err
        printed = {}
        for sensor, collector in collectors.items():
            out, err = collector.communicate(timeout=120)
            assert collector.returncode == 0, err
            printed[sensor] = {(a["type"], a["endpoint"]) for a in map(json.loads, out.splitlines())}

        # One API for the whole fleet, as deploy/systemd/appliance-api.service runs it (loopback).
        token = subprocess.run([str(APPLIANCE), "token", "create", "noc", "--role", "viewer"], env=base_env,
                               capture_output=True, text=True, timeout=120)
        assert token.returncode == 0, token.stderr
        bearer = token.stdout.strip().splitlines()[-1]
        port = free_port()
        log = tmp_path / "serve.log"
        with open(log, "w") as log_file:
            server = subprocess.Popen([str(APPLIANCE), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                      env={**base_env, "APPLIANCE_DATA_DIR": str(tmp_path / "api")},
                                      stdout=subprocess.DEVNULL, stderr=log_file, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, server, timeout=90.0, log=log)
            with httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {bearer}"},
                              timeout=30) as api:
                def get(path: str, **params):
                    response = api.get(path, params=params)
                    assert response.status_code == 200, f"GET {path}: {response.status_code}\n{log.read_text()}"
                    return response.json()
                sensors = {s["id"]: s for s in get("/sensors")}
                by_sensor = {sensor: get("/alerts", sensor=sensor, limit=500) for sensor in SENSORS}
                everything = get("/alerts", limit=500)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)

    assert set(sensors) == set(SENSORS), sensors
    for sensor, capture in SENSORS.items():
        expected_packets = offline[sensor]["captures"][0]["packets"]
        assert sensors[sensor]["packets"] > 0
        # Every frame the mirror delivered is accounted for: captured, or counted as a kernel drop.
        assert sensors[sensor]["packets"] + sensors[sensor]["drops"] == expected_packets, sensors[sensor]
        stored = {(a["type"], a["endpoint"]) for a in by_sensor[sensor]["items"]}
        assert {a["sensor"] for a in by_sensor[sensor]["items"]} == {sensor}
        assert stored == alert_pairs(offline[sensor]), f"{sensor}: live+store {stored} != offline"
        assert stored == printed[sensor], f"{sensor}: the store lost or invented alerts the collector printed"
        assert by_sensor[sensor]["total"] == len(by_sensor[sensor]["items"])
    assert {a["type"] for a in by_sensor["span-east"]["items"]} >= {"srtp_downgrade", "sdes_keys_exposed"}
    assert {a["type"] for a in by_sensor["span-west"]["items"]} == {"cleartext_media"}
    assert everything["total"] == sum(page["total"] for page in by_sensor.values())
