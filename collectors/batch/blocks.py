"""pcapng read buffers into the batched fast path, as classic pcap's (`collectors.batch.offline`).

Enhanced Packet Blocks are found without a Python step per block: blocks start on 4-byte
boundaries, so every word of the buffer that holds the EPB type is a candidate, its length word
says where its successor would begin (and its trailing length word must repeat it), and the chain
from the first block is followed over the candidates (`records.follow`). The chain's plain EPBs
(no options, a described interface, as `BlockLayout` reads them directly) are fed as one batch per
run of one link type; the block that ends the chain, and any stretch where chains stay short, are
read by `BlockLayout.read_blocks` (scapy's reader for anything but a plain EPB) and fed frame by frame.
"""
from __future__ import annotations

import numpy as np

from collectors.batch.counter import BatchCounter
from collectors.batch.records import MIN_CHAIN, follow
from collectors.sources.pcapng import EPB, EPB_FIXED


def feed_blocks(counter: BatchCounter, buf: bytes, pos: int, layout) -> tuple[int, int, bool]:
    """`Pipeline.feed_records`'s contract for a pcapng buffer (`BlockLayout`)."""
    pipeline, size, start, count = counter.pipeline, len(buf), pos, 0
    while size - pos >= 12:
        run = plain_run(buf, pos, layout)
        if run is not None:
            for starts, caplens, ts, wirelens, linktype in run:
                counter.feed(buf, starts, caplens, ts, wirelens, linktype)
                count += len(starts)
                pos = int(starts[-1] + caplens[-1] + (-caplens[-1] % 4)) + 4
        frames: list = []
        limit = 1 if run is not None or _block_type(buf, pos, layout) != EPB else None
        stop, fed, damaged = layout.read_blocks(buf, pos, frames, limit)
        pipeline.feed_many(frames)
        count += fed
        pos += stop
        if damaged or not stop:
            return pos - start, count, damaged
    return pos - start, count, False


def plain_run(buf: bytes, pos: int, layout) -> list | None:
    """The plain EPBs chained from `pos`, as (starts, caplens, ts, wirelens, link type) per run of one
    link type; None when fewer than MIN_CHAIN."""
    interfaces = layout.interfaces()
    count = (len(buf) - pos) // 4
    if count < 3 or not interfaces:
        return None
    w = np.ndarray((count,), dtype=layout.endian + "u4", buffer=buf, offset=pos)
    candidates = np.flatnonzero(w[:-1] == EPB)
    if not len(candidates) or candidates[0] != 0:
        return None
    lengths = w[candidates + 1].astype(np.int64)
    ends = candidates + lengths // 4
    whole = (lengths >= EPB_FIXED) & (lengths % 4 == 0) & (ends <= count)
    candidates, lengths, ends = candidates[whole], lengths[whole], ends[whole]
    whole = w[ends - 1] == lengths
    candidates, lengths, ends = candidates[whole], lengths[whole], ends[whole]
    if not len(candidates) or candidates[0] != 0:
        return None
    chain = follow(candidates, ends)
    blocks, lengths = candidates[chain], lengths[chain]
    interface, caplens = w[blocks + 2], w[blocks + 5].astype(np.int64)
    plain = (lengths == EPB_FIXED + caplens + (-caplens % 4)) & (interface < len(interfaces)) \
        & (caplens <= layout.max_record)
    if not plain.all():
        cut = int(np.argmin(plain))
        blocks, caplens, interface = blocks[:cut], caplens[:cut], interface[:cut]
    if len(blocks) < MIN_CHAIN:
        return None
    linktypes = np.array([linktype for linktype, _ in interfaces], dtype=np.int64)[interface]
    tsresol = np.array([resolution for _, resolution in interfaces], dtype=np.float64)[interface]
    ticks = (w[blocks + 3].astype(np.uint64) << np.uint64(32)) | w[blocks + 4].astype(np.uint64)
    ts = ticks.astype(np.float64) / tsresol
    starts = pos + blocks * 4 + 28
    wirelens = w[blocks + 6].astype(np.int64)
    edges = [0] + (np.flatnonzero(linktypes[1:] != linktypes[:-1]) + 1).tolist() + [len(blocks)]
    return [(starts[a:b], caplens[a:b], ts[a:b], wirelens[a:b], int(linktypes[a])) for a, b in zip(edges, edges[1:])]


def _block_type(buf: bytes, pos: int, layout) -> int:
    return int.from_bytes(buf[pos:pos + 4], "little" if layout.endian == "<" else "big")
