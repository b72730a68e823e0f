"""The batched fast path and the compiled walk give the per-frame path's report exactly: every capture of
the suite, generated captures (tests/synth) shaped to stress them, the fuzz seeds, and ../shared/corpus
when present.

Every run goes through `appliance analyze`'s own function; the reports (streams, calls, verdicts,
evidence, alerts, counters, warnings) are compared whole, as JSON.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from appliance.analyze import analyze_files
from collectors.pipeline import PipelineSettings
from collectors.sources import pcapfile
from tests.conftest import SHARED
from tests.synth.capture import CallSpec, build_call
from tests.synth.pcapio import LINKTYPE_LINUX_SLL, LINKTYPE_RAW, write_pcap

ROOT = Path(__file__).resolve().parents[3]
SUITE = sorted((ROOT / "tests" / "data").rglob("*.pcap")) + sorted((ROOT / "tests" / "data").rglob("*.pcapng"))
FUZZ_SEEDS = sorted((ROOT / "tests" / "data" / "fuzz" / "pcap").iterdir())
CORPUS = SHARED / "corpus"
SRTP = "AES_CM_128_HMAC_SHA1_80"


WALKS = {     # the three ways through a capture's records
    "per frame": dict(batch=False, kernel=False),
    "numpy batch": dict(batch=True, kernel=False),
    "compiled walk": dict(batch=True, kernel=True),
}


def reports(*paths, **settings) -> dict[str, str]:
    """Each walk's report of `paths`, as JSON."""
    return {walk: json.dumps(analyze_files([str(p) for p in paths],
                                           pipeline_settings=PipelineSettings(**chosen, **settings)),
                             sort_keys=True, default=str)
            for walk, chosen in WALKS.items()}


def report_list(path) -> list[str]:
    return list(reports(path).values())


def assert_same(*paths, **settings) -> dict:
    found = reports(*paths, **settings)
    per_frame = found["per frame"]
    for walk, report in found.items():
        assert report == per_frame, f"the {walk} report differs from the per-frame one"
    return json.loads(per_frame)


@pytest.mark.parametrize("path", SUITE, ids=lambda p: p.name)
def test_suite_captures(path):
    assert_same(path)


def test_fuzz_seed_captures(tmp_path):
    """Damaged, cut and odd pcap files (the fuzzer's seeds behind a pcap header): same warnings too."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for seed in FUZZ_SEEDS:
        path = tmp_path / f"{seed.name}.pcap"
        data = seed.read_bytes()
        path.write_bytes(data if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4") else header + data)
        try:
            assert_same(path)
        except Exception as exc:          # noqa: BLE001 - a file that is not a capture fails both ways
            if type(exc).__name__ != "NotACaptureError":
                raise


def calls(*specs: CallSpec) -> list:
    frames = [frame for spec in specs for frame in build_call(spec).frames]
    return sorted(frames, key=lambda f: f[0])


MIXES = {
    # many concurrent streams, cleartext and SRTP, some signaled, over several read buffers
    "busy": [CallSpec(caller_ip=f"10.1.{i}.10", callee_ip=f"10.2.{i}.20", caller_rtp_port=16384 + 2 * i,
                      callee_rtp_port=20000 + 2 * i, duration=14.0, seed=i,
                      sip_transport="udp" if i % 3 == 0 else None, srtp_suite=SRTP if i % 2 else None)
             for i in range(12)],
    # payload type changes (comfort noise, DTMF), SSRC change, loss and reordering: entries re-armed
    "shapes": [CallSpec(vad=True, dtmf="1234#", duration=6.0, seed=101),
               CallSpec(caller_ip="10.1.9.10", callee_ip="10.2.9.20", ssrc_change_at=2.0, loss=0.05, reorder=0.05,
                        jitter_ms=5.0, duration=6.0, seed=102, sip_transport=None),
               CallSpec(caller_ip="10.1.8.10", callee_ip="10.2.8.20", rtcp_mux=True, duration=6.0, seed=103,
                        srtp_suite=SRTP)],
    # shapes the batch never counts: VLAN, IPv6, ERSPAN, RTP header extensions and CSRCs
    "uncommon": [CallSpec(vlans=(100,), duration=3.0, seed=201),
                 CallSpec(ipv6=True, duration=3.0, seed=202, sip_transport=None),
                 CallSpec(caller_ip="10.1.7.10", callee_ip="10.2.7.20", erspan=2, duration=3.0, seed=203),
                 CallSpec(caller_ip="10.1.6.10", callee_ip="10.2.6.20", audio_level_ext=True, csrcs=(7, 8),
                          rtp_padding=4, duration=3.0, seed=204)],
    # the same 5-tuples again after longer than the idle timeout: flows expire between buffers
    "reused": [CallSpec(duration=4.0, seed=301, sip_transport=None),
               CallSpec(duration=4.0, seed=302, sip_transport=None, start_time=1_700_000_090.0,
                        srtp_suite=SRTP)],
}


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_generated_captures(tmp_path, mix):
    path = write_pcap(tmp_path / f"{mix}.pcap", calls(*MIXES[mix]))
    assert assert_same(path)["streams"]


def test_small_read_buffers(tmp_path, monkeypatch):
    """Many batches, records cut at every buffer boundary, sweeps and arming across batches."""
    path = write_pcap(tmp_path / "busy.pcap", calls(*MIXES["busy"][:4], *MIXES["shapes"]))
    monkeypatch.setattr(pcapfile, "BULK_READ", 1 << 15)
    assert path.stat().st_size > 20 * pcapfile.BULK_READ
    assert assert_same(path)["streams"]


def test_generated_capture_nanosecond_and_cut(tmp_path):
    path = write_pcap(tmp_path / "ns.pcap", calls(*MIXES["shapes"]), nanosecond=True)
    assert_same(path)
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(path.read_bytes()[:-100])
    report = assert_same(cut)
    assert report["captures"][0]["warnings"]


def test_generated_capture_big_endian(tmp_path):
    little = write_pcap(tmp_path / "le.pcap", calls(*MIXES["shapes"])).read_bytes()
    out, pos = [struct.pack(">IHHiIII", *struct.unpack_from("<IHHiIII", little))], 24
    while pos < len(little):
        sec, frac, caplen, wirelen = struct.unpack_from("<IIII", little, pos)
        out.append(struct.pack(">IIII", sec, frac, caplen, wirelen) + little[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    path = tmp_path / "be.pcap"
    path.write_bytes(b"".join(out))
    assert assert_same(path)["streams"]


def test_generated_capture_small_flow_table(tmp_path):
    """A full flow table evicts flows in the middle of a batch."""
    path = write_pcap(tmp_path / "busy.pcap", calls(*MIXES["busy"][:6]))
    settings = dataclasses.asdict(PipelineSettings())
    settings.update(max_flows=8, idle_timeout=2.0)
    settings.pop("batch")
    settings.pop("kernel")
    assert_same(path, **settings)


CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".pcap", ".pcapng", ".cap")) \
    if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is not present on this machine")
def test_shared_corpus():
    assert corpus_differences(CORPUS_FILES, report_list) == []


def corpus_differences(paths, readings) -> list[str]:
    """The corpus files whose readings (`readings(path)` -> a sequence of reports) differ; a file that is
    not a capture fails every way and is passed over."""
    different = []
    for path in paths:
        try:
            first, *others = (json.dumps(r, sort_keys=True, default=str) for r in readings(path))
        except Exception as exc:          # noqa: BLE001 - a file that is not a capture fails every way
            if type(exc).__name__ != "NotACaptureError":
                raise
            continue
        if any(other != first for other in others):
            different.append(str(path.relative_to(CORPUS)))
    return different


def test_settled_streams_are_counted_in_bulk(tmp_path):
    """The point of it all: most frames of long streams never reach the per-frame path."""
    from collectors.pipeline import Pipeline
    path = write_pcap(tmp_path / "busy.pcap", calls(*MIXES["busy"][:4]))
    pipeline = Pipeline(lambda event: None, PipelineSettings(kernel=False))
    pcapfile.PcapFileSource(str(path)).walk(pipeline.feed_records)
    batch = pipeline.batch_counter()
    assert batch.counted + batch.passed == pipeline.packets
    assert batch.counted > 0.9 * pipeline.packets


@pytest.mark.parametrize("linktype", [LINKTYPE_RAW, LINKTYPE_LINUX_SLL])
def test_other_link_types(tmp_path, linktype):
    """Frames the batch cannot count (no Ethernet header) all take the full path, in order."""
    path = write_pcap(tmp_path / f"l{linktype}.pcap", calls(*MIXES["shapes"][:2]), linktype=linktype)
    assert assert_same(path)["streams"]


# -- pcapng and gzip: buffers of blocks (or decompressed records) against scapy's reading ---------
EDITCAP = shutil.which("editcap")


def walked_and_read(path, **settings) -> tuple[dict, dict]:
    """The report from `walk` (batched) and from scapy's frame-by-frame reading (`packets()`)."""
    walked = analyze_files([str(path)], pipeline_settings=PipelineSettings(**settings))
    original = pcapfile.PcapFileSource.walkable
    try:
        pcapfile.PcapFileSource.walkable = property(lambda self: False)
        read = analyze_files([str(path)], pipeline_settings=PipelineSettings(batch=False, **settings))
    finally:
        pcapfile.PcapFileSource.walkable = original
    return walked, read


def assert_same_as_scapy(path, **settings) -> dict:
    walked, read = walked_and_read(path, **settings)
    assert json.dumps(walked, sort_keys=True, default=str) == json.dumps(read, sort_keys=True, default=str)
    return walked


def without_paths(report: dict) -> str:
    report = dict(report, captures=[{k: v for k, v in c.items() if k != "path"} for c in report["captures"]])
    return json.dumps(report, sort_keys=True, default=str)


@pytest.mark.skipif(EDITCAP is None, reason="editcap (Wireshark) is not installed")
@pytest.mark.parametrize("path", [p for p in SUITE if p.suffix == ".pcap"], ids=lambda p: p.name)
def test_suite_captures_as_pcapng(tmp_path, path):
    """editcap's pcapng of each capture: the same report as the pcap, and as scapy reading it."""
    ng = tmp_path / (path.stem + ".pcapng")
    subprocess.run([EDITCAP, "-F", "pcapng", str(path), str(ng)], check=True, capture_output=True)
    report = assert_same_as_scapy(ng)
    assert without_paths(assert_same(ng)) == without_paths(report)
    if not report["captures"][0]["warnings"]:
        assert without_paths(report) == without_paths(assert_same(path))


@pytest.mark.skipif(EDITCAP is None, reason="editcap (Wireshark) is not installed")
def test_generated_mix_as_pcapng_in_small_buffers(tmp_path, monkeypatch):
    """Many buffers of blocks, nanosecond timestamps, a block cut at the end."""
    path = write_pcap(tmp_path / "busy.pcap", calls(*MIXES["busy"][:4], *MIXES["shapes"]), nanosecond=True)
    ng = tmp_path / "busy.pcapng"
    subprocess.run([EDITCAP, "-F", "pcapng", str(path), str(ng)], check=True, capture_output=True)
    monkeypatch.setattr(pcapfile, "BULK_READ", 1 << 15)
    report = assert_same_as_scapy(ng)
    assert report["streams"]
    assert without_paths(report) == without_paths(assert_same(path)) == without_paths(assert_same(ng))
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(ng.read_bytes()[:-100])
    assert assert_same_as_scapy(cut)["captures"][0]["warnings"]
    assert_same(cut)


def test_pcapng_of_many_shapes(tmp_path, monkeypatch):
    """What capture tools other than editcap write, in one file: two sections of either byte order,
    interfaces of other link types and time resolutions, EPBs with options (a comment, flags) and on an
    interface no IDB described, simple packet blocks, statistics: every walk reads it as scapy does."""
    frames = calls(*MIXES["busy"][:3], *MIXES["shapes"][:2])
    ng = tmp_path / "shapes.pcapng"
    ng.write_bytes(mixed_pcapng(frames))
    for buffer in (1 << 12, 1 << 16):
        monkeypatch.setattr(pcapfile, "BULK_READ", buffer)
        report = assert_same_as_scapy(ng)
        assert report["streams"] and report["captures"][0]["packets"] == len(frames) - 2    # interface 9
        assert without_paths(assert_same(ng)) == without_paths(report)


def mixed_pcapng(frames: list) -> bytes:
    """`frames` (time, Ethernet frame) as pcapng: half in a little-endian section with a microsecond
    Ethernet interface and a nanosecond raw-IP one, half in a big-endian section; every 7th EPB carries
    options, every 11th is a simple packet block (no time: scapy gives it 0), one EPB per section names
    interface 9 (scapy passes over it)."""
    half = len(frames) // 2
    return section("<", frames[:half]) + section(">", frames[half:])


def section(endian: str, frames: list) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack(endian + "II", kind, len(body) + 12) + body + struct.pack(endian + "I", len(body) + 12)

    def option(code: int, value: bytes) -> bytes:
        return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

    out = [block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)),
           block(1, struct.pack(endian + "HHI", 1, 0, 262144) + option(9, bytes([6])) + option(0, b"")),
           block(1, struct.pack(endian + "HHI", LINKTYPE_RAW, 0, 262144) + option(9, bytes([9])) + option(0, b""))]
    for n, (t, frame) in enumerate(frames):
        raw = n % 5 == 4 and frame[12:14] == b"\x08\x00"
        interface, data, resolution = (1, frame[14:], 9) if raw else (0, frame, 6)
        ticks = int(round(t * 10**resolution))
        if n == 40:
            interface = 9
        if n % 11 == 10:
            out.append(block(3, struct.pack(endian + "I", len(data)) + data))
            continue
        body = struct.pack(endian + "IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data
        body += b"\0" * (-len(data) % 4)
        if n % 7 == 6:
            body += option(1, b"a comment") + option(2, struct.pack(endian + "I", 1)) + option(0, b"")
        out.append(block(6, body))
    out.append(block(5, struct.pack(endian + "III", 0, 0, 0) + option(0, b"")))    # interface statistics
    return b"".join(out)


@pytest.mark.parametrize("mix", ["busy", "reused"])
def test_generated_mix_gzipped(tmp_path, mix):
    path = write_pcap(tmp_path / f"{mix}.pcap", calls(*MIXES[mix]))
    packed = tmp_path / f"{mix}.pcap.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    report = assert_same_as_scapy(packed)
    assert without_paths(report) == without_paths(assert_same(path))
    cut = tmp_path / "cut.pcap.gz"
    cut.write_bytes(packed.read_bytes()[:-1000])
    assert assert_same_as_scapy(cut)["captures"][0]["warnings"]


@pytest.mark.skipif(not any(p.suffix == ".pcapng" for p in CORPUS_FILES),
                    reason="../shared/corpus is not present on this machine")
def test_shared_corpus_pcapng_against_scapy():
    """The corpus' pcapng files (other writers than editcap: options, several interfaces and
    sections, name resolution and statistics blocks): the walk's report is scapy's reading's."""
    assert corpus_differences([p for p in CORPUS_FILES if p.suffix == ".pcapng"], walked_and_read) == []
