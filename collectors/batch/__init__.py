"""The batched fast path: settled RTP streams counted a batch of frames at a time.

A batch is a TPACKET_V3 ring block live, or offline a read buffer of a pcap file (`offline`) or
the plain Enhanced Packet Blocks of a pcapng buffer (`blocks`), gzip input decompressed first.
The fixed-offset fields of every frame of the batch (Ethernet/IPv4/UDP shape, 5-tuple, RTP SSRC
and payload type, UDP length) are read at once with numpy on the buffer, frames are grouped by
5-tuple, and each settled stream's counters are brought up to date once per stretch of the batch;
only the frames that need the full path (new flows, SIP, TLS, DTLS/STUN/ZRTP, undecided streams,
anything that does not match its stream's entry) are cut out and go through `Pipeline`'s per-frame
path, in order.

Classic pcap buffers take the compiled walk instead where it was built (`kernel`: settled streams
counted in C record by record, without numpy).

The result is the per-frame path's, exactly (`tests/collectors/batch` compares the two reports on
every capture of the suite). Without numpy, `available()` is False and the pipeline keeps its
per-frame loops, which give the same results.
"""
from __future__ import annotations


def available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True
