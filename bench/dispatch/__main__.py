"""Webhook dispatch micro-benchmark: how fast and how soon `appliance serve` delivers an alert storm.

`python -m bench.dispatch [--deliveries 1500] [--group 50] [--every 0.05] [--keepalive] [--poller] [--secret]`

A fresh SQLite store, a generic webhook to a loopback receiver in its own process
(bench.dispatch.receiver), and the real `appliance serve` (API, dispatcher, retention). Once it is up,
this process writes the storm into the same store as the collector does: `--group` new incidents and
their deliveries per transaction, one transaction every `--every` s (the collector's group commits),
or all at once with `--every 0`. `--poller` reads the alert list through the API every 0.1 s, 500 rows
a page (what bench/site's watcher does), to load the serving process. Prints one line: how long the
writing took, deliveries/s (from the first row written to the last delivery received: the dispatcher's
rate with `--every 0`, the writer's pace otherwise), CPU of the service per delivery (every
process of `appliance serve`, read from /proc; with --poller that includes the API's pages), and the
latency p50/p99/max from a delivery row's creation to its receipt."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .load import ApiPoller, write_storm
from .procs import appliance_bin, cpu_by_process, free_port, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as data:
        env = _environment(Path(data), args.secret)
        receiver = subprocess.Popen([sys.executable, "-m", "bench.dispatch.receiver"]
                                    + (["--keepalive"] if args.keepalive else []),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hook_port = int(receiver.stdout.readline())
        token = _cli(env, "token", "create", "bench", "--role", "viewer").strip().splitlines()[-1]
        _cli(env, "webhook", "add", f"http://127.0.0.1:{hook_port}/alerts", "--format", "generic",
             *(["--secret-env", "BENCH_HOOK_SECRET"] if args.secret else []))
        port = free_port()
        service = subprocess.Popen([appliance_bin(), "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poller = None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: _up(base, token), 60, "appliance serve did not come up")
            time.sleep(1.0)                                 # the dispatcher's first (empty) rounds
            if args.poller:
                poller = ApiPoller(base, token)
                poller.start()
            result = _storm(args, Path(data), service.pid)
        finally:
            if poller:
                poller.stop.set()
            service.terminate()
            service.wait(timeout=30)
            arrived_raw, _ = receiver.communicate(timeout=30)
        arrived = {int(k): v for k, v in json.loads(arrived_raw).items()}
        _print(args, result, arrived, poller)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1500)
    parser.add_argument("--group", type=int, default=50, help="incidents per write transaction")
    parser.add_argument("--every", type=float, default=0.05, help="s between write transactions (0: one)")
    parser.add_argument("--keepalive", action="store_true", help="the receiver keeps connections (HTTP/1.1)")
    parser.add_argument("--poller", action="store_true", help="read 500-row alert pages every 0.1 s")
    parser.add_argument("--secret", action="store_true", help="the webhook signs (a secret, Fernet-stored)")
    parser.add_argument("--timeout", type=float, default=120.0)
    return parser.parse_args()


def _environment(data: Path, secret: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env |= {"APPLIANCE_DATA_DIR": str(data), "APPLIANCE_SENSOR_ID": "bench",
            "APPLIANCE_NOTIFY_ALLOW": "127.0.0.0/8", "BENCH_HOOK_SECRET": "whsec_YmVuY2gtc2VjcmV0LWtleQ=="}
    if secret:
        env["APPLIANCE_SECRET_KEY"] = _cli(env, "secret-key").strip()
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([appliance_bin(), *args], capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode:
        raise SystemExit(f"appliance {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def _up(base: str, token: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/alerts", params={"limit": 1}, timeout=2,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    except httpx.HTTPError:
        return False


def _storm(args: argparse.Namespace, data: Path, service_pid: int) -> dict:
    """Write the storm, wait until every delivery left the outbox; CPU of the service's processes."""
    from appliance.store import open_store
    from appliance.store.engine import StoreSettings
    store = open_store(StoreSettings(None, data))
    try:
        cpu_before = cpu_by_process(service_pid)
        started = time.time()
        created = write_storm(store, args.deliveries, args.group, args.every)
        written = time.time() - started
        wait_until(lambda: _left_outbox(store) >= args.deliveries, args.timeout, "deliveries still pending")
        cpu_after = cpu_by_process(service_pid)
    finally:
        store.close()
    cpu = {name: cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0) for name in cpu_after}
    return {"started": started, "created": created, "cpu": cpu, "written": written}


def _left_outbox(store) -> int:
    from sqlalchemy import func, select

    from appliance.store.models import Delivery
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state != "pending"))


def _print(args: argparse.Namespace, result: dict, arrived: dict[int, float], poller) -> None:
    created: dict[int, float] = result["created"]
    latencies = sorted(arrived[i] - created[i] for i in created if i in arrived)
    if not latencies:
        raise SystemExit("nothing arrived")
    span = max(arrived.values()) - result["started"]
    cpu = result["cpu"]
    per_process = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sorted(cpu.items()) if seconds > 0.005)
    print(f"dispatch: deliveries {len(latencies)}/{len(created)}, receiver "
          f"{'keep-alive' if args.keepalive else 'close'}, poller {'on' if args.poller else 'off'}"
          f"{f' ({poller.pages} pages)' if poller else ''}, written in {result['written']:.2f} s, "
          f"{len(created) / span:.0f} deliveries/s, "
          f"service CPU {sum(cpu.values()) / len(created) * 1e3:.2f} ms/delivery ({per_process}), "
          f"latency p50 {_pct(latencies, 50):.2f} s p99 {_pct(latencies, 99):.2f} s max {latencies[-1]:.2f} s")


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


if __name__ == "__main__":
    main()
