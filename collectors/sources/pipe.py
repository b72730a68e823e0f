"""Captures that cannot seek: `-` (standard input), /dev/stdin, FIFOs, `ssh sensor cat x | ...`.

scapy's readers need two things a pipe lacks: `seek(0)` after sniffing the gzip magic, and `tell()`
for where the last whole record ended. `Pipe` wraps the stream to give both without buffering it:
the first bytes read are kept (`HEAD`) so a rewind to the start replays them, and the position is
counted. Nothing else is held, so a capture of any length streams through (`tcpdump -w - | ...`)."""
from __future__ import annotations

import errno
import sys
from typing import BinaryIO

STDIN = "-"
HEAD = 64            # enough for every magic scapy sniffs before it rewinds


def open_stream(path: str) -> "BinaryIO | Pipe | None":
    """A `Pipe` over `path` when it cannot seek (`-` is standard input), else None: scapy opens
    seekable files itself. Raises OSError like `open`."""
    if path == STDIN:
        return Pipe(sys.stdin.buffer, "<stdin>")
    stream = open(path, "rb")
    if stream.seekable():
        stream.close()
        return None
    return Pipe(stream, path)


class Pipe:
    def __init__(self, stream: BinaryIO, name: str):
        self._stream, self.name = stream, name
        self._head = b""                    # the first HEAD bytes of the stream
        self._consumed = self._position = 0     # bytes taken from the stream; where the reader is

    def read(self, size: int = -1) -> bytes:
        replayed = b""
        if self._position < self._consumed:                     # after a rewind: the kept head first
            end = self._consumed if size < 0 else min(self._consumed, self._position + size)
            replayed, self._position = self._head[self._position:end], end
            size = size if size < 0 else size - len(replayed)
            if size == 0:
                return replayed
        data = self._stream.read(size)
        self._head += data[:max(0, HEAD - self._consumed)]
        self._consumed += len(data)
        self._position += len(data)
        return replayed + data

    def seek(self, offset: int, whence: int = 0) -> int:
        """Only back into the kept head (scapy's rewind after the gzip magic)."""
        if whence != 0 or not 0 <= offset <= self._consumed or self._consumed > HEAD:
            raise OSError(errno.ESPIPE, "Illegal seek")
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._stream is not sys.stdin.buffer:
            self._stream.close()

    @property
    def closed(self) -> bool:
        return self._stream.closed
