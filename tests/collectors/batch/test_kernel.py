"""The compiled record walk (collectors/batch/_kernel.c) against the Python it stands for: the plain record
walk (`records.plain_records`), `FastPath.count` frame by frame, and Python's arithmetic for times.
Whole reports through it are compared in test_equivalence."""
from __future__ import annotations

import mmap
import random
import shutil
import struct
import sysconfig

import pytest

from collectors.batch import kernel
from collectors.batch.records import plain_records
from collectors.fastpath import FastEntry, FastPath, fast_shape
from collectors.sources.pcapfile import MAX_RECORD, RecordLayout
from tests.collectors.batch.test_records import records

COMPILER = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0])
needs_kernel = pytest.mark.skipif(not kernel.available(), reason="the compiled walk is not built here")
NEVER = float("inf")


def test_built_wherever_a_c_compiler_is():
    """`make install` builds it from source; a silent fallback to the Python walks would hide a
    broken build behind the same reports, slower."""
    if COMPILER is None:
        pytest.skip("no C compiler on this machine: the Python walks run")
    assert kernel.available(), "collectors.batch._kernel is not built: run `make install`"


def walker(endian: str = "<", scale: float = 1e-6, linktype: int = 1):
    return kernel.Walker(endian == "<", scale, linktype, MAX_RECORD)


def walk_all(buf, endian: str = "<", entries: dict | None = None, scale: float = 1e-6) -> tuple[list, int, int]:
    """Every step to the end: ([(pos after, ts, frame, common)], the code and position it stopped at)."""
    w, pos, frames = walker(endian, scale), 0, []
    while True:
        code, pos, ts, frame, common = w.step(buf, pos, {} if entries is None else entries, NEVER)
        if code != kernel.FRAME:
            return frames, code, pos
        frames.append((pos, ts, frame, common))


@needs_kernel
@pytest.mark.parametrize("endian", "<>")
@pytest.mark.parametrize("cut", [0, 1, 15, 16, 17, 100])
def test_records_are_the_plain_walks(endian, cut):
    buf = records(endian, 300, 7)
    buf = buf[:len(buf) - cut]
    offsets, stop, damaged = plain_records(buf, 0, RecordLayout(struct.Struct(endian + "IIII"), 1e-6, 1, MAX_RECORD))
    frames, code, pos = walk_all(buf, endian)
    header = struct.Struct(endian + "IIII")
    assert [p for p, *_ in frames] == [int(o) + 16 + header.unpack_from(buf, int(o))[2] for o in offsets]
    assert [frame for _, _, frame, _ in frames] == \
        [buf[o + 16:o + 16 + header.unpack_from(buf, o)[2]] for o in offsets.tolist()]
    assert (code, pos) == (kernel.END, stop) and not damaged


@needs_kernel
def test_a_damaged_header_stops_the_walk_there():
    buf = bytearray(records("<", 50, 8))
    at = int(plain_records(bytes(buf), 0, RecordLayout(struct.Struct("<IIII"), 1e-6, 1, MAX_RECORD))[0][20])
    struct.pack_into("<I", buf, at + 8, MAX_RECORD + 1)
    frames, code, pos = walk_all(bytes(buf))
    assert (code, pos, len(frames)) == (kernel.DAMAGED, at, 20)


@needs_kernel
@pytest.mark.parametrize("scale", [1e-6, 1e-9])
def test_times_are_pythons_arithmetic(scale):
    rng = random.Random(9)
    stamps = [(rng.randrange(1 << 32), rng.randrange(10**9 if scale == 1e-9 else 10**6)) for _ in range(2000)]
    buf = b"".join(struct.pack("<IIII", sec, frac, 0, 0) for sec, frac in stamps)
    frames, _, _ = walk_all(buf, scale=scale)
    assert [ts for _, ts, _, _ in frames] == [sec + frac * scale for sec, frac in stamps]


@needs_kernel
def test_a_sweep_due_comes_back_before_its_record_is_read():
    buf = b"".join(struct.pack("<IIII", 100 + i, 0, 0, 60) for i in range(5))
    w = walker()
    assert w.step(buf, 0, {}, 102.0)[:3] == (kernel.FRAME, 16, 100.0)
    assert w.step(buf, 16, {}, 102.0)[:3] == (kernel.FRAME, 32, 101.0)
    assert w.step(buf, 32, {}, 102.0)[:3] == (kernel.SWEEP, 32, 102.0)
    assert w.take() == (2, 120)
    assert w.step(buf, 32, {}, kernel.NEVER_SWEPT)[:3] == (kernel.SWEEP, 32, 102.0)


# -- counting settled streams: the same counts in the same entries as FastPath.count --------------------
def rtp_frame(key: bytes, ssrc: bytes, pt: int, payload: int, shape: bool = True) -> bytes:
    eth = b"\x00" * 12 + (b"\x08\x00\x45" if shape else b"\x86\xdd\x60")
    udp_len = 8 + 12 + payload
    ip = eth + b"\x00" + struct.pack(">H", 20 + udp_len) + b"\x00\x00\x00\x00\x40\x11\x00\x00" + key[:8]
    return ip + key[8:] + struct.pack(">HH", udp_len, 0) + bytes([0x80, pt]) + b"\x00" * 6 + ssrc + b"\x00" * payload


def keys(count: int) -> list[bytes]:
    return [struct.pack(">4s4sHH", bytes([10, 1, i >> 8, i & 255]), bytes([10, 2, 0, 1]), 16384 + i, 20000)
            for i in range(count)]


def entry(rng) -> FastEntry:
    return FastEntry(None, None, rng.randbytes(4), rng.choice((0, 8, 9, 18)))


def changes(streams: list[bytes], count: int, seed: int) -> list[list[tuple]]:
    """What happens to entries after each handed frame: (key, None) forgets one, (key, (ssrc, pt)) arms it
    anew; a few at a time, so that the cache's probe runs are cut and filled again often."""
    rng = random.Random(seed)
    return [[(rng.choice(streams), None if rng.random() < 0.3 else (rng.randbytes(4), rng.choice((0, 8))))
             for _ in range(rng.randrange(4))] for _ in range(count + 1)]


class Entries:
    """A FastPath.entries dict, every entry it ever held kept in order for the counts' comparison."""

    def __init__(self, streams: list[bytes], seed: int):
        rng = random.Random(seed)
        self.now = {key: entry(rng) for key in streams}
        self.ever = list(self.now.values())

    def change(self, key: bytes, armed) -> None:
        if armed is None:
            self.now.pop(key, None)
        else:
            self.now[key] = FastEntry(None, None, *armed)
            self.ever.append(self.now[key])

    def counts(self) -> list:
        return [(e.packets, e.octets, e.last) for e in self.ever]


@needs_kernel
def test_counts_match_fastpath_while_entries_come_and_go():
    """Over a thousand streams (the cache grows, and entries leave it from the middle of probe runs): the
    frames a settled stream owns are counted in its entry, everything else comes back to Python, and
    an entry replaced or removed (after `settle(key)`, as `FastPath.watch` calls it) is read anew."""
    rng = random.Random(11)
    streams = keys(1200)
    armed = streams[:900]
    mine, theirs = Entries(armed, 12), Entries(armed, 12)
    records_, times = [], []
    for i in range(30000):
        key = rng.choice(streams)
        known = mine.now.get(key)
        owned = known is not None and rng.random() < 0.9
        frame = rtp_frame(key, known.ssrc_bytes if owned else rng.randbytes(4), known.pt if owned else 0,
                          rng.randrange(0, 200), shape=rng.random() < 0.98)
        sec, usec = 1000 + i // 100, i % 100 * 10000
        records_.append(struct.pack("<IIII", sec, usec, len(frame), len(frame) + 4) + frame)
        times.append(sec + usec * 1e-6)
    buf = b"".join(records_)
    frames = [r[16:] for r in records_]
    plan = changes(streams, len(frames), 13)

    reference, handed = FastPath(), []
    reference.entries = theirs.now
    for i, frame in enumerate(frames):
        if not (fast_shape(frame) and reference.count(times[i], frame)):
            handed.append((i, fast_shape(frame)))
            for change in plan[len(handed)]:
                theirs.change(*change)

    w, pos, returned = walker(), 0, []
    offsets, at = {}, 0
    for i, r in enumerate(records_):
        at += len(r)
        offsets[at] = i
    while True:
        code, pos, ts, frame, common = w.step(buf, pos, mine.now, NEVER)
        if code != kernel.FRAME:
            break
        i = offsets[pos]
        assert (ts, frame) == (times[i], frames[i])
        returned.append((i, common))
        for key, armed_anew in plan[len(returned)]:
            w.settle(key)                    # FastPath.watch(key) before the entry changes
            mine.change(key, armed_anew)
        if len(returned) % 301 == 0:
            w.settle(None)
    w.release()
    assert (code, pos) == (kernel.END, len(buf))
    assert returned == handed
    assert mine.counts() == theirs.counts()
    assert w.take() == (len(frames), sum(len(f) + 4 for f in frames))


@needs_kernel
def test_release_gives_every_held_count_and_keeps_nothing():
    [key] = keys(1)
    entries = {key: entry(random.Random(13))}
    frame = rtp_frame(key, entries[key].ssrc_bytes, entries[key].pt, 160)
    buf = b"".join(struct.pack("<IIII", 50, i, len(frame), len(frame)) + frame for i in range(10))
    w = walker()
    assert w.step(buf, 0, entries, NEVER)[:2] == (kernel.END, len(buf))
    assert entries[key].packets == 0                 # held in the walk until asked for
    w.release()
    assert (entries[key].packets, entries[key].octets, entries[key].last) == (10, 10 * 172, 50 + 9e-6)
    w.settle(None)
    assert entries[key].packets == 10


@needs_kernel
@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_any_buffer_a_read_can_give(wrap, tmp_path):
    buf = records("<", 40, 14)
    expected = walk_all(buf)
    assert walk_all(wrap(buf)) == expected
    path = tmp_path / "records"
    path.write_bytes(buf)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert walk_all(mapped) == expected


@needs_kernel
def test_bad_calls_raise_and_leave_no_damage():
    w = walker()
    with pytest.raises(TypeError):
        w.step(b"", 0, [], NEVER)
    with pytest.raises(TypeError):
        w.step(b"", 0, {})
    with pytest.raises(TypeError):
        w.settle(5)
    with pytest.raises(TypeError):
        w.step("text", 0, {}, NEVER)
    for interfaces in ([(1,)], [1], None, [("one", 1e6)]):
        with pytest.raises(TypeError):
            w.step_pcapng(b"", 0, {}, NEVER, True, interfaces)
    assert w.step(b"", 0, {}, NEVER)[:2] == (kernel.END, 0)
    assert w.step_pcapng(b"", 0, {}, NEVER, True, [(1, 1e6)])[:2] == (kernel.END, 0)
