"""The appliance as a tool, not a checkout: the wheel is built from the project's files, installed into a
fresh virtual environment and run from an unrelated directory — `--version`, `db upgrade` (the migrations
ship in the package), `analyze`, and `serve` with its dashboard assets.

The fresh venv gets the wheel alone (`--no-deps`); its dependencies come from the test venv's
site-packages through a `.pth` line, so the test needs no index and reinstalls nothing. That path holds
the project's own editable install too, but only as a `.pth` hook, which is not processed for a
directory a `.pth` line adds: the code that runs is the wheel's (asserted)."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from appliance import __version__
from tests.collectors.batch.test_kernel import COMPILER
from tests.conftest import DATA, ROOT
from tests.test_service import free_port
from tests.conftest import wait_healthy

SOURCES = ("pyproject.toml", "README.md", "appliance", "api", "collectors")


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    """argv, which must succeed; without PYTHONPATH (a built checkout on it looks like an installed copy)."""
    kwargs.setdefault("env", {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a venv holding only the wheel (dependencies borrowed from this venv)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "src"                   # a copy of the tracked sources: the build writes build/ in its tree
    tree.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))
        else:
            shutil.copy(source, tree / name)
    try:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", work / "dist", tree])
    except AssertionError as error:
        if "setuptools" in str(error) and ("Could not find" in str(error) or "connection" in str(error).lower()):
            pytest.skip(f"cannot fetch the build backend (no package index): {error}")
        raise
    [wheel] = (work / "dist").glob("voip_encryption_monitor-*.whl")
    assert wheel.name.startswith(f"voip_encryption_monitor-{__version__}-")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--quiet",
         wheel])                          # before the .pth: pip must not see this venv's copy as installed
    [target] = (venv / "lib").glob("python3*/site-packages")
    assert (target / "appliance" / "migrations" / "env.py").is_file()
    (target / "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv / "bin"


@pytest.fixture()
def elsewhere(tmp_path) -> tuple[Path, dict]:
    """A working directory far from the checkout and an environment without PYTHONPATH or our settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLIANCE_", "PYTHON"))}
    env["APPLIANCE_DATA_DIR"] = str(tmp_path / "data")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd, env


def test_the_installed_code_is_the_wheel(installed, elsewhere):
    cwd, env = elsewhere
    where = run([installed / "python", "-c", "import appliance, api, collectors; "
                 "print(appliance.__file__, api.__file__, collectors.__file__)"], cwd=cwd, env=env).stdout.split()
    assert all(path.startswith(str(installed.parent)) for path in where), where
    assert run([installed / "appliance", "--version"], cwd=cwd, env=env).stdout == f"appliance {__version__}\n"


@pytest.mark.skipif(COMPILER is None, reason="no C compiler on this machine: the wheel holds no compiled walk")
def test_the_wheel_compiles_its_record_walk(installed, elsewhere):
    """Built from the C source in the wheel's own build (the checkout's in-place build is not copied)."""
    cwd, env = elsewhere
    built = run([installed / "python", "-c", "from collectors.batch import _kernel; print(_kernel.__file__)"],
                cwd=cwd, env=env).stdout.strip()
    assert built.startswith(str(installed.parent)) and built.endswith(".so"), built


def test_wheel_upgrades_a_store_and_analyzes(installed, elsewhere):
    cwd, env = elsewhere
    upgraded = run([installed / "appliance", "db", "upgrade"], cwd=cwd, env=env)
    assert upgraded.stdout.startswith("store at revision ") and "None" not in upgraded.stdout
    current = run([installed / "appliance", "db", "current"], cwd=cwd, env=env).stdout.split()
    assert current[1].rstrip(",") == current[3], current          # current X, newest X
    report = json.loads(run([installed / "appliance", "analyze", "--no-progress",
                             DATA / "lab" / "udp-srtp-fallback.pcap"], cwd=cwd, env=env).stdout)
    assert {a["type"] for a in report["alerts"]} >= {"srtp_downgrade"}
    assert (Path(env["APPLIANCE_DATA_DIR"]) / "appliance.db").is_file()


def test_wheel_serves_the_api_and_the_dashboard(installed, elsewhere):
    cwd, env = elsewhere
    port = free_port()
    service = subprocess.Popen([installed / "appliance", "serve", "--port", str(port)], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, service)
        page = httpx.get(f"{base}/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert httpx.get(f"{base}/api/v1/alerts", timeout=5).status_code == 401
    finally:
        service.terminate()
        service.wait(timeout=30)
