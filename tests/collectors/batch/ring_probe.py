"""Run inside a namespace by test_ring.py: reads ring blocks for a while and prints, as JSON, how the
batched reading of each block (`block_frames`) compares with reading it frame by frame (blocks the
batch leaves to the frame-by-frame reading are counted, not compared), and how the compiled walk
compares: the frames a walker hands back when no stream is settled, and a pipeline fed every block
through a worker's walk (`kernel.BlockWalk`, its cache of entries kept from block to block) against one
fed the same frames one by one (their reports, as JSON)."""
from __future__ import annotations

import json
import sys
import time

from collectors.batch import kernel
from collectors.batch.ring import block_frames
from collectors.pipeline import Pipeline
from collectors.snapshot import take_snapshot
from collectors.sources.live import BLOCK, LiveSource, tagged


def main(interface: str, seconds: float) -> None:
    source = LiveSource(interface, bpf_filter=None, block_size=1 << 16, block_count=8, block_timeout_ms=10)
    print("ready", flush=True)
    result = {"blocks": 0, "batched": 0, "frames": 0, "different": 0, "walked_different": 0}
    walked, each = Pipeline(lambda event: None), Pipeline(lambda event: None)
    walk = kernel.BlockWalk(walked) if kernel.available() else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for base in source.blocks(0.1):
            plain = list(source.frames(base))
            found = block_frames(source.ring, base, source.block_size)
            result["blocks"] += 1
            result["frames"] += len(plain)
            if walk is not None:
                result["walked_different"] += handed_back(source, base) != [tuple(f) for f in plain]
                walk.feed(source, base)
                each.feed_many(plain)
            if found is None:
                continue
            result["batched"] += 1
            starts, caplens, ts, wirelens = found
            batched = [(float(t), 1, bytes(source.ring[s:s + c]), int(w))
                       for s, c, t, w in zip(starts.tolist(), caplens.tolist(), ts, wirelens.tolist())]
            result["different"] += batched != [tuple(f) for f in plain]
    source.close()
    if walk is not None:
        walk.close()
        result["walked_reports_same"] = report(walked) == report(each)
        result["walked_packets"] = (walked.packets, each.packets, walked.bytes, each.bytes)
    print(json.dumps(result), flush=True)


def handed_back(source, base: int) -> list:
    """Every frame of the block as a walker hands it back when no stream is settled (it counts none, so
    each step reads one frame), with its wire length (the walker's running total, taken after each step)."""
    walker, ring = kernel.Walker(True, 1e-9, 1, 0), source.ring
    _status, left, first = BLOCK.unpack_from(ring, base + 8)
    pos, frames = base + first, []
    walker.take()
    while True:
        code, pos, left, ts, frame, common, header = walker.step_block(ring, pos, left, {}, float("inf"))
        if code not in (kernel.FRAME, kernel.VLAN):
            return frames
        frames.append((ts, 1, tagged(frame, ring, header) if code == kernel.VLAN else frame, walker.take()[1]))


def report(pipeline) -> str:
    pipeline.finish()
    return json.dumps(take_snapshot(pipeline), sort_keys=True, default=str)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
