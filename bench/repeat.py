"""The 10M-packet capture of `make bench`: the 1M capture's records written ten times, each copy's
timestamps moved past the previous copy's end plus twice the idle timeout (so every copy's streams
are new streams, as ten successive busy minutes of a mirror port would give). Record headers are
rewritten with numpy (one pass per copy), the frames are copied unchanged."""
from __future__ import annotations

import os
import struct

import numpy as np

from collectors.batch.records import plain_records
from collectors.sources.pcapfile import MAX_RECORD, RecordLayout

COPIES = 10
GAP_S = 120


def ensure_repeated(source: str, target: str, copies: int = COPIES) -> int:
    """Makes `target` from `source` unless it is there with the right size; returns its packet count."""
    data = open(source, "rb").read()
    header, body = data[:24], data[24:]
    layout = RecordLayout(struct.Struct("<IIII"), 1e-6, 1, MAX_RECORD)
    offsets = plain_records(body, 0, layout)[0]
    if os.path.exists(target) and os.path.getsize(target) == 24 + copies * len(body):
        return copies * len(offsets)
    seconds = np.ndarray((len(body) - 3,), dtype="<u4", buffer=body, strides=(1,))[offsets].astype(np.int64)
    span = int(seconds.max() - seconds.min()) + GAP_S
    with open(target + ".tmp", "wb") as f:
        f.write(header)
        for copy in range(copies):
            out = bytearray(body)
            view = np.ndarray((len(out) - 3,), dtype="<u4", buffer=out, strides=(1,))
            view[offsets] = (seconds + copy * span).astype(np.uint32)
            f.write(out)
    os.replace(target + ".tmp", target)
    return copies * len(offsets)
