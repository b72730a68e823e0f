"""A TPACKET_V3 ring block as one batch: its frames found with numpy, without a Python step per frame.

A block holds `num_pkts` frames, each behind a `tpacket3_hdr` and linked by `tp_next_offset` (8-byte
aligned, 0 on the last). Every 8-byte slot of the block that could hold a header (a plausible time,
snap length and MAC offset) is a candidate, and the chain from the first frame is followed over the
candidates (`records.follow`). When the chain does not hold exactly `num_pkts` frames ending on a
zero offset, or the kernel took a VLAN tag off a frame (the frame must be rebuilt with its tag), the
block is read frame by frame as before (`LiveSource.frames`): the result is the same either way.
Only the part of the block the kernel filled (`blk_len`) is looked at: a block retired by its timer
with a few frames costs little, and one of fewer than MIN_BATCH frames is read frame by frame.
"""
from __future__ import annotations

import struct

import numpy as np

from collectors.batch.counter import BatchCounter
from collectors.batch.records import follow
from collectors.sources.live import BLOCK, TP_STATUS_VLAN_VALID

ALIGN = 8                      # V3_ALIGNMENT of the kernel's af_packet.c
HEADER = 48                    # sizeof(struct tpacket3_hdr), padding included
MAX_SNAP = 1 << 18
MAX_MAC = 1 << 10
BLK_LEN = struct.Struct("I")   # at +20 of a block: bytes used, the block descriptor included
MIN_BATCH = 16                 # fewer frames than this: reading them one by one costs less
PLAUSIBLE_SPAN = 3600          # seconds between a block's first frame and any other candidate


def block_frames(ring, base: int, block_size: int):
    """(starts, caplens, ts, wirelens) of the block's frames, offsets into `ring`; None: read it plainly."""
    _status, count, first = BLOCK.unpack_from(ring, base + 8)
    used = min(BLK_LEN.unpack_from(ring, base + 20)[0], block_size)     # bytes the kernel filled
    if count < MIN_BATCH or first % ALIGN or first + HEADER > used:
        return None
    slots = (used - first - HEADER) // ALIGN + 1
    field = {name: np.ndarray((slots,), dtype=np.uint32, buffer=ring, offset=base + first + at, strides=(ALIGN,))
             for name, at in (("next", 0), ("sec", 4), ("nsec", 8), ("snap", 12), ("len", 16), ("status", 20))}
    mac = np.ndarray((slots,), dtype=np.uint16, buffer=ring, offset=base + first + 24, strides=(ALIGN,))
    nxt, sec, snap = field["next"], field["sec"], field["snap"]
    candidates = np.flatnonzero(sec - sec[0] <= PLAUSIBLE_SPAN)       # one pass over the slots; the rest
    plausible = ((nxt[candidates] % ALIGN == 0) & (snap[candidates] <= MAX_SNAP)  # only on these
                 & (mac[candidates] < MAX_MAC) & (field["nsec"][candidates] < 1_000_000_000))
    candidates = candidates[plausible]
    if not len(candidates) or candidates[0] != 0:
        return None
    steps = nxt[candidates].astype(np.int64)
    ends = np.where(steps > 0, candidates + steps // ALIGN, -1)
    chain = candidates[follow(candidates, ends)]
    if len(chain) != count or nxt[chain[-1]] != 0 or (field["status"][chain] & TP_STATUS_VLAN_VALID).any():
        return None
    headers = base + first + chain * ALIGN
    starts = headers + mac[chain].astype(np.int64)
    caplens = snap[chain].astype(np.int64)
    if (starts + caplens > base + used).any():
        return None
    ts = sec[chain].astype(np.float64) + field["nsec"][chain].astype(np.float64) * 1e-9
    return starts, caplens, ts, field["len"][chain].astype(np.int64)


def feed_block(counter: BatchCounter, source, base: int) -> None:
    """One ready block of `source` (a LiveSource) into the pipeline behind `counter`."""
    frames = block_frames(source.ring, base, source.block_size)
    if frames is None:
        counter.pipeline.feed_many(source.frames(base))
    else:
        counter.feed(source.ring, *frames, 1)
