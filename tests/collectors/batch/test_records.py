"""Record boundaries found with numpy are the plain walk's, whatever the buffer holds."""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from collectors.batch import records as records_module
from collectors.batch.records import MIN_CHAIN, find_records, plain_records
from collectors.sources.pcapfile import MAX_RECORD, RecordLayout


def layout(endian: str) -> RecordLayout:
    return RecordLayout(struct.Struct(endian + "IIII"), 1e-6, 1, MAX_RECORD)


def records(endian: str, count: int, seed: int, time_jump_at: int | None = None, sec: int = 1_700_000_000) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i == time_jump_at:
            sec += 1 << 26                         # another top byte of the seconds field
        size = rng.choice((60, 214, 224, 1514, rng.randrange(0, 300)))
        body = bytes(rng.getrandbits(8) for _ in range(size))
        out.append(struct.pack(endian + "IIII", sec, rng.randrange(10**6), size, size + rng.randrange(3)) + body)
        sec += rng.random() < 0.01
    return b"".join(out)


def same_as_plain(buf: bytes, endian: str) -> tuple:
    found = find_records(buf, layout(endian))
    plain = plain_records(buf, 0, layout(endian))
    assert found[0].tolist() == plain[0].tolist() and found[1:] == plain[1:]
    return found


@pytest.mark.parametrize("endian", "<>")
def test_whole_buffer(endian):
    offsets, stop, damaged = same_as_plain(records(endian, 3 * MIN_CHAIN, 1), endian)
    assert len(offsets) == 3 * MIN_CHAIN and not damaged


@pytest.mark.parametrize("cut", [1, 15, 16, 17, 100])
def test_buffer_ending_inside_a_record(cut):
    buf = records("<", 2 * MIN_CHAIN, 2)
    offsets, stop, damaged = same_as_plain(buf[:-cut], "<")
    assert stop < len(buf) - cut and not damaged


def test_time_jump_and_a_damaged_header():
    buf = bytearray(records("<", 4 * MIN_CHAIN, 3, time_jump_at=2 * MIN_CHAIN))
    same_as_plain(bytes(buf), "<")
    at = plain_records(bytes(buf), 0, layout("<"))[0][3 * MIN_CHAIN]
    struct.pack_into("<I", buf, int(at) + 8, MAX_RECORD + 1)
    offsets, stop, damaged = same_as_plain(bytes(buf), "<")
    assert damaged and stop == at


@pytest.mark.parametrize("step", [1 << 8, 1 << 16, 1 << 24])
def test_seconds_crossing_a_byte_boundary(step):
    """Records whose seconds field changes in a higher byte in the middle of the buffer."""
    same_as_plain(records("<", 6 * MIN_CHAIN, 4, time_jump_at=3 * MIN_CHAIN, sec=2 * step - 1), "<")
    same_as_plain(records(">", 6 * MIN_CHAIN, 5, sec=step - 1), ">")


def test_many_records_of_one_size():
    """Candidates that point at records without being one (a payload that looks like a header)."""
    header = struct.Struct("<IIII")
    fake = header.pack(1_700_000_000, 0, 200, 200)
    body = (fake + bytes(184))[:200]
    buf = b"".join(header.pack(1_700_000_000, i, 200, 200) + body for i in range(4 * MIN_CHAIN))
    same_as_plain(buf, "<")


@pytest.mark.parametrize("seed", range(5))
def test_noise(seed):
    rng = random.Random(seed)
    same_as_plain(bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 5000))), "<")


@pytest.mark.parametrize("window", [2048, 16384, 100_000])
def test_chains_by_windows(monkeypatch, window):
    """A chain looks at one window of the buffer at a time; records cross window ends, a window may
    hold fewer than MIN_CHAIN records (big ones) and a damaged header may sit in any window."""
    monkeypatch.setattr(records_module, "WINDOW", window)
    buf = records("<", 8 * MIN_CHAIN, 6) + records("<", MIN_CHAIN // 2, 7, sec=1_700_100_000)
    same_as_plain(buf, "<")
    big = b"".join(struct.pack("<IIII", 1_700_000_000, i, 5000, 5000) + bytes(5000) for i in range(20))
    same_as_plain(big + buf + big, "<")
    damaged = bytearray(buf)
    at = plain_records(buf, 0, layout("<"))[0][5 * MIN_CHAIN]
    struct.pack_into("<I", damaged, int(at) + 8, MAX_RECORD + 1)
    offsets, stop, bad = same_as_plain(bytes(damaged), "<")
    assert bad and stop == at


@pytest.mark.parametrize("seed", range(4))
def test_same_word_offsets_are_those_of_a_plain_scan(seed):
    """The 16-bit comparison at every offset (two runs of contiguous words, even and odd) finds what a
    byte-by-byte scan finds, whatever the parity of the start and the length, sparse or dense."""
    rng = random.Random(seed)
    alphabet = bytes(rng.sample(range(256), 2 + seed))     # few distinct bytes: many matches
    for count in (1, 2, 3, 4, 5, 101, 1000):
        for at in (0, 1, 2, 3):
            buf = bytes(rng.choice(alphabet) for _ in range(at + count + 1))
            plain = [i for i in range(count) if buf[at + i:at + i + 2] == buf[at:at + 2]]
            assert records_module._same_word(buf, at, count).tolist() == plain, (count, at)


def walked(candidates: list[int], ends: list[int]) -> list[bool]:
    """`follow` the plain way: from the first candidate, on to the candidate its end names."""
    at = {c: i for i, c in enumerate(candidates)}
    reached, i = [False] * len(candidates), 0
    while i is not None and not reached[i]:
        reached[i] = True
        i = at.get(ends[i])
    return reached


@pytest.mark.parametrize("seed", range(6))
def test_follow_is_the_plain_walk(seed):
    """Candidates that are all the chain (each pointing at the next), and chains with decoys between
    their links, decoys pointing into the chain, or a link pointing at no candidate."""
    rng = random.Random(seed)
    starts = [0]
    for _ in range(200):
        starts.append(starts[-1] + rng.randrange(20, 300))
    ends = starts[1:] + [starts[-1] + 100]
    cases = [(starts, ends)]
    decoys = sorted(set(rng.randrange(1, starts[-1]) for _ in range(seed * 10)) - set(starts))
    pointing = {d: rng.choice(starts + [starts[-1] + 7]) for d in decoys}
    mixed = sorted(starts + decoys)
    target = dict(zip(starts, ends)) | pointing
    cases.append((mixed, [target[c] for c in mixed]))
    broken = list(ends)
    broken[100] += 1                                    # the chain stops at link 100
    cases.append((starts, broken))
    for candidates, targets in cases:
        found = records_module.follow(np.array(candidates, dtype=np.int64), np.array(targets, dtype=np.int64))
        assert found.tolist() == walked(candidates, targets)
