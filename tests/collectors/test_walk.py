"""`PcapFileSource.walk` (buffers of records or blocks, what the pipeline reads offline) gives the
frames and warnings of `packets()` (scapy's reader, record by record): classic pcap, pcapng and
gzip, whole, cut and damaged, read the plain way and the batched way (numpy)."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from collectors.batch.blocks import feed_blocks
from collectors.batch.offline import feed_records
from collectors.batch.records import MIN_CHAIN, plain_records
from collectors.sources import pcapfile
from collectors.sources.frame import Frame
from collectors.sources.pcapfile import PcapFileSource
from tests.collectors.test_pcapfile import FRAMES, _block, _two_sections, pcap_bytes, pcapng_bytes


class Frames:
    """What a batch consumer is handed, turned back into frames: `feed` (a batch of frames in a
    buffer) and `pipeline.feed_many` (frames one by one), in order."""

    def __init__(self):
        self.frames: list[Frame] = []
        self.pipeline = self
        self.in_batches = 0

    def feed(self, buf, starts, caplens, ts, wirelens, linktype) -> None:
        self.in_batches += len(starts)
        self.frames += [Frame(float(t), linktype, bytes(buf[s:s + c]), int(w))
                        for s, c, t, w in zip(starts.tolist(), caplens.tolist(), ts, wirelens.tolist())]

    def feed_many(self, frames) -> None:
        self.frames += [Frame(*frame) for frame in frames]


def plain(frames: list):
    def consume(buf, pos, layout):
        if getattr(layout, "pcapng", False):
            found: list = []
            result = layout.read_blocks(buf, pos, found)
            frames.extend(found)
            return result
        offsets, stop, damaged = plain_records(buf, pos, layout)
        for at in offsets.tolist():
            sec, frac, caplen, wirelen = layout.header.unpack_from(buf, at)
            frames.append(Frame(sec + frac * layout.scale, layout.linktype, buf[at + 16:at + 16 + caplen], wirelen))
        return stop - pos, len(offsets), damaged
    return consume


def batched(sink: Frames):
    def consume(buf, pos, layout):
        if getattr(layout, "pcapng", False):
            return feed_blocks(sink, buf, pos, layout)
        return feed_records(sink, buf, pos, layout)
    return consume


def same_frames(tmp_path, name: str, content: bytes) -> tuple[list[Frame], int]:
    """The frames of the capture (the same by every route), and how many the batched route cut
    out of its buffers in batches."""
    path = tmp_path / name
    path.write_bytes(content)
    reference = PcapFileSource(str(path))
    expected = [Frame(*f) for f in reference.packets()]
    plain_frames: list = []
    walked = PcapFileSource(str(path))
    walked.walk(plain(plain_frames))
    sink = Frames()
    batch = PcapFileSource(str(path))
    batch.walk(batched(sink))
    assert plain_frames == expected
    assert sink.frames == expected
    assert walked.warnings == reference.warnings == batch.warnings
    return expected, sink.in_batches


def many(count: int) -> list:
    return [(0, 1_700_000_000_000_000 + 20_000 * i, FRAMES[i % 3]) for i in range(count)]


def epb(interface: int, ticks: int, data: bytes, options: bytes = b"", endian: str = "<") -> bytes:
    return _block(endian, 6, struct.pack(endian + "IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF,
                                         len(data), len(data)) + data + b"\x00" * (-len(data) % 4) + options)


@pytest.mark.parametrize("endian", "<>")
def test_pcapng_long_runs_of_plain_blocks(tmp_path, endian):
    frames, in_batches = same_frames(tmp_path, "run.pcapng", pcapng_bytes(many(5 * MIN_CHAIN), [(1, None)],
                                                                          endian=endian))
    assert len(frames) == in_batches == 5 * MIN_CHAIN


def test_pcapng_blocks_between_runs(tmp_path):
    """Options (comments, flags), a statistics block, an unknown block, a new interface with another
    link type and clock, a packet on an interface never described, a simple packet block: scapy's."""
    head = pcapng_bytes(many(3 * MIN_CHAIN), [(1, None)])
    comment = struct.pack("<HH", 1, 5) + b"hello\x00\x00\x00" + struct.pack("<HHI", 2, 4, 1) + struct.pack("<HH", 0, 0)
    nanoseconds = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb = _block("<", 1, struct.pack("<HHI", 101, 0, 262144) + nanoseconds)
    middle = epb(0, 7, FRAMES[1], comment) + _block("<", 5, bytes(12)) + _block("<", 0x0BAD, b"x" * 5) + idb
    mixed = b"".join(epb(i % 2, 1_700_000_000_000_000_123 + i, FRAMES[i % 3]) for i in range(3 * MIN_CHAIN))
    odd = epb(7, 9, FRAMES[2]) + _block("<", 3, struct.pack("<I", len(FRAMES[0])) + FRAMES[0])
    tail = b"".join(epb(0, 100 + i, FRAMES[0], comment if i % 2 else b"") for i in range(2 * MIN_CHAIN))
    frames, in_batches = same_frames(tmp_path, "mixed.pcapng", head + middle + mixed + odd + tail)
    assert {f.linktype for f in frames} == {1, 101}
    assert in_batches >= 6 * MIN_CHAIN


def test_pcapng_two_sections_of_either_byte_order(tmp_path):
    first = pcapng_bytes(many(2 * MIN_CHAIN), [(1, None)])
    second = pcapng_bytes(many(2 * MIN_CHAIN), [(1, 9)], endian=">")
    content, _ = _two_sections()
    same_frames(tmp_path, "sections.pcapng", first + second + content + first)


def test_pcapng_cut_and_damaged(tmp_path):
    content = pcapng_bytes(many(3 * MIN_CHAIN), [(1, None)])
    for cut in (len(content) - 1, len(content) - 40, len(content) - 200, 200):
        same_frames(tmp_path, "cut.pcapng", content[:cut])
    damaged = bytearray(content)
    at = len(content) // 2
    at -= at % 4
    struct.pack_into("<I", damaged, at, 0x0A0D0D0A)          # a section header with a bad magic
    same_frames(tmp_path, "bad-shb.pcapng", bytes(damaged))
    for where, value in ((content.index(FRAMES[2]) - 24, 8), (len(content) - 4, 12)):
        damaged = bytearray(content)
        struct.pack_into("<I", damaged, where, value)        # a block length too short / not repeated
        same_frames(tmp_path, "bad-length.pcapng", bytes(damaged))


def test_pcapng_block_longer_than_a_read(tmp_path, monkeypatch):
    monkeypatch.setattr(pcapfile, "BULK_READ", 4096)
    big = FRAMES[0] + bytes(70_000)
    packets = many(2 * MIN_CHAIN) + [(0, 5, big)] + many(2 * MIN_CHAIN)
    frames, _ = same_frames(tmp_path, "big.pcapng", pcapng_bytes(packets, [(1, None)]))
    assert big in [f.data for f in frames]


@pytest.mark.parametrize("ng", [False, True])
def test_gzip(tmp_path, monkeypatch, ng):
    monkeypatch.setattr(pcapfile, "BULK_READ", 1 << 14)
    content = pcapng_bytes(many(6 * MIN_CHAIN), [(1, None)]) if ng else pcap_bytes(
        FRAMES * 2 * MIN_CHAIN, times=[(1_700_000_000 + i, i) for i in range(6 * MIN_CHAIN)])
    packed = gzip.compress(content)
    frames, in_batches = same_frames(tmp_path, "c.gz", packed)
    assert len(frames) == 6 * MIN_CHAIN and in_batches > 0
    for cut in (len(packed) - 4, len(packed) * 2 // 3, len(packed) // 3):
        same_frames(tmp_path, "cut.gz", packed[:cut])
    same_frames(tmp_path, "trailing.gz", packed + b"garbage")


def test_timestamps_are_scapys_to_the_bit(tmp_path):
    """High tick counts at nanosecond and binary resolutions: one float division, as scapy does it."""
    rng = np.random.default_rng(5)
    ticks = [int(t) for t in rng.integers(1 << 60, 1 << 62, size=2 * MIN_CHAIN, dtype=np.int64)]
    for tsresol in (9, 0x80 | 30, 6):
        packets = [(0, t, FRAMES[i % 3]) for i, t in enumerate(ticks)]
        same_frames(tmp_path, "ticks.pcapng", pcapng_bytes(packets, [(1, tsresol)]))
