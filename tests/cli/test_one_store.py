"""One store for one user: what `make run` sets up in a checkout is the store a plain `appliance ...` typed
in a second terminal (anywhere in that checkout) uses, and `appliance status` says which store it is."""
from __future__ import annotations

import json
import os
import re
import subprocess

from tests.conftest import APPLIANCE, DATA, ROOT


def appliance(*args: str, cwd, env) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(APPLIANCE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_make_run_store_is_the_store_of_a_second_terminal(tmp_path):
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert 'APPLIANCE_DATA_DIR="$${APPLIANCE_DATA_DIR:-$(CURDIR)/.appliance}"' in recipe
    checkout = tmp_path / "checkout"
    (checkout / "docs").mkdir(parents=True)
    home = tmp_path / "home"
    plain = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")} | {"HOME": str(home)}
    # Terminal 1, as `make run` does it (set up only: --no-serve), in the checkout.
    first = appliance("first-run", "--no-serve", "--captures", str(DATA / "lab" / "udp-srtp-fallback.pcap"),
                      cwd=checkout, env=plain | {"APPLIANCE_DATA_DIR": str(checkout / ".appliance")})
    assert f"store:      sqlite:///{checkout}/.appliance/appliance.db" in first.stdout
    # Terminal 2: no variable, somewhere in the checkout.
    status = json.loads(appliance("status", "--format", "json", cwd=checkout / "docs", env=plain).stdout)
    assert status["data_dir"] == str(checkout / ".appliance")
    assert status["data_dir_origin"].startswith("project-local .appliance/")
    assert status["revision"] == status["newest_revision"] is not None
    created = appliance("token", "create", "by-hand", "--role", "viewer", cwd=checkout / "docs", env=plain)
    assert re.fullmatch(r"\S{20,}\n", created.stdout)
    tokens = json.loads(appliance("token", "list", "--format", "json", cwd=tmp_path, env=plain | {
        "APPLIANCE_DATA_DIR": str(checkout / ".appliance")}).stdout)
    assert {t["name"] for t in tokens} == {"first-run", "by-hand"}
    assert not (home / ".local").exists(), "nothing went to the per-user default store"


def test_outside_a_checkout_status_names_the_per_user_default_and_creates_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")} | {"HOME": str(tmp_path)}
    text = appliance("status", cwd=tmp_path, env=env).stdout
    assert f"store:       sqlite:///{tmp_path}/.local/share/voip-appliance/appliance.db  (the per-user default)" in text
    assert "revision:    not migrated" in text and "interfaces:  none" in text
    assert not (tmp_path / ".local").exists()
