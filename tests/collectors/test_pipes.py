"""Finding 6: captures that cannot seek — `cat x | appliance analyze -`, `/dev/stdin`, a FIFO,
`zcat`-style gzip, `appliance import FIFO` — are read as they come, through real pipes and FIFOs
made by the test, and give the same report as the file itself (pcap, pcapng, gzip of either)."""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import threading

import pytest

from collectors.sources.pipe import HEAD, Pipe
from tests.conftest import APPLIANCE, DATA, validate_report
from tests.synth.capture import CallSpec, build_call


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("pipes")
    call = build_call(CallSpec(seed=6, duration=2.0))
    pcap = (DATA / "lab" / "udp-srtp-fallback.pcap").read_bytes()
    pcapng = call.write(folder / "call.pcapng", fmt="pcapng").read_bytes()
    return {"pcap": pcap, "pcapng": pcapng, "pcap.gz": gzip.compress(pcap), "pcapng.gz": gzip.compress(pcapng)}


def analyze(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(APPLIANCE), "analyze", *args, "--format", "json", "--no-progress"], input=stdin,
                          capture_output=True, timeout=300)


def report(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr.decode()
    document = validate_report(json.loads(proc.stdout))
    for capture in document["captures"]:
        capture.pop("path")
    return document


@pytest.fixture
def from_file(captures, tmp_path):
    def run(kind: str) -> dict:
        path = tmp_path / f"capture.{kind}"
        path.write_bytes(captures[kind])
        return report(analyze(str(path)))
    return run


def feed_fifo(path, data: bytes) -> threading.Thread:
    """A writer on the FIFO, as `tcpdump -w fifo` would be (opening blocks until a reader comes)."""
    def write():
        with open(path, "wb") as fifo:
            fifo.write(data)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


@pytest.mark.parametrize("kind", ["pcap", "pcapng", "pcap.gz", "pcapng.gz"])
def test_dash_dev_stdin_and_a_fifo_give_the_files_report(captures, from_file, tmp_path, kind):
    expected = from_file(kind)
    assert expected["streams"], "the capture must hold something to compare"
    assert report(analyze("-", stdin=captures[kind])) == expected
    assert report(analyze("/dev/stdin", stdin=captures[kind])) == expected
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, captures[kind])
    assert report(analyze(str(fifo))) == expected
    writer.join(10)


def test_a_real_shell_pipeline(captures, from_file, tmp_path):
    path = tmp_path / "capture.pcap.gz"
    path.write_bytes(captures["pcap.gz"])
    proc = subprocess.run(f"zcat {path} | {APPLIANCE} analyze - --format json --no-progress", shell=True,
                          capture_output=True, timeout=300)
    assert report(proc) == from_file("pcap")


def test_a_stream_cut_short_is_read_up_to_the_cut(captures):
    cut = captures["pcap"][:len(captures["pcap"]) - 50]
    proc = analyze("-", stdin=cut)
    assert proc.returncode == 0 and report(proc)["streams"]
    assert b"-: capture is truncated at byte" in proc.stderr and b"Traceback" not in proc.stderr


def test_not_a_capture_on_stdin_is_one_line(captures):
    for junk in (b"GET / HTTP/1.1\r\n\r\n", gzip.compress(b"plain text, not a capture"), b""):
        proc = analyze("-", stdin=junk)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.decode().strip().splitlines() == ["appliance: error: -: not a pcap or pcapng capture"]


def test_import_reads_a_fifo(captures, tmp_path):
    env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data")}
    env.pop("APPLIANCE_DATABASE_URL", None)

    def run(path) -> str:
        proc = subprocess.run([str(APPLIANCE), "import", str(path), "--sensor", "pipe"], capture_output=True,
                              text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()
    file = tmp_path / "capture.pcap"
    file.write_bytes(captures["pcap"])
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, captures["pcap"])
    assert run(fifo) == run(file) and "alerts" in run(file)
    writer.join(10)


def test_the_pipe_rewinds_only_into_its_head():
    data = bytes(range(256)) * 4
    pipe = Pipe(io.BufferedReader(io.BytesIO(data)), "test")   # stands for a pipe: only read() is used
    assert pipe.read(2) == data[:2] and pipe.seek(0) == 0 and pipe.tell() == 0
    assert pipe.read(1) == data[:1] and pipe.read(5) == data[1:6] and pipe.tell() == 6
    assert pipe.read(HEAD) == data[6:6 + HEAD]
    with pytest.raises(OSError):
        pipe.seek(0)                                          # past the kept head: a real pipe cannot
    assert pipe.read() == data[6 + HEAD:] and pipe.tell() == len(data)
