"""The store's command line, run as operators do: db upgrade, import, token, webhook, purge."""
from __future__ import annotations

import os
import subprocess

from appliance.store import StoreSettings, open_store
from appliance.store.queries import list_alerts, verify_token
from tests.conftest import APPLIANCE, DATA


def run(tmp_path, *args, env_extra=None):
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data"), **(env_extra or {})}
    env.pop("APPLIANCE_DATABASE_URL", None)
    return subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120)


def test_import_then_tokens_then_webhooks(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    imported = run(tmp_path, "import", str(DATA / "lab" / "udp-srtp-fallback.pcap"), "--sensor", "lab")
    assert imported.returncode == 0 and "5 alerts" in imported.stdout, imported.stderr   # one srtp_downgrade: B, who answered plain
    created = run(tmp_path, "token", "create", "noc", "--role", "operator")
    assert created.returncode == 0
    token = created.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    database = tmp_path / "data" / "appliance.db"
    assert token.encode() not in database.read_bytes()
    store = open_store(StoreSettings(None, tmp_path / "data"))
    with store.session() as session:
        assert verify_token(session, token).role == "operator"
        page = list_alerts(session, sensor="lab")
        assert {a.type for a in page.items} >= {"cleartext_media", "srtp_downgrade", "sdes_keys_exposed"}
    store.close()
    secret_file = tmp_path / "hook.secret"
    secret_file.write_text("s3cret\n")
    refused = run(tmp_path, "webhook", "add", "http://10.0.0.9:9/x", "--secret-file", str(secret_file))
    assert refused.returncode == 2 and "APPLIANCE_SECRET_KEY" in refused.stderr
    key = run(tmp_path, "secret-key").stdout.strip()
    added = run(tmp_path, "webhook", "add", "http://10.0.0.9:9/x", "--secret-file", str(secret_file),
                env_extra={"APPLIANCE_SECRET_KEY": key})
    assert added.returncode == 0 and b"s3cret" not in database.read_bytes()
    assert "generic" in run(tmp_path, "webhook", "list").stdout
    assert run(tmp_path, "db", "purge", "--older-than", "1").returncode == 0


def test_bad_role_is_one_line(tmp_path):
    proc = run(tmp_path, "token", "create", "x", "--role", "root")
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "appliance: error: --role must be one of viewer, operator, admin"]
