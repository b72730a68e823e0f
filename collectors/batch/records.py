"""Record boundaries of a classic pcap buffer, found with numpy instead of a Python step per record.

A record's header says how long it is, so boundaries form a chain from the first one. Rather than
walking it in Python, every offset that could start a record is taken as a candidate (the two top bytes
of its seconds field equal the first record's, its caplen is possible), each candidate points at
where its successor would begin, and the chain from the first record is followed by pointer doubling
over the candidates. A chain looks at one window of the buffer (WINDOW bytes: the candidates stay in
the CPU's cache) and the next one resumes where it stopped. Where a chain stops before the window's
last whole record (the record crossing the window's end, or one that does not look like its
neighbours: a time jump, a damaged header), one record is read the plain way and the chain resumes
after it; a window the chain does not cover well is read the plain way to its end.
The boundaries are the same as those of the plain walk (`plain_records`), which decides damage.
"""
from __future__ import annotations

import numpy as np

MIN_CHAIN = 64          # a chain shorter than this: the rest of its window is read the plain way
WINDOW = 1 << 20        # bytes one chain looks at: its candidates stay in the CPU's cache


def find_records(buf: bytes, layout, start: int = 0) -> tuple[np.ndarray, int, bool]:
    """(offsets of the whole records' headers from `start`, where the first incomplete record starts,
    damaged)."""
    found, pos, size = [], start, len(buf)
    while size - pos >= 16:
        window = min(size, pos + WINDOW)
        chain = _chain(buf, pos, layout, window)
        if len(chain) >= MIN_CHAIN:
            found.append(chain)
            last = int(chain[-1])
            pos = last + 16 + _caplen(buf, last, layout)
            if size - pos < 16:
                break
            offsets, pos, damaged = plain_records(buf, pos, layout, limit=1)
        else:
            offsets, pos, damaged = plain_records(buf, pos, layout, until=window)
        found.append(offsets)
        if damaged or not len(offsets):
            return _joined(found), pos, damaged
    return _joined(found), pos, False


def plain_records(buf: bytes, pos: int, layout, limit: int | None = None,
                  until: int | None = None) -> tuple[np.ndarray, int, bool]:
    """The plain walk from `pos` (at most `limit` records, none starting at or past `until`):
    offsets, stop, damaged."""
    unpack, max_record, size = layout.header.unpack_from, layout.max_record, len(buf)
    offsets, damaged = [], False
    until = size if until is None else until
    while size - pos >= 16 and pos < until and (limit is None or len(offsets) < limit):
        caplen = unpack(buf, pos)[2]
        if caplen > max_record:
            damaged = True
            break
        end = pos + 16 + caplen
        if end > size:
            break
        offsets.append(pos)
        pos = end
    return np.array(offsets, dtype=np.int64), pos, damaged


def _chain(buf: bytes, pos: int, layout, window: int) -> np.ndarray:
    """Whole records chained from the one at `pos`, as far as the candidates reach, all of them
    ending by `window`."""
    size = len(buf)
    count = window - pos - 15                     # offsets with a whole 16-byte header after them
    little = layout.header.format[0] == "<"
    # the two most significant bytes of the seconds field, compared as one 16-bit word at every offset
    candidates = _same_word(buf, pos + (2 if little else 0), count) + pos
    words = np.ndarray((size - 3,), dtype=("<u4" if little else ">u4"), buffer=buf, strides=(1,))
    caplens = words[candidates + 8].astype(np.int64)
    ends = candidates + 16 + caplens
    keep = (caplens <= layout.max_record) & (ends <= window) & (words[candidates + 12] >= caplens)
    candidates, ends = candidates[keep], ends[keep]
    if not len(candidates) or candidates[0] != pos:
        return candidates[:0]
    return candidates[follow(candidates, ends)]


def _same_word(buf: bytes, at: int, count: int) -> np.ndarray:
    """The offsets i < count (sorted) at which the 16-bit word at `buf[at + i]` equals the one at `buf[at]`.
    Compared as two runs of contiguous words, those at even i and those at odd i: numpy compares a view
    stepping one byte at a time ~5 times slower. The two sorted runs are merged by a stable sort
    (timsort: one linear merge of the two runs, however many offsets match)."""
    even = np.ndarray(((count + 1) // 2,), dtype="u2", buffer=buf, offset=at)
    odd = np.ndarray((count // 2,), dtype="u2", buffer=buf, offset=at + 1)
    word = even[0]
    found = np.concatenate((np.flatnonzero(even == word) * 2, np.flatnonzero(odd == word) * 2 + 1))
    found.sort(kind="stable")
    return found


def follow(candidates: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which of the sorted `candidates` the chain from the first reaches, each pointing at the
    candidate equal to its `ends` (a chain stops at an end no candidate holds): a boolean mask.
    Usually the candidates some candidate points at are the chain itself, which one comparison
    confirms; otherwise pointer doubling: after k rounds the chain's first 2**k links are known.
    Commonest of all (every window of the benchmark capture): each candidate points at the next one,
    so all of them are the chain."""
    if np.array_equal(ends[:-1], candidates[1:]):
        return np.ones(len(candidates), dtype=bool)
    where = np.searchsorted(candidates, ends)
    sink = len(candidates)
    found = where < sink
    found[found] = candidates[where[found]] == ends[found]
    pointed = np.zeros(sink, dtype=bool)
    pointed[where[found]] = True
    pointed[0] = True
    links = ends[pointed]
    if np.array_equal(links[:-1], candidates[pointed][1:]):
        return pointed        # each one's successor is the next: the chain, and it stops at the last
    jump = np.append(np.where(found, where, sink), sink)
    reached = np.zeros(sink + 1, dtype=bool)
    reached[0] = reached[sink] = True
    nodes = np.zeros(1, dtype=np.int64)
    while True:
        step = jump[nodes]
        step = step[~reached[step]]
        if not len(step):
            break
        reached[step] = True
        nodes = np.concatenate((nodes, step))
        jump = jump[jump]
    return reached[:sink]


def _caplen(buf: bytes, pos: int, layout) -> int:
    return layout.header.unpack_from(buf, pos)[2]


def _joined(parts: list) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
