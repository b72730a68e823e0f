"""Offline source: pcap and pcapng files through scapy's raw readers.

scapy's `RawPcapReader`/`RawPcapNgReader` give bytes and metadata without per-packet dissection.
A file cut short is read as far as it goes and reported through `warnings`; a file that is not a
capture raises `NotACaptureError` with one clear line.
"""
from __future__ import annotations

import logging
import os
from typing import Iterator

from collectors.errors import NotACaptureError
from collectors.sources.frame import Frame

MAX_RECORD = 0xFFFF * 4  # scapy bounds each record read to this


class PcapFileSource:
    """Frames of one capture file, with read counters for progress and truncation warnings."""

    def __init__(self, path: str):
        self.path = path
        self.warnings: list[str] = []
        self.size = _file_size(path)
        self._reader = _open_reader(path)
        self._gzip = self._reader.f.__class__.__name__ == "GzipFile"

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
        fixed_linktype = getattr(reader, "linktype", 1)
        truncated_records = 0
        try:
            for data, meta in _quiet(reader):
                if ng:
                    ts = _ng_timestamp(meta)
                    yield Frame(ts, meta.linktype, data, meta.wirelen)
                else:
                    if len(data) < min(meta.caplen, MAX_RECORD):
                        truncated_records += 1
                    scale = 1e-9 if reader.nano else 1e-6
                    yield Frame(meta.sec + meta.usec * scale, fixed_linktype, data, meta.wirelen)
        finally:
            self._finish(truncated_records)

    def _finish(self, truncated_records: int) -> None:
        consumed = self.position
        if truncated_records or (not self._gzip and consumed < self.size):
            self.warnings.append(
                f"{self.path}: capture is truncated (read {consumed} of {self.size} bytes); "
                "analysed the packets before the cut")
        self._reader.close()


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError as exc:
        raise NotACaptureError(f"{path}: cannot read file ({exc.strerror or exc})") from None


def _open_reader(path: str):
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader
    if os.path.isdir(path):
        raise NotACaptureError(f"{path}: is a directory, not a capture file")
    try:
        with _scapy_quiet():
            return RawPcapReader(path)
    except (Scapy_Exception, EOFError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or "not a pcap or pcapng capture"
        raise NotACaptureError(f"{path}: {reason}") from None


def _ng_timestamp(meta) -> float:
    if meta.tshigh is None:
        return 0.0
    return ((meta.tshigh << 32) | meta.tslow) / float(meta.tsresol)


def _quiet(reader):
    """Iterate scapy's reader with its per-packet warnings silenced (we count problems ourselves)."""
    with _scapy_quiet():
        for item in reader:
            yield item


class _scapy_quiet:
    def __enter__(self):
        self._log = logging.getLogger("scapy.runtime")
        self._level = self._log.level
        self._log.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self._log.setLevel(self._level)
