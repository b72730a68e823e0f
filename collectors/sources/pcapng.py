"""pcapng blocks read from a buffer (`PcapFileSource.walk`), the way scapy's reader reads them.

An Enhanced Packet Block without options on a described interface (what capture tools write for
nearly every packet) is cut out of the buffer directly: its frame is the block's packet data, its
time `((high << 32) | low) / tsresol` of its interface. Every other block (section and interface
headers, statistics, name resolution, simple or obsolete packet blocks, EPBs with options or on an
interface the file did not describe) is handed whole to scapy's own block reader, which keeps the
byte order and interface table and gives the same frames, warnings and errors as reading the file
block by block (`PcapFileSource.packets`).
"""
from __future__ import annotations

import io
import struct

from collectors.sources.frame import Frame

SHB, EPB = 0x0A0D0D0A, 6
EPB_FIXED = 32                  # block type, length, interface, time (2), caplen, wirelen; trailing length
BYTE_ORDER = {b"\x1a\x2b\x3c\x4d": ">", b"\x4d\x3c\x2b\x1a": "<"}


class BlockLayout:
    """How to read the blocks of a pcapng file: scapy's reader holds the byte order of the current
    section and its interfaces; `PcapFileSource.walk` hands this to `Pipeline.feed_records`."""
    pcapng = True

    def __init__(self, reader, max_record: int, errors: tuple, quiet):
        self.reader = reader
        self.max_record = max_record
        self.errors = errors                    # what scapy raises on a damaged block
        self._quiet = quiet                     # a context that silences scapy's warnings
        self._table: list[tuple[int, float]] | None = None

    @property
    def endian(self) -> str:
        """"<" or ">": the current section's byte order."""
        return ">" if self.reader.endian == "!" else self.reader.endian

    def record_size(self, head: bytes) -> int | None:
        """Bytes of the block starting `head`; None: its header is not all there or is impossible."""
        if len(head) < 12:
            return None
        btype, length = struct.unpack_from(self.endian + "II", head)
        if btype == SHB:
            endian = BYTE_ORDER.get(head[8:12])
            if endian is None:
                return None
            length = struct.unpack_from(endian + "I", head, 4)[0]
        return None if length < 12 else length + (-length % 4)

    def interfaces(self) -> list[tuple[int, float]]:
        """(link type, ticks per second as a float) of each described interface, by id."""
        if self._table is None:         # only scapy's blocks change it
            self._table = [(linktype, float(options["tsresol"]))
                           for linktype, _snaplen, options in self.reader.interfaces]
        return self._table

    def scapy_block(self, block: bytes) -> Frame | None:
        """scapy's reading of one whole block; raises as scapy does on a damaged one."""
        reader = self.reader
        stream = reader.f
        reader.f = io.BytesIO(block)
        self._table = None
        try:
            with self._quiet():
                record = reader._read_block(self.max_record)
        finally:
            reader.f = stream
        if record is None:
            return None
        data, meta = record
        ts = 0.0 if meta.tshigh is None else ((meta.tshigh << 32) | meta.tslow) / float(meta.tsresol)
        return Frame(ts, meta.linktype, data, meta.wirelen)

    def read_blocks(self, buf: bytes, pos: int, frames: list, limit: int | None = None) -> tuple[int, int, bool]:
        """The whole blocks of `buf` from `pos` (at most `limit`), their frames appended to `frames`
        in order: (where the first incomplete block starts, from `pos`; frames; damaged)."""
        size, start, count, blocks = len(buf), pos, 0, 0
        errors = self.errors
        while size - pos >= 12 and (limit is None or blocks < limit):
            endian = self.reader.endian
            btype, length = struct.unpack_from(endian + "II", buf, pos)
            if btype == SHB:
                endian = BYTE_ORDER.get(buf[pos + 8:pos + 12])
                if endian is None:
                    return pos - start, count, True         # scapy: bad magic, nothing after it is read
                length = struct.unpack_from(endian + "I", buf, pos + 4)[0]
            if length < 12:
                return pos - start, count, True
            end = pos + length + (-length % 4)
            if end > size:
                break
            frame = self._plain_epb(buf, pos, length, endian) if btype == EPB else None
            if frame is None:
                try:
                    frame = self.scapy_block(buf[pos:end])
                except errors:
                    return pos - start, count, True
            if frame is not None:
                frames.append(frame)
                count += 1
            pos = end
            blocks += 1
        return pos - start, count, False

    def _plain_epb(self, buf: bytes, pos: int, length: int, endian: str) -> Frame | None:
        interface, high, low, caplen, wirelen = struct.unpack_from(endian + "5I", buf, pos + 8)
        table = self.interfaces()
        if length != EPB_FIXED + caplen + (-caplen % 4) or interface >= len(table) or caplen > self.max_record \
                or struct.unpack_from(endian + "I", buf, pos + length - 4)[0] != length:
            return None
        linktype, tsresol = table[interface]
        return Frame(((high << 32) | low) / tsresol, linktype, buf[pos + 28:pos + 28 + caplen], wirelen)
