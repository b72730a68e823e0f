"""Classic pcap read buffers into the batched fast path (`PcapFileSource.walk`'s consumer)."""
from __future__ import annotations

import numpy as np

from collectors.batch.counter import BatchCounter
from collectors.batch.records import find_records


def feed_records(counter: BatchCounter, buf: bytes, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract: the whole records of `buf` from `pos` are fed; returns
    where the first incomplete record starts (from `pos`), the records fed, and whether a record
    header was impossible (a damaged file: nothing after it is fed)."""
    offsets, stop, damaged = find_records(buf, layout, pos)
    if len(offsets):
        gathered = np.ndarray((len(buf) - 15,), dtype="V16", buffer=buf, strides=(1,))[offsets]   # one gather
        sec, frac, caplen, wirelen = gathered.view(layout.header.format[0] + "u4").reshape(-1, 4).T
        ts = sec.astype(np.float64) + frac.astype(np.float64) * layout.scale
        counter.feed(buf, offsets + 16, caplen.astype(np.int64), ts, wirelen.astype(np.int64), layout.linktype)
    return stop - pos, len(offsets), damaged
