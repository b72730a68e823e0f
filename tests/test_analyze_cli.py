"""`appliance analyze` as users run it: JSON on stdout per the contract, a readable table."""
from __future__ import annotations

import subprocess

from tests.conftest import APPLIANCE, DATA, analyze_cli

LAB = DATA / "lab"


def test_json_report_of_several_captures():
    report = analyze_cli(LAB / "udp-pcmu.pcap", LAB / "udp-srtp.pcap")
    assert report["schema"] == "voip-report/1"
    assert [c["path"] for c in report["captures"]] == [str(LAB / "udp-pcmu.pcap"), str(LAB / "udp-srtp.pcap")]
    assert all(c["packets"] > 0 and c["bytes"] > 0 and c["warnings"] == [] for c in report["captures"])
    assert len(report["calls"]) == 2
    assert {c["media_encrypted"] for c in report["calls"]} == {True, False}


def test_table_names_the_cleartext_sender_and_why():
    proc = subprocess.run([str(APPLIANCE), "analyze", str(LAB / "udp-srtp-fallback.pcap"), "--format", "table"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for needle in ("Media streams", "CLEARTEXT", "cleartext_media", "srtp_downgrade", "sdes_keys_exposed",
                   "10.250.7.11", "Calls", "RTP/AVP"):
        assert needle in out, needle
    assert proc.stderr == ""


def test_json_stdout_is_clean_when_stderr_is_a_pipe():
    proc = subprocess.run([str(APPLIANCE), "analyze", str(LAB / "tcp-pcmu.pcap")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.lstrip().startswith("{") and proc.stderr == ""
