"""`python -m bench.api_load`: requests/s and latency of the alert list with 100,000 alerts stored.

1. **fills a fresh store** (SQLite in a temporary directory; with `--postgres` also a fresh database
   `bench_api_<hex>` on 127.0.0.1:5432, dropped afterwards) through Alembic and the store's models:
   3 sensors, 240 endpoints, BENCH_API_ALERTS (100,000) alerts with realistic field values (the six
   alert types in proportions a busy site sees, their severities, summaries and evidence as the policy
   writes them, streams and Call-IDs, 60 % open / 15 % acknowledged / 25 % resolved, seen over the last
   7 days, newest with the highest id), bulk-inserted in batches of 10,000;
2. **starts `appliance serve`** on 127.0.0.1:<a free port> as a separate process (data dir or
   database URL in its environment, an empty configuration file, the per-token rate limit off:
   `APPLIANCE_API_TOKEN_RATE=0`, since K clients share one token and the limiter is not what is being
   measured) and waits for GET /health;
3. **drives it from this process** (a second process on loopback): for each query below, K clients
   (BENCH_API_CLIENTS, 8), each with its own keep-alive connection (httpx, asyncio), send requests back
   to back for T seconds (BENCH_API_SECONDS, 10) after a short warm-up; every request's latency is
   measured from send to the last body byte;
4. **prints a table** per store: query, requests, requests/s, p50 and p99 latency (ms), errors
   (non-200 answers and transport errors); and writes bench/out/api_load.json.

    default page        GET /api/v1/alerts                          (50 newest, with the total)
    filter              GET /api/v1/alerts?type=cleartext_media&state=open
    deep page (offset)  GET /api/v1/alerts?offset=90000
    deep page (cursor)  GET /api/v1/alerts?cursor=<id of the 90,000th newest>

The server and client share the machine's cores, so the figures are a floor for a dedicated box.
Nothing asserts speed. The server is ended by its PID; the temporary store and the PostgreSQL
database are always removed."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from appliance.store import migrate, open_store, queries
from appliance.store.columns import utcnow
from appliance.store.engine import StoreSettings
from appliance.store.models import Alert, Endpoint, Sensor
from bench.tools import appliance_bin

OUT_DIR = Path(__file__).resolve().parent / "out"
PG = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "users": ("postgres", "root")}
SENSORS = ("core-sw1", "core-sw2", "branch-07")
BATCH = 10_000
# type: (share, severity)
TYPES = {"cleartext_media": (0.45, "high"), "cleartext_signaling": (0.25, "medium"), "srtp_downgrade": (0.10, "high"),
         "sdes_keys_exposed": (0.08, "critical"), "weak_tls": (0.07, "medium"), "tls_reconnect_storm": (0.05, "low")}
STATES = (("open", 0.60), ("acknowledged", 0.15), ("resolved", 0.25))
DEVICES = (("desk-phone", "Yealink", "T54W"), ("desk-phone", "Poly", "VVX 450"), ("softphone", None, None),
           ("conference", "Poly", "Trio 8800"), ("gateway", "AudioCodes", "MP-118"), ("unknown", None, None))


def queries_for(deep_cursor: int) -> list[tuple[str, str, dict]]:
    return [("default page", "/api/v1/alerts", {}),
            ("filter", "/api/v1/alerts", {"type": "cleartext_media", "state": "open"}),
            ("deep page (offset)", "/api/v1/alerts", {"offset": 90_000}),
            ("deep page (cursor)", "/api/v1/alerts", {"cursor": deep_cursor})]


# -- the store -------------------------------------------------------------------------------------
def fill(settings: StoreSettings, alerts: int, seed: int = 9) -> dict:
    """Migrate and fill a fresh store; returns what it holds and a viewer token."""
    rng = random.Random(seed)
    started = time.perf_counter()
    migrate.upgrade(settings)
    now = utcnow()
    with open_store(settings) as store:
        endpoints = []
        with store.session() as session:
            for sensor in SENSORS:
                session.add(Sensor(id=sensor, name=f"mirror port of {sensor}", packets=rng.randrange(10**9),
                                   drops=rng.randrange(10**4), first_seen=now - timedelta(days=30), last_seen=now))
            session.flush()
            for s, sensor in enumerate(SENSORS):
                for host in range(80):
                    ip = f"10.{20 + s}.{host // 40}.{10 + host % 40}"
                    device_class, vendor, model = rng.choice(DEVICES)
                    endpoints.append((sensor, ip, device_class))
                    session.add(Endpoint(sensor_id=sensor, ip=ip, device_class=device_class, vendor=vendor,
                                         model=model, mac=":".join(f"{rng.randrange(256):02x}" for _ in range(6)),
                                         media_srtp=rng.random() < 0.6, signaling_tls=rng.random() < 0.5,
                                         first_seen=now - timedelta(days=30), last_seen=now))
            token = queries.create_token(session, "bench", "viewer", created_by="bench.api_load").token
        names, weights = list(TYPES), [share for share, _ in TYPES.values()]
        state_names, state_weights = [s for s, _ in STATES], [w for _, w in STATES]
        span = timedelta(days=7).total_seconds()
        for start in range(0, alerts, BATCH):
            rows = []
            for n in range(start, min(alerts, start + BATCH)):
                sensor, ip, device_class = rng.choice(endpoints)
                peer = rng.choice(endpoints)[1]
                kind = rng.choices(names, weights)[0]
                state = rng.choices(state_names, state_weights)[0]
                first = now - timedelta(seconds=span * (1 - n / alerts) + rng.uniform(0, 60))
                last = first + timedelta(seconds=rng.uniform(0, 3600))
                rows.append(_alert(rng, n, sensor, ip, peer, device_class, kind, TYPES[kind][1], state, first, last))
            with store.session() as session:
                session.execute(insert(Alert), rows)
        with store.session(readonly=True) as session:
            page = queries.list_alerts(session, limit=1, offset=90_000)
            deep_cursor = page.items[0].id + 1 if page.items else 1
    return {"alerts": alerts, "endpoints": len(endpoints), "sensors": len(SENSORS), "token": token,
            "deep_cursor": deep_cursor, "fill_s": round(time.perf_counter() - started, 2)}


def _alert(rng, n, sensor, ip, peer, device_class, kind, severity, state, first, last) -> dict:
    port, peer_port = rng.randrange(16384, 32768, 2), rng.randrange(16384, 32768, 2)
    stream = f"udp:{ip}:{port}-{peer}:{peer_port}/rtp"
    call_id = secrets.token_hex(8) if kind != "weak_tls" else None
    codec = rng.choice(("PCMU", "PCMA", "G722", "opus"))
    summary, evidence = {
        "cleartext_media": (f"{ip} sends cleartext {codec} RTP to {peer}:{peer_port}",
                            [f"sdp: RTP/AVP (answer from {peer})",
                             f"rtp: {rng.randrange(50, 5000)} packets in sequence"]),
        "cleartext_signaling": (f"{ip} talks SIP to {peer}:5060 without TLS (UDP)", ["sip: over udp port 5060"]),
        "srtp_downgrade": (f"SRTP was offered by {ip} but {peer} sends cleartext media",
                           [f"sdp: INVITE from {ip} offered RTP/AVP + a=crypto", f"sdp: RTP/AVP (answer from {peer})"]),
        "sdes_keys_exposed": (f"SRTP master keys of {ip} travelled in cleartext SIP/UDP: proven, 48/50 of its SRTP "
                              "packets decrypt", ["sdp: a=crypto (AES_CM_128_HMAC_SHA1_80) in INVITE over udp",
                                                  "exposure: 48/50 packets decrypt with the keys from the INVITE"]),
        "weak_tls": (f"{ip} signals over TLS 1.0 to {peer}:5061",
                     ["tls: version TLS 1.0, cipher TLS_RSA_WITH_RC4_128_SHA"]),
        "tls_reconnect_storm": (f"{ip} opened {rng.randrange(20, 200)} TLS sessions to {peer}:5061 in a minute",
                                ["tls: handshakes without application data"]),
    }[kind]
    who = rng.choice(("noc-alice", "noc-bob", "noc-carol"))
    return {"sensor_id": sensor, "type": kind, "severity": severity, "endpoint": ip, "peer": peer,
            "stream": stream if kind in ("cleartext_media", "srtp_downgrade", "sdes_keys_exposed") else None,
            "call_id": call_id, "summary": summary, "evidence": evidence, "device_class": device_class,
            "dedup_key": f"{n:016x}{secrets.token_hex(24)}", "state": state, "first_seen": first, "last_seen": last,
            "count": rng.choice((1, 1, 1, 2, 3, 7)),
            "acknowledged_by": who if state != "open" else None, "acknowledged_at": last if state != "open" else None,
            "resolved_by": who if state == "resolved" else None, "resolved_at": last if state == "resolved" else None,
            "comment": "ticket NOC-" + str(rng.randrange(1000, 9999)) if state != "open" else None}


@contextmanager
def pg_database():
    """A fresh database on the local server (its URL), dropped afterwards; None when unreachable."""
    import psycopg
    for user in PG["users"]:
        try:
            admin = psycopg.connect(host=PG["host"], port=PG["port"], dbname=PG["dbname"], user=user,
                                    connect_timeout=3, autocommit=True)
            break
        except psycopg.OperationalError:
            continue
    else:
        yield None
        return
    name = f"bench_api_{secrets.token_hex(4)}"
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://{user}@{PG['host']}:{PG['port']}/{name}"
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


# -- the server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(data_dir: Path, database_url: str | None, log_dir: Path):
    """`appliance serve` on 127.0.0.1:<free port> (its base URL); ended by its PID."""
    port = free_port()
    config = data_dir / "empty.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env.update(APPLIANCE_DATA_DIR=str(data_dir), APPLIANCE_CONFIG=str(config), APPLIANCE_SENSOR_ID="bench",
               APPLIANCE_API_TOKEN_RATE="0")
    if database_url:
        env["APPLIANCE_DATABASE_URL"] = database_url
    out = open(log_dir / "api_load.server.log", "w")
    process = subprocess.Popen([appliance_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"appliance serve exited with {process.returncode}; see {out.name}")
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("appliance serve did not answer /health within 60 s")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        out.close()


# -- the load --------------------------------------------------------------------------------------
async def drive(url: str, token: str, path: str, params: dict, clients: int, seconds: float) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0) as http:
        for _ in range(clients):                                    # warm-up: open the connections
            (await http.get(path, params=params)).raise_for_status()
        stop = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                began = time.perf_counter()
                try:
                    response = await http.get(path, params=params)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    pick = lambda q: round(latencies[min(n - 1, int(q * n))] * 1000, 1) if n else None       # noqa: E731
    return {"requests": n + errors, "ok": n, "errors": errors, "seconds": round(elapsed, 2),
            "per_s": round((n + errors) / elapsed, 1), "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


def table(rows: list[dict]) -> list[str]:
    head = ("store", "query", "requests", "requests/s", "p50 ms", "p99 ms", "errors")
    body = [(r["store"], r["query"], f"{r['requests']:,}", f"{r['per_s']:,.1f}", f"{r['p50_ms']}", f"{r['p99_ms']}",
             str(r["errors"])) for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)        # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths)))
    return [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body]


def run_store(name: str, data_dir: Path, database_url: str | None, args) -> list[dict]:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = StoreSettings(database_url, data_dir)
    info = fill(settings, args.alerts)
    print(f"{name}: {info['alerts']:,} alerts, {info['endpoints']} endpoints, {info['sensors']} sensors "
          f"filled in {info['fill_s']} s", flush=True)
    rows = []
    with server(data_dir, database_url, OUT_DIR) as (url, pid):
        print(f"{name}: appliance serve (pid {pid}) on {url}; {args.clients} clients x {args.seconds:g} s per query",
              flush=True)
        for label, path, params in queries_for(info["deep_cursor"]):
            result = asyncio.run(drive(url, info["token"], path, params, args.clients, args.seconds))
            rows.append({"store": name, "query": label, "path": path, "params": params, **result})
            print(f"  {label}: {result['per_s']} requests/s, p99 {result['p99_ms']} ms", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="also a fresh PostgreSQL database on 127.0.0.1:5432")
    parser.add_argument("--alerts", type=int, default=int(os.environ.get("BENCH_API_ALERTS", 100_000)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_API_CLIENTS", 8)))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_API_SECONDS", 10)))
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        rows += run_store("sqlite", tmp / "sqlite", None, args)
        if args.postgres:
            with pg_database() as url:
                if url is None:
                    print("postgresql: skipped (no server on 127.0.0.1:5432)")
                else:
                    rows += run_store("postgresql", tmp / "pg", url, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    for line in table(rows):
        print(line)
    print(f"{args.clients} concurrent clients, {args.seconds:g} s per query; latency from send to the last body byte")
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
               "load_average": os.getloadavg()}
    (OUT_DIR / "api_load.json").write_text(json.dumps({"rows": rows, "machine": machine, "alerts": args.alerts,
                                                       "clients": args.clients, "seconds": args.seconds}, indent=1))
    print(f"wrote {OUT_DIR / 'api_load.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
