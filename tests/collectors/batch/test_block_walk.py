"""A capture worker's walk of its ring blocks (`kernel.BlockWalk`) keeps its cache of settled streams from
block to block: here on TPACKET_V3 blocks built in memory, with the housekeeping a worker does between
blocks (sweeps on the wall clock forget quiet flows and their entries), against the same frames fed one
by one. The real ring is in test_ring."""
from __future__ import annotations

import json
import struct

import pytest

from collectors.batch import kernel
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.snapshot import take_snapshot
from collectors.sources.live import BLOCK, PKT3, LiveSource
from tests.collectors.batch.test_equivalence import MIXES, calls

pytestmark = pytest.mark.skipif(not kernel.available(), reason="the compiled walk is not built here")
HEADER = 48                   # sizeof(struct tpacket3_hdr), where the kernel puts the frame (tp_mac)
FIRST = 48                    # offset of a block's first frame header


class MemoryRing:
    """Blocks of frames laid out as the kernel writes a TPACKET_V3 ring, and `frames_from` as LiveSource."""
    frames_from = LiveSource.frames_from

    def __init__(self, blocks: list[list[tuple[float, bytes]]]):
        block_size = max(FIRST + sum(HEADER + len(frame) + 16 for _, frame in block) for block in blocks)
        self.ring = bytearray(block_size * len(blocks))
        self.bases = [n * block_size for n in range(len(blocks))]
        for base, frames in zip(self.bases, blocks):
            pos = base + FIRST
            BLOCK.pack_into(self.ring, base + 8, 1, len(frames), FIRST)
            for n, (ts, frame) in enumerate(frames):
                step = (HEADER + len(frame) + 15) & ~15 if n < len(frames) - 1 else 0
                sec = int(ts)
                PKT3.pack_into(self.ring, pos, step, sec, round((ts - sec) * 1e9), len(frame), len(frame), 1, HEADER, 0)
                self.ring[pos + HEADER:pos + HEADER + len(frame)] = frame
                pos += step


def in_blocks(frames: list, per_block: int) -> list[list]:
    return [frames[n:n + per_block] for n in range(0, len(frames), per_block)]


def snapshot(pipeline) -> str:
    pipeline.finish()
    return json.dumps(take_snapshot(pipeline), sort_keys=True, default=str)


@pytest.mark.parametrize("per_block", [7, 64, 500])
def test_entries_kept_between_blocks_count_as_frame_by_frame(per_block):
    """Many streams, few frames per block (most streams skip most blocks), flows going quiet and coming
    back, wall-clock sweeps between blocks: the same report and counts as feeding the frames one by one."""
    frames = [(ts, bytes(frame)) for ts, frame in calls(*MIXES["busy"][:6], *MIXES["shapes"])]
    blocks = in_blocks(frames, per_block)
    ring = MemoryRing(blocks)
    settings = PipelineSettings(idle_timeout=2.0)
    walked, each = Pipeline(lambda event: None, settings), Pipeline(lambda event: None, settings)
    walk = kernel.BlockWalk(walked)
    for n, (base, block) in enumerate(zip(ring.bases, blocks)):
        walk.feed(ring, base)
        each.feed_many([(ts, 1, frame, len(frame)) for ts, frame in block])
        if n % 5 == 4:                       # the worker's housekeeping between blocks, past the idle timeout
            for pipeline in (walked, each):
                pipeline.tick(block[-1][0] + 3.0)
    walk.close()
    assert walked.fast.watch is None
    assert (walked.packets, walked.bytes) == (each.packets, each.bytes) == (len(frames), sum(len(f) for _, f in frames))
    assert snapshot(walked) == snapshot(each)


def test_the_cache_outlives_a_block():
    """The point of it: a settled stream's entry is looked up once, not once per block, so frames in later
    blocks are counted without a dict look-up (an entry swapped behind the walker's back, with no hook
    call, is not seen: the walker still counts into the one it holds)."""
    frames = [(ts, bytes(frame)) for ts, frame in calls(MIXES["busy"][0])]
    blocks = in_blocks(frames, 50)
    ring = MemoryRing(blocks)
    pipeline = Pipeline(lambda event: None)
    walk = kernel.BlockWalk(pipeline)
    for base in ring.bases[:len(blocks) // 2]:
        walk.feed(ring, base)
    entries = pipeline.fast.entries
    assert entries, "no stream settled in the first half of the call"
    held = dict(entries)
    counts = {key: entry.packets for key, entry in held.items()}
    for key, entry in held.items():           # replaced without the hook: a walker that looked up again
        entries[key] = type(entry)(entry.flow, entry.stream, entry.ssrc_bytes, entry.pt)   # would count here
    for base in ring.bases[len(blocks) // 2:]:
        walk.feed(ring, base)
    walk.close()
    assert all(entry.packets == 0 for entry in entries.values() if entry not in held.values())
    assert any(held[key].packets > counts[key] for key in held)
