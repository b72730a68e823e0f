"""`appliance analyze` run as the installed console script: what an operator sees on a bad input."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

APPLIANCE = Path(sys.executable).parent / "appliance"

RTP = bytes.fromhex("80000001000000a011223344") + b"\xd5" * 160
FRAMES = [bytes(Ether(src="02:00:5e:10:00:01", dst="02:00:5e:10:00:02")
                / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=40000, dport=40002) / Raw(RTP))
          for _ in range(5)]


def _pcap(frames) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for i, frame in enumerate(frames):
        out += struct.pack("<IIII", 1_700_000_000, i * 20_000, len(frame), len(frame)) + frame
    return out


def _run(*args: str) -> subprocess.CompletedProcess:
    assert APPLIANCE.exists(), APPLIANCE
    return subprocess.run([str(APPLIANCE), "analyze", *args], capture_output=True, text=True, timeout=60)


def _assert_one_error_line(result: subprocess.CompletedProcess, path: str) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("appliance: error:")
    assert path in lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.pcap")
    assert "No such file" in _assert_one_error_line(_run(path), path)


def test_text_file_is_not_a_capture(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("INVITE sip:bob@example.com SIP/2.0\r\n" * 20)
    assert "capture" in _assert_one_error_line(_run(str(path)), str(path))


@pytest.mark.parametrize("content", [b"", b"\xd4\xc3\xb2\xa1\x02\x00"], ids=["empty", "header-only"])
def test_empty_or_headless_file(tmp_path, content):
    path = tmp_path / "empty.pcap"
    path.write_bytes(content)
    _assert_one_error_line(_run(str(path)), str(path))


def test_directory(tmp_path):
    _assert_one_error_line(_run(str(tmp_path)), str(tmp_path))


def test_one_bad_capture_among_good_ones_fails_up_front(tmp_path):
    good = tmp_path / "good.pcap"
    good.write_bytes(_pcap(FRAMES))
    missing = str(tmp_path / "missing.pcap")
    _assert_one_error_line(_run(str(good), missing), missing)


def test_truncated_capture_is_analysed_with_a_warning(tmp_path):
    path = tmp_path / "cut.pcap"
    content = _pcap(FRAMES)
    path.write_bytes(content[:len(content) - len(FRAMES[-1]) // 2])  # the last record cut in half
    result = _run(str(path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    capture = report["captures"][0]
    assert capture["path"] == str(path)
    assert capture["packets"] == len(FRAMES) - 1
    assert len(capture["warnings"]) == 1
    assert "truncated" in capture["warnings"][0]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("appliance: warning:")]
    assert len(warnings) == 1
    assert "truncated" in warnings[0] and str(path) in warnings[0]
    assert "Traceback" not in result.stderr


def test_complete_capture_has_no_warning(tmp_path):
    path = tmp_path / "whole.pcap"
    path.write_bytes(_pcap(FRAMES))
    result = _run(str(path))
    assert result.returncode == 0, result.stderr
    capture = json.loads(result.stdout)["captures"][0]
    assert capture["packets"] == len(FRAMES)
    assert capture["warnings"] == []
    assert "warning" not in result.stderr
