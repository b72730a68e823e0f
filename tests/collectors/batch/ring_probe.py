"""Run inside a namespace by test_ring.py: reads ring blocks for a while and prints, as JSON, how the
batched reading of each block (`block_frames`) compares with reading it frame by frame (blocks the
batch leaves to the frame-by-frame reading are counted, not compared)."""
from __future__ import annotations

import json
import sys
import time

from collectors.batch.ring import block_frames
from collectors.sources.live import LiveSource


def main(interface: str, seconds: float) -> None:
    source = LiveSource(interface, bpf_filter=None, block_size=1 << 16, block_count=8, block_timeout_ms=10)
    print("ready", flush=True)
    result = {"blocks": 0, "batched": 0, "frames": 0, "different": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for base in source.blocks(0.1):
            plain = list(source.frames(base))
            found = block_frames(source.ring, base, source.block_size)
            result["blocks"] += 1
            result["frames"] += len(plain)
            if found is None:
                continue
            result["batched"] += 1
            starts, caplens, ts, wirelens = found
            batched = [(float(t), 1, bytes(source.ring[s:s + c]), int(w))
                       for s, c, t, w in zip(starts.tolist(), caplens.tolist(), ts, wirelens.tolist())]
            result["different"] += batched != [tuple(f) for f in plain]
    source.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
