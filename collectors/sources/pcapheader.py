"""A classic pcap file opened without scapy: scapy's import costs ~0.1 s of every `appliance analyze`
run, and for an uncompressed, seekable classic pcap file its reader only parses the 24-byte global
header (records are cut from large reads by `PcapFileSource`). Anything else (pcapng, gzip, a pipe,
a header that is not classic pcap) still opens through scapy's `RawPcapReader`."""
from __future__ import annotations

import struct
from typing import BinaryIO

# magic -> (byte order, nanosecond timestamps), as scapy's RawPcapReader reads them
MAGICS = {b"\xa1\xb2\xc3\xd4": (">", False), b"\xd4\xc3\xb2\xa1": ("<", False),
          b"\xa1\xb2\x3c\x4d": (">", True), b"\x4d\x3c\xb2\xa1": ("<", True)}
GLOBAL_HEADER = 24


class ClassicPcapReader:
    """What `PcapFileSource` reads of scapy's `RawPcapReader` for a classic pcap file: the open file
    positioned after the global header, its byte order, time resolution and link type."""

    def __init__(self, f: BinaryIO, endian: str, nano: bool, linktype: int, snaplen: int):
        self.f, self.endian, self.nano, self.linktype, self.snaplen = f, endian, nano, linktype, snaplen

    def close(self) -> None:
        self.f.close()


def open_classic(path: str) -> ClassicPcapReader | None:
    """The reader of `path` when it is a seekable file starting with a whole classic pcap header,
    else None (the caller opens it through scapy). Raises OSError like `open`."""
    f = open(path, "rb")
    try:
        head = f.read(GLOBAL_HEADER) if f.seekable() else b""
    except BaseException:
        f.close()
        raise
    form = MAGICS.get(head[:4])
    if form is None or len(head) < GLOBAL_HEADER:
        f.close()
        return None
    endian, nano = form
    snaplen, linktype = struct.unpack_from(endian + "II", head, 16)
    return ClassicPcapReader(f, endian, nano, linktype, snaplen)
