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


def test_progress_reaches_the_end_of_a_large_capture():
    """The progress seam gets the file position as reading advances, ending at the file size."""
    from contextlib import contextmanager

    from appliance.analyze import analyze_files
    seen = []

    @contextmanager
    def recorder(source):
        yield seen.append
        seen.append(source.position)

    path = LAB / "udp-pcmu.pcap"
    analyze_files([str(path)], progress=recorder, progress_min_bytes=0)
    assert seen == sorted(seen) and seen[-1] == path.stat().st_size and len(seen) >= 2


def test_progress_bar_draws_on_a_terminal(tmp_path):
    """On a terminal, a large capture gets a progress bar on stderr; stdout stays pure JSON."""
    import os
    import pty

    big = tmp_path / "big.pcap"
    frames = (LAB / "udp-pcmu.pcap").read_bytes()
    header, body = frames[:24], frames[24:]
    big.write_bytes(header + body * 120)           # ~9 MB: above the progress threshold
    out_fd = os.open(tmp_path / "out.json", os.O_WRONLY | os.O_CREAT)
    pid, master = pty.fork()
    if pid == 0:
        os.dup2(out_fd, 1)
        os.execv(str(APPLIANCE), [str(APPLIANCE), "analyze", str(big)])
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(out_fd)
    assert os.waitstatus_to_exitcode(status) == 0
    import json
    assert json.loads((tmp_path / "out.json").read_text())["captures"][0]["packets"] > 10000
    drawn = b"".join(chunks).decode("utf-8", "replace")
    assert "big.pcap" in drawn and "━" in drawn and "MB" in drawn, drawn[-300:]   # name, bar, bytes read
