"""One batch through the pipeline: settled streams counted in bulk, the rest down the full path in order.

Exactly what `Pipeline.feed_many` does frame by frame, rearranged:
* a frame is counted when the fast path holds an entry for its 5-tuple whose SSRC and payload type
  it carries (decided for the whole batch at once from the entries at its start);
* the other frames take the full path one by one, in order, and housekeeping sweeps run before the
  first frame at or past the next sweep time, as they would frame by frame;
* the full path and the sweeps change entries (`FastPath.arm`, `forget`) and fold their counts into
  flows and streams (`flush`): the fast path's `watch` hook first brings the entries' counts up to the
  frame being handled (`_settle`), and afterwards the decision of the later frames of the changed
  5-tuples is taken again (`_refresh`).
So each entry receives the same counts, and the full path sees the same state, as frame by frame.
"""
from __future__ import annotations

import numpy as np

from collectors.batch.fields import BatchFields, extract

NO_ENTRY = -1


class BatchCounter:
    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.fast = pipeline.fast
        self.counted = self.passed = 0      # frames counted in bulk / handed to the full path

    def feed(self, buf, starts: np.ndarray, caplens: np.ndarray, ts: np.ndarray, wirelens: np.ndarray,
             linktype: int) -> None:
        """The frames at `starts` (int64 offsets) in `buf` (bytes or a memory map: what slices to bytes)."""
        fields = extract(buf, starts, caplens) if linktype == 1 else None
        if fields is None:
            self.pipeline.feed_many((float(t), linktype, bytes(buf[s:s + c]), int(w))
                                    for s, c, t, w in zip(starts.tolist(), caplens.tolist(), ts, wirelens.tolist()))
            return
        self.pipeline.packets += len(starts)
        self.pipeline.bytes += int(wirelens.sum())
        batch = _Batch(self.pipeline, fields, ts)
        self.passed += batch.run(buf, starts, caplens, linktype)
        self.counted += len(starts) - batch.passed


class _Todo:
    """The frames a batch hands to the full path (from some frame on), as Python lists read once: their
    index in the batch, where their bytes start and end in the buffer, their time, and whether they
    have the fast path's shape (a numpy scalar read per frame costs more than the list)."""
    __slots__ = ("frames", "start", "end", "when", "common")

    def __init__(self, frames: list, start: list, end: list, when: list, common: list):
        self.frames, self.start, self.end, self.when, self.common = frames, start, end, when, common


class _Batch:
    """The state of one batch while it runs."""

    def __init__(self, pipeline, fields: BatchFields, ts: np.ndarray):
        self.pipeline, self.fields, self.ts = pipeline, fields, ts
        self.fast = pipeline.fast
        self._index = None
        self.entries = list(map(self.fast.entries.get, fields.keys))
        self.entry_ssrc = np.array([NO_ENTRY if e is None else e.ssrc for e in self.entries], dtype=np.int64)
        self.entry_pt = np.array([NO_ENTRY if e is None else e.pt for e in self.entries], dtype=np.int64)
        group = fields.group
        if len(self.entries):
            g = np.maximum(group, 0)
            self.counted = (group >= 0) & (self.entry_ssrc[g] == fields.ssrc) & (self.entry_pt[g] == fields.pt)
        else:
            self.counted = np.zeros(len(group), dtype=bool)
        self.full = ~self.counted
        self.current = self.settled = self.passed = 0
        self.changed: set[bytes] = set()

    @property
    def index(self) -> dict:
        """Group of each 5-tuple key of the batch (built when an entry first changes)."""
        if self._index is None:
            self._index = dict(zip(self.fields.keys, range(len(self.fields.keys))))
        return self._index

    def run(self, buf, starts: np.ndarray, caplens: np.ndarray, linktype: int) -> int:
        """Returns the frames handed to the full path."""
        pipeline, full = self.pipeline, self.full
        media_frame = pipeline.media_frame
        n = len(self.ts)
        self.fast.watch = self._watch
        try:
            todo, i = self._todo(0, starts, caplens), 0    # the frames to hand over, as decided so far
            sweep_at = self._next_sweep(0)
            while True:
                frames = todo.frames
                while i < len(frames) and not full[frames[i]]:
                    i += 1                           # counted since: its stream was armed
                at = frames[i] if i < len(frames) else n
                if sweep_at <= at and sweep_at < n:
                    self.current = sweep_at
                    pipeline._sweep(float(self.ts[sweep_at]))
                    if self._refresh(sweep_at):
                        todo, i = self._todo(sweep_at, starts, caplens), 0
                    sweep_at = self._next_sweep(sweep_at)
                    continue
                if at >= n:
                    break
                self.current = at
                start, when, common = todo.start[i], todo.when[i], todo.common[i]
                frame = bytes(buf[start:todo.end[i]])
                if not (common and media_frame(when, frame)):
                    pipeline._full_path(when, linktype, frame, common)
                self.passed += 1
                i += 1
                if self.changed and self._refresh(at + 1):
                    todo, i = self._todo(at + 1, starts, caplens), 0
            self._settle(n)
        finally:
            self.fast.watch = None
        return self.passed

    def _todo(self, start: int, starts: np.ndarray, caplens: np.ndarray) -> "_Todo":
        """The frames from `start` on that take the full path, as decided now."""
        at = np.flatnonzero(self.full[start:]) + start
        begin = starts[at]
        return _Todo(at.tolist(), begin.tolist(), (begin + caplens[at]).tolist(), self.ts[at].tolist(),
                     self.fields.common[at].tolist())

    def _next_sweep(self, pos: int) -> int:
        """The first frame from `pos` at or past the pipeline's next sweep time (n: none)."""
        when, ts = self.pipeline._next_sweep, self.ts
        if when is None:
            return pos
        later = ts[pos:] >= when
        at = int(np.argmax(later)) if len(later) else 0
        return pos + at if len(later) and later[at] else len(ts)

    # -- the fast path's hook ---------------------------------------------------------------------
    def _watch(self, key: bytes | None) -> None:
        if key is None:
            self._settle(self.current)
            return
        g = self.index.get(key)
        if g is not None and self.entries[g] is not None:
            self._settle_group(g, self.current)      # that stream's counts pending: only its own
        self.changed.add(key)

    def _settle(self, upto: int) -> None:
        """Fold the counted frames before `upto` not yet given to their entries into them."""
        if upto <= self.settled:
            return
        picked = np.flatnonzero(self.counted[self.settled:upto]) + self.settled
        self.settled = upto
        if not len(picked):
            return
        fields, size = self.fields, len(self.entries)
        groups = fields.group[picked]
        packets = np.bincount(groups, minlength=size)
        octets = np.bincount(groups, weights=fields.octets[picked], minlength=size)
        last = np.full(size, -1, dtype=np.int64)
        np.maximum.at(last, groups, picked)
        touched = np.flatnonzero(packets)
        entries = self.entries
        for g, count, length, when in zip(touched.tolist(), packets[touched].tolist(),
                                          octets[touched].astype(np.int64).tolist(), self.ts[last[touched]].tolist()):
            entry = entries[g]
            entry.packets += count
            entry.octets += length
            entry.last = when

    def _settle_group(self, g: int, upto: int) -> None:
        """`_settle` for group g's entry alone (its entry is about to change or fold its counts):
        its counted frames before `upto` are given to it and no longer pending (`counted` cleared:
        a frame before the current one is never decided again), the other entries' wait."""
        if upto <= self.settled:
            return
        members = self.fields.of_group(g)
        members = members[np.searchsorted(members, self.settled):np.searchsorted(members, upto)]
        picked = members[self.counted[members]]
        if not len(picked):
            return
        self.counted[picked] = False
        entry = self.entries[g]
        entry.packets += len(picked)
        entry.octets += int(self.fields.octets[picked].sum())
        entry.last = float(self.ts[picked[-1]])

    def _refresh(self, start: int) -> bool:
        """Decide again, from frame `start` on, the frames of the 5-tuples whose entry changed;
        True when a frame counted so far now takes the full path."""
        changed, self.changed = self.changed, set()
        entries, fields = self.fast.entries, self.fields
        uncounted = False
        for key in changed:
            g = self.index.get(key)
            if g is None:
                continue
            entry = self.entries[g] = entries.get(key)
            members = fields.of_group(g)
            members = members[np.searchsorted(members, start):]
            if entry is None:
                counted = np.zeros(len(members), dtype=bool)
            else:
                counted = (fields.ssrc[members] == entry.ssrc) & (fields.pt[members] == entry.pt)
            uncounted = uncounted or bool((self.counted[members] & ~counted).any())
            self.counted[members] = counted
            self.full[members] = ~counted
        return uncounted
