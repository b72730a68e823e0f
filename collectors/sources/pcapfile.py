"""Offline source: pcap and pcapng files through scapy's raw readers.

scapy's `RawPcapReader`/`RawPcapNgReader` give bytes and metadata without per-packet dissection.
A plain classic pcap file (seekable, uncompressed) is opened without importing scapy at all
(`pcapheader`): its records are cut from large reads here either way.
`-` (standard input), FIFOs and other streams that cannot seek are read as they come, through
`pipe.Pipe`. A file cut short is read as far as it goes and reported through `warnings`; a file
that is not a capture raises `NotACaptureError` with one clear line.
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Iterator, NamedTuple

from collectors.errors import NotACaptureError
from collectors.sources.frame import Frame
from collectors.sources.pcapheader import open_classic
from collectors.sources.pcapng import BlockLayout
from collectors.sources.pipe import STDIN, Pipe, open_stream

BULK_READ = 1 << 22
MAX_RECORD = 0xFFFF * 4  # scapy bounds each record read to this


class RecordLayout(NamedTuple):
    """How to read the records of one classic pcap file."""
    header: struct.Struct      # sec, frac, caplen, wirelen in the file's byte order
    scale: float               # fraction of a second per `frac` unit
    linktype: int
    max_record: int

    def record_size(self, head: bytes) -> int | None:
        """Bytes of the record starting `head` (header included); None: its header is not all there
        or is impossible."""
        if len(head) < 16:
            return None
        caplen = self.header.unpack_from(head)[2]
        return None if caplen > self.max_record else 16 + caplen


class PcapFileSource:
    """Frames of one capture file, with read counters for progress and truncation warnings."""

    def __init__(self, path: str):
        self.path = path
        self.warnings: list[str] = []
        self.size = _file_size(path)
        self._reader = _open_reader(path)
        self._gzip = self._reader.f.__class__.__name__ == "GzipFile"
        self._stream = isinstance(self._reader.f, Pipe)

    @property
    def position(self) -> int:
        """Bytes of the file consumed so far (for progress bars)."""
        try:
            return self.size if self._gzip else self._reader.f.tell()
        except (OSError, ValueError):
            return self.size

    def packets(self) -> Iterator[Frame]:
        reader = self._reader
        ng = hasattr(reader, "interfaces")
        if not ng and not self._gzip:
            return self._bulk_records(reader)
        return self._records(reader, ng)

    @property
    def walkable(self) -> bool:
        """Its records can be handed over in bulk (`walk`): classic pcap and pcapng, compressed or not."""
        return True

    def walk(self, consume) -> None:
        """Hand whole regions of records to `consume(buf, start, layout) -> (stop, count, damaged)`,
        which walks the records itself: the fastest way through a large capture. `stop` is where
        the first incomplete record begins; `damaged` says a record header was impossible. The
        layout is a `RecordLayout` (classic pcap) or a `BlockLayout` (pcapng); gzip input is
        decompressed into the same buffers."""
        reader = self._reader
        if hasattr(reader, "interfaces"):
            _interfaces_per_section(reader)
            layout = BlockLayout(reader, MAX_RECORD, (EOFError,) + _read_errors(), _scapy_quiet)
        else:
            layout = RecordLayout(struct.Struct(reader.endian + "IIII"), 1e-9 if reader.nano else 1e-6,
                                  reader.linktype, MAX_RECORD)
        f = reader.f
        boundary, count, rest, truncated, want = f.tell(), 0, b"", False, BULK_READ
        try:
            while True:
                chunk, failed = _read_gzip(f, want) if self._gzip else (f.read(want), False)
                if not chunk and not failed:
                    truncated = bool(rest)
                    break
                buf, pos = chunk, 0
                if rest:
                    buf, pos, joined, records, damaged = _join(rest, chunk, layout, consume)
                    count += records
                    boundary += joined
                    if damaged:
                        truncated = True
                        break
                stop, records, damaged = consume(buf, pos, layout)
                count += records
                boundary += stop
                if damaged or failed:
                    truncated = True
                    break
                rest = buf[pos + stop:]
                want = BULK_READ if pos + stop else max(BULK_READ, len(rest))    # a record longer than a read
        except OSError:
            truncated = True
        finally:
            self._finish(truncated, count, boundary)

    def _bulk_records(self, reader) -> Iterator[Frame]:
        """Classic pcap after its header was validated: records cut from large reads.

        scapy's per-record reader costs two reads and a namedtuple per packet, a third of the
        whole analysis on a busy capture; this yields the same (ts, linktype, data, wirelen).
        """
        header = struct.Struct(reader.endian + "IIII")
        scale = 1e-9 if reader.nano else 1e-6
        linktype, f = reader.linktype, reader.f
        boundary, count, buf, truncated = f.tell(), 0, b"", False
        new = tuple.__new__            # a Frame without NamedTuple's Python-level constructor
        try:
            while True:
                chunk = f.read(BULK_READ)
                if not chunk:
                    truncated = bool(buf)
                    break
                buf = buf + chunk if buf else chunk
                pos, size = 0, len(buf)
                while size - pos >= 16:
                    sec, frac, caplen, wirelen = header.unpack_from(buf, pos)
                    end = pos + 16 + caplen
                    if caplen > MAX_RECORD:
                        truncated = True           # a damaged record header: nothing after it is safe
                        return
                    if end > size:
                        break
                    yield new(Frame, (sec + frac * scale, linktype, buf[pos + 16:end], wirelen))
                    pos = end
                    count += 1
                boundary += pos
                buf = buf[pos:]
        except OSError:
            truncated = True
        finally:
            self._finish(truncated, count, boundary)

    def _records(self, reader, ng: bool) -> Iterator[Frame]:
        # One record (pcap) or block (pcapng) per call, so the end of the last whole one is known;
        # scapy's iterator would hide a cut record header and bound records to 65535 bytes.
        read = reader._read_block if ng else reader._read_packet
        if ng:
            _interfaces_per_section(reader)
        fixed_linktype = getattr(reader, "linktype", 1)
        scale = 1e-9 if getattr(reader, "nano", False) else 1e-6
        boundary, count, truncated = reader.f.tell(), 0, False
        read_errors = _read_errors()
        try:
            with _scapy_quiet():
                while True:
                    try:
                        record = read(MAX_RECORD)
                    except EOFError:  # scapy's end of file, or gzip's "compressed file ended"
                        truncated = reader.f.tell() > boundary or _stream_continues(reader.f)
                        break
                    except read_errors:
                        truncated = True
                        break
                    if ng:
                        boundary = reader.f.tell()
                        if record is not None:
                            data, meta = record
                            count += 1
                            yield Frame(_ng_timestamp(meta), meta.linktype, data, meta.wirelen)
                        continue
                    data, meta = record
                    if len(data) < min(meta.caplen, MAX_RECORD):  # the last record, cut short
                        truncated = True
                        break
                    boundary += 16 + meta.caplen
                    count += 1
                    yield Frame(meta.sec + meta.usec * scale, fixed_linktype, data, meta.wirelen)
        finally:
            self._finish(truncated, count, boundary)

    def _finish(self, truncated: bool, count: int, boundary: int) -> None:
        if truncated:
            where = "" if self._gzip else f" at byte {boundary}" if self._stream else \
                f" at byte {boundary} of {self.size}"
            self.warnings.append(f"{self.path}: capture is truncated{where} (after {count} packets); "
                                 "analysed the packets before the cut")
        self._reader.close()


def _file_size(path: str) -> int:
    if path == STDIN:
        return 0
    try:
        return os.path.getsize(path)
    except OSError as exc:
        raise NotACaptureError(f"{path}: cannot read file ({exc.strerror or exc})") from None


def _open_reader(path: str):
    """scapy's reader of `path`, or for a plain classic pcap file the same without scapy."""
    if os.path.isdir(path):
        raise NotACaptureError(f"{path}: is a directory, not a capture file")
    stream = None
    try:
        stream = open_stream(path)
        reader = open_classic(path) if stream is None else None
        if reader is not None:
            return reader
        from scapy.utils import RawPcapReader
        with _scapy_quiet():
            return RawPcapReader(path if stream is None else stream)
    except (_scapy_exception(), EOFError, OSError) as exc:
        if stream is not None:
            stream.close()
        reason = getattr(exc, "strerror", None) or "not a pcap or pcapng capture"
        raise NotACaptureError(f"{path}: {reason}") from None


def _join(rest: bytes, chunk: bytes, layout, consume) -> tuple[bytes, int, int, int, bool]:
    """The record cut by the end of the last read, completed from `chunk` and fed alone so that the
    read need not be copied behind it. Returns the buffer to go on with and where in it, the bytes
    fed from `rest` on, the records fed, and whether that record was damaged. When the record's
    size is not known or it does not end in `chunk`, the two are joined instead (nothing fed)."""
    need = layout.record_size(rest + chunk[:16])
    if need is None or not len(rest) < need <= len(rest) + len(chunk):
        return rest + chunk, 0, 0, 0, False
    stop, records, damaged = consume(rest + chunk[:need - len(rest)], 0, layout)
    if damaged or stop == need:
        return chunk, need - len(rest), stop, records, damaged
    return rest + chunk, stop, stop, records, False     # not read as one whole record: go on from there


def _scapy_exception() -> type:
    from scapy.error import Scapy_Exception
    return Scapy_Exception


def _read_errors() -> tuple:
    """What a read of scapy's reader raises when the file is damaged past that point."""
    return (OSError, OverflowError, zlib.error, _scapy_exception())


def _read_gzip(f, size: int) -> tuple[bytes, bool]:
    """Up to `size` decompressed bytes, and whether the stream failed after them (cut short or
    damaged): what was decompressed before the failure is kept, as scapy's record reads keep it."""
    parts, got = [], 0
    try:
        while got < size:
            part = f.read1(size - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
    except (EOFError, OSError, zlib.error):
        return b"".join(parts), True
    return b"".join(parts), False


def _ng_timestamp(meta) -> float:
    if meta.tshigh is None:
        return 0.0
    return ((meta.tshigh << 32) | meta.tslow) / float(meta.tsresol)


def _interfaces_per_section(reader) -> None:
    """pcapng numbers interfaces per section, but scapy keeps appending them: without this, interface 0
    of a second section (`cat a.pcapng b.pcapng`) would take the first section's link type."""
    read_section_header = reader._read_block_shb

    def new_section() -> None:
        read_section_header()
        reader.interfaces.clear()
    reader._read_block_shb = new_section


def _stream_continues(f) -> bool:
    """Whether bytes (or a damaged gzip stream) remain after scapy stopped reading."""
    try:
        return bool(f.read(1))
    except (EOFError, OSError, zlib.error):
        return True


class _scapy_quiet:
    """scapy's warnings off while its readers run (logging is imported then: a plain pcap file never needs it)."""

    def __enter__(self):
        import logging
        self._log = logging.getLogger("scapy.runtime")
        self._level = self._log.level
        self._log.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self._log.setLevel(self._level)
