"""Classic pcap buffers walked in C (`_kernel.c`, built by `make install`), settled streams counted there.

The compiled walk does, record by record, what `Pipeline.feed_records_each` does in Python: it counts
every record, counts a settled stream's frame in its fast-path entry, and comes back to Python only
for a frame that needs the full path, or before a record whose time calls for a housekeeping sweep.
The counts it holds for entries are given to them through `FastPath.watch` before an entry changes or
folds its counts (as the numpy batch's are: `collectors.batch.counter`), and all of them at the end of
each buffer. Without numpy's import or per-batch arrays, it is the quickest way through a capture of
any size. Where the module was not built (no C compiler at install), `available()` is False and the
numpy batch or the per-frame walk runs instead: the reports are the same (tests/collectors/batch).
"""
from __future__ import annotations

try:
    from collectors.batch._kernel import DAMAGED, END, FRAME, SWEEP, Walker
except ImportError:          # not built: the Python walks run
    Walker = DAMAGED = END = FRAME = SWEEP = None

NEVER_SWEPT = float("-inf")     # `Pipeline._next_sweep` None: the first record sweeps


def available() -> bool:
    return Walker is not None


def feed_records(pipeline, buf, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract for a classic pcap buffer: (where the first incomplete record
    starts, from `pos`; the records fed; whether a record header was impossible)."""
    walker = Walker(layout.header.format[0] == "<", layout.scale, layout.linktype, layout.max_record)
    fast, linktype, start = pipeline.fast, layout.linktype, pos
    media_frame, full = pipeline.media_frame, pipeline._full_path
    fast.watch = walker.settle
    try:
        step = walker.step
        next_sweep = _sweep_time(pipeline)
        while True:
            code, pos, ts, frame, common = step(buf, pos, fast.entries, next_sweep)
            if code == FRAME:
                if not (common and media_frame(ts, frame)):
                    full(ts, linktype, frame, common)
            elif code == SWEEP:
                pipeline._sweep(ts)
                next_sweep = _sweep_time(pipeline)
            else:
                break
    finally:
        walker.release()
        fast.watch = None
    packets, octets = walker.take()
    pipeline.packets += packets
    pipeline.bytes += octets
    return pos - start, packets, code == DAMAGED


def _sweep_time(pipeline) -> float:
    when = pipeline._next_sweep
    return NEVER_SWEPT if when is None else when
