"""The classic pcap reader through the project's file source: the input, behind a global header built
from its first byte (or as the whole file), written to a temp file and read both ways the analyzer
does (record iterator and bulk walk) into a pipeline. Only NotACaptureError may leave the source."""
from __future__ import annotations

import gzip
import os
import struct
import tempfile

from collectors.errors import NotACaptureError
from collectors.pipeline import Pipeline
from collectors.sources.pcapfile import PcapFileSource

LINKTYPES = (1, 101, 113, 276, 0, 108, 1, 228)
_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
PATH = os.path.join(_DIR, f"fuzz-capture-{os.getpid()}")


def pcap_header(flag: int) -> bytes:
    endian = ">" if flag & 1 else "<"
    magic = 0xA1B23C4D if flag & 2 else 0xA1B2C3D4
    return struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, LINKTYPES[flag >> 5])


def read_through(path: str, walk: bool) -> None:
    try:
        source = PcapFileSource(path)
    except NotACaptureError:
        return
    pipeline = Pipeline(lambda event: None)
    if walk and source.walkable:
        source.walk(pipeline.feed_records)
    else:
        pipeline.feed_many(source.packets())
    pipeline.finish()
    source.position
    assert all(isinstance(w, str) for w in source.warnings)


def write(data: bytes, compress: bool) -> str:
    with open(PATH, "wb") as f:
        f.write(gzip.compress(data, compresslevel=1) if compress else data)
    return PATH


def fuzz(data: bytes) -> None:
    if not data:
        return
    flag, body = data[0], data[1:]
    content = body if flag & 8 else pcap_header(flag) + body
    read_through(write(content, bool(flag & 4)), walk=bool(flag & 16))
