"""Capture buffers walked in C (`_kernel.c`, built by `make install`), settled streams counted there.

The compiled walk does, frame by frame, what the per-frame Python walks do (`Pipeline.feed_records_each`
for a classic pcap buffer, `Pipeline.feed_blocks_each` for a pcapng one, `Pipeline.feed_many` over
`LiveSource.frames` for a TPACKET_V3 ring block):
it counts every frame, counts a settled stream's frame in its fast-path entry, and comes back to Python
only for a frame that needs the full path (or a VLAN tag put back), or before a frame whose time calls for
a housekeeping sweep. The counts it holds for entries are given to them through `FastPath.watch` before
an entry changes or folds its counts (as the numpy batch's are: `collectors.batch.counter`), and all of
them at the end of each read buffer (offline) or when the worker stops (live: a worker's walk keeps its
entries from block to block, `BlockWalk`). Without numpy's import or per-batch arrays, it is the quickest
way through a capture of any size. Where the module was not built (no C compiler at install),
`available()` is False and the numpy batch or the per-frame walk runs instead: the results are the same
(tests/collectors/batch).
"""
from __future__ import annotations

try:
    from collectors.batch._kernel import BLOCK, DAMAGED, END, FRAME, OUTSIDE, SWEEP, VLAN, Walker
except ImportError:          # not built: the Python walks run
    Walker = BLOCK = DAMAGED = END = FRAME = OUTSIDE = SWEEP = VLAN = None

NEVER_SWEPT = float("-inf")     # `Pipeline._next_sweep` None: the first frame sweeps


def available() -> bool:
    return Walker is not None


def feed_records(pipeline, buf, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract for a classic pcap buffer: (where the first incomplete record
    starts, from `pos`; the records fed; whether a record header was impossible)."""
    walker = Walker(layout.header.format[0] == "<", layout.scale, layout.linktype, layout.max_record)
    linktype, start = layout.linktype, pos
    handle = _full_path(pipeline)
    with _watching(pipeline, walker):
        step, entries = walker.step, pipeline.fast.entries
        next_sweep = _sweep_time(pipeline)
        while True:
            code, pos, ts, frame, common = step(buf, pos, entries, next_sweep)
            if code == FRAME:
                handle(ts, linktype, frame, common)
            elif code == SWEEP:
                pipeline._sweep(ts)
                next_sweep, entries = _sweep_time(pipeline), pipeline.fast.entries
            else:
                break
    packets = _counted(pipeline, walker)
    return pos - start, packets, code == DAMAGED


def feed_pcapng(pipeline, buf, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract for a pcapng buffer (`BlockLayout`): its plain EPBs walked in C,
    every other block read by `BlockLayout.read_blocks`, one at a time, in order."""
    walker = Walker(True, 0.0, 1, layout.max_record)
    start, count, damaged = pos, 0, False
    handle = _full_path(pipeline)
    with _watching(pipeline, walker):
        step, entries = walker.step_pcapng, pipeline.fast.entries
        next_sweep, little, interfaces = _sweep_time(pipeline), layout.endian == "<", layout.interfaces()
        while True:
            code, pos, ts, frame, common, linktype = step(buf, pos, entries, next_sweep, little, interfaces)
            if code == FRAME:
                handle(ts, linktype, frame, common)
                continue
            if code == SWEEP:
                pipeline._sweep(ts)
            elif code == BLOCK:
                walker.settle(None)            # Python counts what follows: the held counts come first
                stop, fed, damaged = pipeline.feed_blocks_each(buf, pos, layout, 1)
                pos, count = pos + stop, count + fed
                if damaged or not stop:
                    break
                little, interfaces = layout.endian == "<", layout.interfaces()
            else:
                break
            next_sweep, entries = _sweep_time(pipeline), pipeline.fast.entries
    return pos - start, count + _counted(pipeline, walker), damaged


class BlockWalk:
    """One capture worker's walk of its ring blocks. The walker's cache of settled streams' entries lasts
    from block to block: the fast path's hook stays on the walker from start to `close`, so every change
    to an entry still reaches it first, and a port with more streams than a block holds frames does not
    look each of them up again in every block (`feed_records` offline forgets them with each buffer)."""

    def __init__(self, pipeline):
        self.pipeline, self.walker = pipeline, Walker(True, 1e-9, 1, 0)
        self.handle = _full_path(pipeline)
        pipeline.fast.watch = self.walker.settle

    def feed(self, source, base: int) -> None:
        """The ready ring block at `base` of `source` (a LiveSource) into the pipeline."""
        from collectors.sources.live import BLOCK, tagged      # not for offline reading: sockets, ctypes
        pipeline, ring, handle = self.pipeline, source.ring, self.handle
        _status, left, first = BLOCK.unpack_from(ring, base + 8)
        pos, step, entries = base + first, self.walker.step_block, pipeline.fast.entries
        next_sweep = _sweep_time(pipeline)
        while True:
            code, pos, left, ts, frame, common, header = step(ring, pos, left, entries, next_sweep)
            if code == FRAME:
                handle(ts, 1, frame, common)
            elif code == VLAN:
                pipeline._full_path(ts, 1, tagged(frame, ring, header), False)
            elif code == SWEEP:
                pipeline._sweep(ts)
                next_sweep, entries = _sweep_time(pipeline), pipeline.fast.entries
            else:
                break
        _counted(pipeline, self.walker)
        if code == OUTSIDE:      # a header the kernel would not write: the rest of the block as Python reads it
            self.walker.settle(None)                    # Python counts what follows: the held counts first
            pipeline.feed_many(source.frames_from(header, left))

    def close(self) -> None:
        """Every held count to its entry; the walker lets go of the entries and of the hook."""
        try:
            self.walker.release()
        finally:
            self.pipeline.fast.watch = None


def _full_path(pipeline):
    """What a frame handed back takes: the fixed-offset media shortcut first when it has the shape."""
    media_frame, full = pipeline.media_frame, pipeline._full_path

    def handle(ts: float, linktype: int, frame: bytes, common: bool) -> None:
        if not (common and media_frame(ts, frame)):
            full(ts, linktype, frame, common)
    return handle


class _watching:
    """The walker's held counts reach entries through `FastPath.watch` while it walks, and all of them when
    it stops (it forgets its entries then: between walks, entries change without the hook)."""

    def __init__(self, pipeline, walker):
        self.fast, self.walker = pipeline.fast, walker

    def __enter__(self):
        self.fast.watch = self.walker.settle

    def __exit__(self, *exc):
        try:
            self.walker.release()
        finally:
            self.fast.watch = None


def _counted(pipeline, walker) -> int:
    packets, octets = walker.take()
    pipeline.packets += packets
    pipeline.bytes += octets
    return packets


def _sweep_time(pipeline) -> float:
    when = pipeline._next_sweep
    return NEVER_SWEPT if when is None else when
