"""The live capture loop of one worker: ring blocks into the pipeline, housekeeping on the wall
clock (idle expiry also when the port falls silent), and SIP learnt by other workers applied here.

Workers joined by PACKET_FANOUT each see whole flows, but a call's SIP and its media are different
flows and may land in different workers: the SIP messages that change calls are shared (`share`
seam out, `inbox` seam in) so every worker can tie its media to calls.
"""
from __future__ import annotations

import time

TICK = 0.1


class CaptureLoop:
    def __init__(self, source, pipeline, inbox=None):
        self.source = source
        self.pipeline = pipeline
        self.inbox = inbox or (lambda: ())     # -> iterable of shared SIP messages from other workers
        self.packets = 0

    def run(self, should_stop) -> None:
        pipeline, source = self.pipeline, self.source
        while not should_stop():
            before = pipeline.packets
            pipeline.feed_many(source.packets(TICK))
            self.packets += pipeline.packets - before
            for shared in self.inbox():
                pipeline.sip.apply_shared(*shared)
            pipeline.tick(time.time())

    def finish(self) -> dict:
        """Stop: every stream gets its final verdict; returns the capture counters."""
        self.pipeline.finish()
        self.source.statistics()
        return {"packets": self.pipeline.packets, "bytes": self.pipeline.bytes,
                "drops": self.source.kernel_drops, "decode_errors": self.pipeline.decode_errors}
