"""`python -m bench.memory`: memory per stream of the collector's pipeline (tracemalloc).

Feeds the first BENCH_MEMORY_PACKETS (default 300,000) frames of the bench capture (all 500 RTP
streams and their RTCP running, most settled) into a pipeline through the batched path, and divides
the memory the pipeline holds afterwards (flows, streams, calls, fast-path entries; not the
interpreter or imported modules) by its flows and by its RTP streams."""
from __future__ import annotations

import gc
import os
import sys
import tracemalloc

from bench.capture import ensure_capture
from bench.live import OUT_DIR


def main() -> int:
    limit = int(os.environ.get("BENCH_MEMORY_PACKETS", "300000"))
    pcap, _truth, _ = ensure_capture(str(OUT_DIR))
    from collectors.pipeline import Pipeline
    from collectors.sources.pcapfile import PcapFileSource
    source = PcapFileSource(pcap)
    fed = [0]

    def consume(buf, pos, layout):
        if fed[0] >= limit:
            return len(buf), 0, True        # stop reading (reported as a cut capture, ignored here)
        result = pipeline.feed_records(buf, pos, layout)
        fed[0] += result[1]
        return result

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pipeline = Pipeline(lambda event: None)
    source.walk(consume)
    pipeline.fast.flush()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    flows = len(pipeline.udp.flows) + len(pipeline.tcp.flows)
    rtp = sum(1 for f in pipeline.udp.flows.values() if f.rtp is not None)
    print(f"memory: {fed[0]:,} frames fed, {flows} flows ({rtp} RTP streams) hold {held / 2**20:.1f} MiB: "
          f"{held / max(flows, 1) / 1024:.1f} KiB per flow, {held / max(rtp, 1) / 1024:.1f} KiB per RTP stream")
    return 0


if __name__ == "__main__":
    sys.exit(main())
