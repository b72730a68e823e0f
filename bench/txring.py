"""A sender faster than the collector: frames of the bench capture through an AF_PACKET TX ring.

`python -m bench.txring INTERFACE PCAP RATE SECONDS` (run in the sending namespace) loads the bench
capture's frames of at most SLOT_DATA bytes (its RTP and RTCP; SIP is left out) and sends them in a
loop for SECONDS at RATE frames/s (0: as fast as it can). The ring is filled with numpy a chunk of
slots at a time and one `send` hands the chunk to the kernel: no Python step per frame, so the
sender reaches several hundred thousand frames/s where tcpreplay stops near 200,000 here. Prints
one JSON line: frames sent, seconds, rate reached, and the CPU seconds of the sending loop (user +
system: the kernel's transmit and whatever receive work ran on the sender's core meanwhile). Frames are not rewritten: the collector sees the
capture's streams again on every loop (same 5-tuples and SSRCs).
"""
from __future__ import annotations

import json
import mmap
import resource
import socket
import struct
import sys
import time

import numpy as np

from collectors.batch.records import plain_records
from collectors.sources.pcapfile import MAX_RECORD, RecordLayout

SOL_PACKET, PACKET_VERSION, PACKET_TX_RING, TPACKET_V2 = 263, 10, 13, 1
ETH_P_IP = 0x0800                   # bound to a protocol: a packet socket bound to 0 sends frames receivers do not tap
TP_STATUS_AVAILABLE, TP_STATUS_SEND_REQUEST = 0, 1
FRAME, DATA_AT = 512, 32            # ring slot size; frame data after the tpacket2_hdr (TPACKET2_HDRLEN - sockaddr_ll)
SLOT_DATA = FRAME - DATA_AT
BLOCK, BLOCKS = 1 << 20, 8
CHUNK = 1024                        # slots filled and sent per `send`
MAX_FRAMES = 60_000


def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(frames as rows of SLOT_DATA bytes, their lengths) of the capture's small frames."""
    with open(path, "rb") as f:
        f.read(24)
        body = f.read(MAX_FRAMES * 300)
    offsets = plain_records(body, 0, RecordLayout(struct.Struct("<IIII"), 1e-6, 1, MAX_RECORD))[0]
    u8 = np.frombuffer(body, np.uint8)
    lengths = np.ndarray((len(body) - 11,), "<u4", buffer=body, offset=8, strides=(1,))[offsets].astype(np.int64)
    keep = lengths <= SLOT_DATA
    offsets, lengths = offsets[keep], lengths[keep]
    index = np.minimum(offsets[:, None] + 16 + np.arange(SLOT_DATA), len(u8) - 1)
    return u8[index], lengths


def open_tx_ring(interface: str, frame: int, block: int, blocks: int) -> tuple[socket.socket, mmap.mmap, int]:
    """An AF_PACKET socket with a TPACKET_V2 transmit ring of `blocks` x `block` bytes in `frame`-byte
    slots, bound to `interface`: (socket, the mapped ring, number of slots). Frame data goes at DATA_AT
    in a slot, its length in tp_len, then TP_STATUS_SEND_REQUEST; one `send(b"")` sends what is marked."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
    slots = block * blocks // frame
    sock.setsockopt(SOL_PACKET, PACKET_TX_RING, struct.pack("IIII", block, blocks, frame, slots))
    sock.bind((interface, ETH_P_IP))
    ring = mmap.mmap(sock.fileno(), block * blocks, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    return sock, ring, slots


def main(interface: str, path: str, rate: float, seconds: float) -> None:
    frames, lengths = load(path)
    sock, ring, slots = open_tx_ring(interface, FRAME, BLOCK, BLOCKS)
    rows = np.frombuffer(ring, np.uint8).reshape(slots, FRAME)
    words = np.frombuffer(ring, np.uint32).reshape(slots, FRAME // 4)
    sent, slot, pick, started, cpu0 = 0, 0, 0, time.monotonic(), cpu_seconds()
    deadline = started + seconds
    while time.monotonic() < deadline:
        chunk = np.arange(slot, slot + CHUNK) % slots
        while (words[chunk, 0] != TP_STATUS_AVAILABLE).any():       # the kernel still sending these
            sock.send(b"")
        take = np.arange(pick, pick + CHUNK) % len(lengths)
        rows[chunk, DATA_AT:] = frames[take]
        words[chunk, 1] = lengths[take]                              # tp_len
        words[chunk, 0] = TP_STATUS_SEND_REQUEST
        sock.send(b"")
        sent += CHUNK
        slot, pick = (slot + CHUNK) % slots, (pick + CHUNK) % len(lengths)
        if rate:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    while (words[:, 0] == TP_STATUS_SEND_REQUEST).any():
        sock.send(b"")
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu0
    del rows, words
    ring.close()
    sock.close()
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "pps": round(sent / elapsed), "cpu_s": round(cpu, 3)}),
          flush=True)


def cpu_seconds() -> float:
    """This process's user + system CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
