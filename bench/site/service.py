"""The product as deployed: a fresh store, an admin token, a webhook to the bench's receiver, and
`appliance run` (API, dispatcher, and a collector with its workers on the monitor port) inside the
monitor namespace. Its processes are found by PID for CPU and memory readings and ended by PID."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.dispatch.procs import tree

from .netns import enter

API_PORT, HOOK_PORT = 8080, 9099
CLK_TCK = os.sysconf("SC_CLK_TCK")


def appliance_bin() -> str:
    return str(Path(sys.executable).parent / "appliance")


@dataclass
class Service:
    process: subprocess.Popen
    data_dir: Path
    token: str
    log: Path
    base: str = f"http://127.0.0.1:{API_PORT}"

    def tree(self) -> list[int]:
        """PIDs of `appliance run` and every descendant."""
        return tree(self.process.pid)

    def collectors(self) -> list[int]:
        out = []
        for pid in self.tree():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"collect" in cmd:
                out.append(pid)
        return out

    def cpu_seconds(self, pids: list[int]) -> float:
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLK_TCK

    def rss_mib(self, pids: list[int]) -> float:
        """Sum of proportional set sizes (forked workers share pages; PSS does not count them twice)."""
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def store_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data_dir.glob("*.sqlite*")) + \
            sum(p.stat().st_size for p in self.data_dir.glob("*.db*"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def environment(data_dir: Path, interface: str) -> dict[str, str]:
    config = data_dir / "appliance.toml"
    config.write_text(f'[[notifiers]]\nname = "site-bench"\nurl = "http://127.0.0.1:{HOOK_PORT}/hook"\n'
                      'format = "generic"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env.update(APPLIANCE_DATA_DIR=str(data_dir), APPLIANCE_CONFIG=str(config), APPLIANCE_INTERFACES=interface,
               APPLIANCE_SENSOR_ID="site", APPLIANCE_HOST="127.0.0.1", APPLIANCE_PORT=str(API_PORT),
               APPLIANCE_NOTIFY_ALLOW="127.0.0.0/8", APPLIANCE_API_TOKEN_RATE="0")
    return env


def start(ns: str, interface: str, data_dir: Path) -> Service:
    env = environment(data_dir, interface)
    made = subprocess.run([appliance_bin(), "token", "create", "site-bench", "--role", "admin"], env=env,
                          capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        raise RuntimeError(f"appliance token create failed: {made.stderr.strip()}")
    token = made.stdout.strip().splitlines()[-1]
    log = data_dir / "appliance-run.log"
    process = subprocess.Popen(["ip", "netns", "exec", ns, appliance_bin(), "run"], env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    service = Service(process, data_dir, token, log)
    _wait_ready(service, ns)
    return service


def _wait_ready(service: Service, ns: str, timeout: float = 120) -> None:
    """The API answers and the collector says it is capturing."""
    result: dict[str, bool] = {}

    def check() -> None:
        enter(ns)
        try:
            result["ok"] = httpx.get(service.base + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            result["ok"] = False

    import threading
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"appliance run exited: {service.log.read_text()[-2000:]}")
        thread = threading.Thread(target=check)
        thread.start()
        thread.join()
        if result.get("ok") and "capturing" in service.log.read_text():
            return
        time.sleep(0.3)
    raise RuntimeError(f"appliance run not ready in {timeout} s: {service.log.read_text()[-2000:]}")
