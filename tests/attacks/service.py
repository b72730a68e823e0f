"""`appliance serve` as a subprocess, the way it runs on the appliance: a fresh data directory, a
store secret key, a token per role made with the CLI, and `http` (an httpx client on its base URL)
for the attacks. `cli()` runs other `appliance` commands against the same store."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import APPLIANCE
from tests.test_service import free_port
from tests.conftest import wait_healthy

ROLES = ("viewer", "operator", "admin")


@dataclass
class Service:
    env: dict[str, str]
    base: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    http: httpx.Client | None = None

    def cli(self, *args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(APPLIANCE), *args], input=stdin, capture_output=True, env=self.env, timeout=120)
        if check:
            assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        return proc

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("APPLIANCE_") or name == "APPLIANCE_SWITCH_CREDENTIALS_DIR"}
    env.update(APPLIANCE_DATA_DIR=str(data_dir), APPLIANCE_SENSOR_ID="lab", **extra)
    key = subprocess.run([str(APPLIANCE), "secret-key"], capture_output=True, text=True, env=env, check=True)
    env["APPLIANCE_SECRET_KEY"] = key.stdout.strip()
    return env


@contextmanager
def running(data_dir: Path, **extra: str):
    """Yields a `Service` whose `appliance serve` answers on 127.0.0.1; stops it afterwards."""
    service = Service(environment(data_dir, **extra))
    for role in ROLES:
        created = service.cli("token", "create", f"{role}-user", "--role", role)
        service.tokens[role] = created.stdout.decode().strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=service.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    service.base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(service.base, process)
        with httpx.Client(base_url=service.base, timeout=60) as http:
            service.http = http
            yield service
    finally:
        process.terminate()
        process.wait(timeout=30)


