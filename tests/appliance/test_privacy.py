"""Secrets and privacy: SDES master keys seen in cleartext SIP never reach a report, the store or a log
line; SIP URIs (and numbers) are pseudonymised when configured — in the report, the store and the API."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess

import pytest

from appliance.privacy import Privacy
from tests.api.conftest import LAB
from tests.conftest import APPLIANCE

SDES_CALL = LAB / "udp-srtp-fallback.pcap"       # a=crypto keys in cleartext SIP/UDP, proven by decryption
SIPP_CALL = LAB / "sipp-pcap.pcap"               # From sip:sipp@10.250.7.11, To sip:service@10.250.7.12
KEY = "zOi0bDJk1WGtP6ea7Vc3OhTBs9xG5h7mHctpsyM0o9E="


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **env})
    assert proc.returncode == 0, proc.stderr
    return proc


def test_sdes_keys_reach_no_report_store_or_log(tmp_path):
    keys = set(re.findall(rb"inline:([A-Za-z0-9+/]{30,}={0,2})", SDES_CALL.read_bytes()))
    assert keys, "the capture should carry SDES keys in its SDP"
    env = {"APPLIANCE_DATA_DIR": str(tmp_path)}
    analyzed = run("analyze", str(SDES_CALL), "--no-progress", env=env)
    report = json.loads(analyzed.stdout)
    assert any(a["type"] == "sdes_keys_exposed" for a in report["alerts"])       # exposure is reported ...
    imported = run("import", str(SDES_CALL), env=env)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("appliance.db*"))
    for key in keys:                                                             # ... the keys themselves never
        for text in (analyzed.stdout, analyzed.stderr, imported.stdout, imported.stderr):
            assert key.decode() not in text
        assert key not in stored


@pytest.mark.parametrize("given, masked", [
    ("sip:+4930123456@pbx.example.net", "sip:u-{h}@pbx.example.net"),
    ("sips:alice@example.org;transport=tls", "sips:u-{h}@example.org;transport=tls"),
    ("tel:+4930123456", "tel:u-{h}"),
    ("sip:pbx.example.net", "sip:pbx.example.net"),                 # no user part: nothing to hide
])
def test_uris_are_pseudonymised_with_a_key_and_starred_without(given, masked):
    keyed = Privacy(True, KEY.encode())
    result = keyed.uri(given)
    assert re.fullmatch(re.escape(masked).replace(re.escape("{h}"), "[0-9a-f]{8}"), result), result
    assert keyed.uri(given) == result                                # stable: calls can still be followed
    assert Privacy(True, b"another key").uri(given) != result or "{h}" not in masked
    assert "{h}" not in masked or Privacy(True).uri(given) == masked.replace("u-{h}", "***")
    assert Privacy(False, KEY.encode()).uri(given) == given


def test_masking_covers_the_report_and_the_store(tmp_path):
    env = {"APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_MASK_SIP_URIS": "1", "APPLIANCE_SECRET_KEY": KEY}
    report = json.loads(run("analyze", str(SIPP_CALL), "--no-progress", env=env).stdout)
    [call] = report["calls"]
    assert re.fullmatch(r"sip:u-[0-9a-f]{8}@10\.250\.7\.11:5060", call["from"])
    assert re.fullmatch(r"sip:u-[0-9a-f]{8}@10\.250\.7\.12:5060", call["to"])
    run("import", str(SIPP_CALL), env=env)
    with sqlite3.connect(tmp_path / "appliance.db") as db:
        rows = db.execute("SELECT from_uri, to_uri FROM calls").fetchall()
    assert rows == [(call["from"], call["to"])]
    unmasked = json.loads(run("analyze", str(SIPP_CALL), "--no-progress",
                              env={"APPLIANCE_DATA_DIR": str(tmp_path)}).stdout)
    assert unmasked["calls"][0]["from"] == "sip:sipp@10.250.7.11:5060"          # off by default
