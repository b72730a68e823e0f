"""TLS records (RFC 5246 §6.2, RFC 8446 §5.1) out of one direction of a TCP connection whose bytes
arrive in order: several records per feed, one record over several feeds.

Written by hand rather than with scapy's TLS layer: this runs on every segment of a TLS connection
until its handshake is over, must tell incomplete input from malformed input, and must bound what it
buffers (at most one record, 5 + 2^14 + 2048 bytes); scapy dissects whole packets and tolerates garbage.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

from collectors.errors import Incomplete, Malformed

HEADER = struct.Struct("!BHH")          # content type, legacy record version, fragment length
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
CONTENT_TYPES = frozenset({CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT})
MIN_VERSION, MAX_VERSION = 0x0300, 0x0304
MAX_PLAINTEXT = 2 ** 14                 # TLSPlaintext.length limit
MAX_FRAGMENT = 2 ** 14 + 2048           # TLSCiphertext.length limit (TLS 1.2; TLS 1.3 allows less)
MAX_RECORD = HEADER.size + MAX_FRAGMENT


class TlsRecord(NamedTuple):
    content_type: int
    version: int
    fragment: bytes


def record_size(data, offset: int = 0) -> int:
    """Size of the record starting at `offset` (header included), or HEADER.size while the header is
    incomplete. Raises Malformed as soon as the bytes present can never start a record."""
    available = len(data) - offset
    if available >= 1 and data[offset] not in CONTENT_TYPES:
        raise Malformed(f"unknown TLS content type {data[offset]}")
    if available >= 2 and data[offset + 1] != 3:
        raise Malformed("TLS record version major is not 3")
    if available >= 3 and data[offset + 2] > MAX_VERSION & 0xFF:
        raise Malformed(f"unknown TLS record version 3.{data[offset + 2]}")
    if available < HEADER.size:
        return HEADER.size
    length = HEADER.unpack_from(data, offset)[2]
    if length > MAX_FRAGMENT:
        raise Malformed(f"TLS record of {length} bytes exceeds 2^14+2048")
    return HEADER.size + length


def parse_record(data, offset: int = 0) -> tuple[TlsRecord, int]:
    """The record at `offset` and the offset after it. Raises Incomplete or Malformed."""
    end = offset + record_size(data, offset)
    if end > len(data) or len(data) - offset < HEADER.size:
        raise Incomplete("TLS record continues in a later segment")
    content_type, version, _ = HEADER.unpack_from(data, offset)
    return TlsRecord(content_type, version, bytes(data[offset + HEADER.size:end])), end


def looks_like_tls(data) -> bool:
    """A TLS handshake record starts here: content type 22, version 3.0 to 3.4, a plausible length and,
    when present, a ClientHello (1) or ServerHello (2). Decides TLS on any port from the first bytes."""
    if len(data) < HEADER.size or data[0] != HANDSHAKE:
        return False
    _, version, length = HEADER.unpack_from(data, 0)
    if not MIN_VERSION <= version <= MAX_VERSION or not 4 <= length <= MAX_PLAINTEXT:
        return False
    return len(data) == HEADER.size or data[HEADER.size] in (1, 2)


class TlsRecordReader:
    """Frames one direction. After malformed input it stops for good (`malformed`, `errors`)."""
    __slots__ = ("_pending", "errors", "malformed", "bytes_fed")

    def __init__(self):
        self._pending = bytearray()
        self.errors = 0
        self.malformed = False
        self.bytes_fed = 0

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def feed(self, data) -> list[TlsRecord]:
        """Add the next bytes of the stream; return the records they complete."""
        if self.malformed or not data:
            return []
        self.bytes_fed += len(data)
        records: list[TlsRecord] = []
        offset = 0
        try:
            if self._pending:
                offset = self._fill_pending(data)
                if len(self._pending) < record_size(self._pending):
                    return records
                records.append(parse_record(self._pending)[0])
                self._pending.clear()
            while offset < len(data):
                record, offset = parse_record(data, offset)
                records.append(record)
        except Incomplete:
            self._pending += data[offset:]          # less than one record: the header was checked
        except Malformed:
            self._fail()
        return records

    def _fill_pending(self, data) -> int:
        """Move into the pending record only the bytes it still needs; return how many were taken."""
        taken = 0
        while taken < len(data):
            missing = record_size(self._pending) - len(self._pending)
            if missing == 0:
                break
            chunk = data[taken:taken + missing]
            self._pending += chunk
            taken += len(chunk)
        return taken

    def discard(self) -> None:
        """Drop a partly received record (the caller stops reading this stream)."""
        self._pending.clear()

    def _fail(self) -> None:
        self.malformed = True
        self.errors += 1
        self._pending.clear()
