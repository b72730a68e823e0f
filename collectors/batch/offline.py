"""Classic pcap read buffers into the batched fast path (`PcapFileSource.walk`'s consumer)."""
from __future__ import annotations

import numpy as np

from collectors.batch.counter import BatchCounter
from collectors.batch.fields import words
from collectors.batch.records import find_records


def feed_records(counter: BatchCounter, buf: bytes, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract: the whole records of `buf` from `pos` are fed; returns
    where the first incomplete record starts (from `pos`), the records fed, and whether a record
    header was impossible (a damaged file: nothing after it is fed)."""
    offsets, stop, damaged = find_records(buf, layout, pos)
    if len(offsets):
        header = words(buf, layout.header.format[0] + "u4")
        sec, frac, caplen, wirelen = (header[offsets + i].astype(np.int64) for i in (0, 4, 8, 12))
        ts = sec.astype(np.float64) + frac.astype(np.float64) * layout.scale
        counter.feed(buf, offsets + 16, caplen, ts, wirelen, layout.linktype)
    return stop - pos, len(offsets), damaged
