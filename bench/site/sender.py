"""Replays the site's frames onto the sender end of the veth at a target packet rate.

AF_PACKET with a PACKET_TX_RING (TPACKET_V2): frames are copied into the shared ring and one send()
hands a whole batch to the kernel; numpy fills a batch's slots at once (`fill`). Pacing is per
batch of 1 ms worth of frames. It runs in a process of its own (forked after the frames are built, so
the buffer is shared copy-on-write) that enters the sender namespace, and reports through a pipe the
wall time at which each marked frame (a truth incident's first frame) went out, and per step the
frames sent, the rate reached and the sender's CPU seconds (user + system: its transmit, and the veth
peer's receive and the capture's delivery where they ran on its core).
"""
from __future__ import annotations

import os
import time
from bisect import bisect_left

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bench.txring import DATA_AT, TP_STATUS_SEND_REQUEST, cpu_seconds, open_tx_ring

from .netns import enter
from .plan import SETTLE_S, step_counts

FRAME_SIZE, FRAMES_PER_BLOCK, BLOCKS = 2048, 2, 1024      # 2048 frames of up to 2 KiB - header
MAX_BATCH = 256                                           # below the peer's netdev backlog (1000)
WINDOW = 256                                              # bytes gathered per short frame


class TxRing:
    def __init__(self, iface: str):
        self.sock, self.ring, self.slots = open_tx_ring(iface, FRAME_SIZE, FRAME_SIZE * FRAMES_PER_BLOCK, BLOCKS)
        self.rows = np.frombuffer(self.ring, np.uint8).reshape(self.slots, FRAME_SIZE)
        self.next = 0

    def send(self, frames: "SendBuffer", first: int, last: int) -> None:
        """Frames first..last-1 (at most self.slots of them), then one send() that waits for all."""
        self.next = fill(self.rows, self.next, frames, first, last)
        self.sock.send(b"")


class SendBuffer:
    """The site's frames as numpy sees them: frame i is data[offsets[i]:offsets[i + 1]], and
    `windows[s]` is the WINDOW bytes from s (a view, nothing copied)."""

    def __init__(self, buf, offsets):
        self.data = np.frombuffer(buf, np.uint8)
        self.offsets = np.frombuffer(offsets, np.uint64).astype(np.int64)
        self.windows = sliding_window_view(self.data, min(WINDOW, len(self.data)))


def fill(rows: np.ndarray, slot: int, frames: SendBuffer, first: int, last: int) -> int:
    """Frames first..last-1 into the ring's slots (`rows`, one per slot) from `slot` on, marked for
    sending; the next free slot. A frame of up to WINDOW bytes (nearly all: RTP, RTCP) is copied as
    one row of a 2-D gather with the others, what follows it in the window landing past its tp_len
    (never sent); longer ones one by one: no Python step per frame (0.19 us a frame in 256-frame
    batches of the site's frames, measured into an ordinary array)."""
    starts = frames.offsets[first:last]
    lengths = frames.offsets[first + 1:last + 1] - starts
    slots = (slot + np.arange(last - first)) % len(rows)
    short = (lengths <= WINDOW) & (starts < len(frames.windows))
    rows[slots[short], DATA_AT:DATA_AT + frames.windows.shape[1]] = frames.windows[starts[short]]
    for i in np.flatnonzero(~short).tolist():
        start, length = int(starts[i]), int(lengths[i])
        rows[slots[i], DATA_AT:DATA_AT + length] = frames.data[start:start + length]
    words = rows.view(np.uint32)                                     # tp_status, tp_len, tp_snaplen, ...
    words[slots, 1] = lengths
    words[slots, 2] = lengths
    words[slots, 0] = TP_STATUS_SEND_REQUEST                         # status last: the kernel may take it
    return int(slots[-1] + 1) % len(rows)


def replay(frames, marks: list[int], steps: list[tuple[float, float]], ns: str, iface: str, out,
           cpu: int | None = None) -> None:
    """Child process: steps are (rate pps, seconds). Writes 'mark <frame> <wall>' and 'step <i> <sent>
    <seconds> <wall> <cpu seconds>' lines to `out` (a pipe's write end, text). `cpu`: the one it runs on."""
    enter(ns)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    ring = TxRing(iface)
    frames = SendBuffer(frames.buf, frames.offsets)
    total = len(frames.offsets) - 1
    marks = sorted(marks)
    at = 0
    for number, ((rate, _), count) in enumerate(zip(steps, step_counts(steps, total))):
        batch = max(1, min(MAX_BATCH, int(rate / 1000)))
        started, cpu0 = time.monotonic(), cpu_seconds()
        sent = 0
        while sent < count:
            n = min(batch, count - sent)
            first = at + sent
            ring.send(frames, first, first + n)
            now = time.time()
            m = bisect_left(marks, first)
            while m < len(marks) and marks[m] < first + n:
                out.write(f"mark {marks[m]} {now:.6f}\n")
                m += 1
            sent += n
            ahead = started + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        out.write(f"step {number} {sent} {time.monotonic() - started:.6f} {time.time():.6f} "
                  f"{cpu_seconds() - cpu0:.3f}\n")
        out.flush()
        at += sent
        if number < len(steps) - 1:
            time.sleep(SETTLE_S)           # the collector reports its counters every 5 s: let them land
    out.write("done\n")
    out.flush()


def start(frames, marks, steps, ns: str, iface: str, cpu: int | None = None) -> tuple[int, "os.FileIO"]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: replay, then exit without cleanup handlers
        os.close(read_end)
        code = 0
        try:
            with os.fdopen(write_end, "w", buffering=1) as out:
                replay(frames, marks, steps, ns, iface, out, cpu)
        except BaseException as exc:               # reported to the parent as a line, then exit 1
            try:
                os.write(write_end, f"error {exc!r}\n".encode())
            except OSError:
                pass
            code = 1
        os._exit(code)
    os.close(write_end)
    return pid, os.fdopen(read_end, "r")
