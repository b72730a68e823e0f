"""The live capture loop of one worker: ring blocks into the pipeline, housekeeping on the wall
clock (idle expiry also when the port falls silent), and SIP learnt by other workers applied here.

Workers joined by PACKET_FANOUT each see whole flows, but a call's SIP and its media are different
flows and may land in different workers: the SIP messages that change calls are shared (`share`
seam out, `inbox` seam in) so every worker can tie its media to calls.
"""
from __future__ import annotations

import time

from collectors.batch import kernel

try:        # imported with the capture loop, before any ring opens: importing numpy takes longer than a
    from collectors.batch.ring import feed_block    # ring's slack (~0.8 s) on a busy machine
except ImportError:         # no numpy: ring blocks are read frame by frame
    feed_block = None

TICK = 0.1
COUNTERS_EVERY = 5.0


class CaptureLoop:
    def __init__(self, source, pipeline, inbox=None, on_counters=None):
        self.source = source
        self.pipeline = pipeline
        self.inbox = inbox or (lambda: ())     # -> iterable of shared SIP messages from other workers
        self.on_counters = on_counters         # called about every COUNTERS_EVERY s with (packets, drops) since
        self.packets = 0
        self._reported = (0, 0)
        self._next_counters = 0.0
        walked = kernel.available() and pipeline.settings.kernel and hasattr(source, "blocks")
        self.walk = kernel.BlockWalk(pipeline) if walked else None

    def run(self, should_stop) -> None:
        pipeline, source = self.pipeline, self.source
        while not should_stop():
            before = pipeline.packets
            self._feed(pipeline, source)
            self.packets += pipeline.packets - before
            for shared in self.inbox():
                pipeline.sip.apply_shared(*shared)
            now = time.time()
            pipeline.tick(now)
            if self.on_counters is not None and now >= self._next_counters:
                self._next_counters = now + COUNTERS_EVERY
                self.report_counters()

    def _feed(self, pipeline, source) -> None:
        """The ring's ready blocks through the compiled walk when the source hands out blocks and the walk
        was built, else as numpy batches when numpy is there, else frame by frame."""
        if self.walk is not None:
            for base in source.blocks(TICK):
                self.walk.feed(source, base)
            return
        batch = pipeline.batch_counter() if feed_block is not None and hasattr(source, "blocks") else None
        if batch is None:
            pipeline.feed_many(source.packets(TICK))
            return
        for base in source.blocks(TICK):
            feed_block(batch, source, base)

    def report_counters(self) -> None:
        """Hand on the frames processed and kernel drops since the last report (for sensor stats)."""
        self.source.statistics()
        packets, drops = self.pipeline.packets, self.source.kernel_drops
        self.on_counters(packets - self._reported[0], drops - self._reported[1])
        self._reported = (packets, drops)

    def finish(self) -> dict:
        """Stop: every stream gets its final verdict; returns the capture counters."""
        if self.walk is not None:
            self.walk.close()
        self.pipeline.finish()
        if self.on_counters is not None:
            self.report_counters()
        else:
            self.source.statistics()
        return {"packets": self.pipeline.packets, "bytes": self.pipeline.bytes,
                "drops": self.source.kernel_drops, "decode_errors": self.pipeline.decode_errors}
