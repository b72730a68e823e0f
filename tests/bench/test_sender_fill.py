"""The site bench's sender fills its TX ring with numpy, a batch at a time: every slot must hold exactly
its frame's bytes and length, whatever the frames' sizes, the batch sizes and the ring's wrap-around."""
from __future__ import annotations

import random
import struct

import numpy as np

from bench.site.sender import FRAME_SIZE, WINDOW, SendBuffer, fill
from bench.site.timeline import Frames
from bench.txring import DATA_AT, TP_STATUS_SEND_REQUEST


def test_every_slot_holds_its_frame_through_batches_and_wrap_around():
    chance = random.Random(7)
    frames = Frames()
    sizes = [60, WINDOW - 1, WINDOW, WINDOW + 1, 214, 1500] + [chance.randint(42, 1514) for _ in range(400)]
    for size in sizes + [64, 60]:                     # short frames last: their window would run off the end
        frames.add(bytes(chance.getrandbits(8) for _ in range(size)))
    slots = 37                                        # a small ring: batches wrap around it many times
    rows = np.zeros((slots, FRAME_SIZE), np.uint8)
    buffer, at, slot = SendBuffer(frames.buf, frames.offsets), 0, 0
    while at < len(frames):
        last = min(len(frames), at + chance.randint(1, slots))
        slot = fill(rows, slot, buffer, at, last)
        for i in range(at, last):
            row = rows[(slot - (last - i)) % slots]
            status, length, snaplen = struct.unpack_from("=III", row)
            frame = bytes(frames.buf[frames.offsets[i]:frames.offsets[i + 1]])
            assert (status, length, snaplen) == (TP_STATUS_SEND_REQUEST, len(frame), len(frame))
            assert bytes(row[DATA_AT:DATA_AT + length]) == frame, f"frame {i} of {len(frame)} bytes"
        at = last
