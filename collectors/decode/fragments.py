"""Bounded reassembly of IPv4 and IPv6 fragments (SIP INVITEs with big SDP bodies get fragmented).

A datagram is held until its pieces cover [0, total) or it ages out; the table has a size limit so a
flood of first fragments cannot grow memory without bound. Overlaps keep the first copy.
"""
from __future__ import annotations

from collections import OrderedDict

MAX_PENDING = 2048
MAX_AGE = 30.0
MAX_DATAGRAM = 65535
MAX_HELD_BYTES = 2 * MAX_DATAGRAM  # per datagram: room for retransmitted overlaps, not for a flood of them


class _Pending:
    __slots__ = ("pieces", "total", "first_ts", "size")

    def __init__(self, ts: float):
        self.pieces: dict[int, bytes] = {}
        self.total = -1
        self.first_ts = ts
        self.size = 0


class FragmentTable:
    """Collects fragments; `add` returns the whole upper-layer payload once complete."""

    def __init__(self, max_pending: int = MAX_PENDING, max_age: float = MAX_AGE):
        self.max_pending = max_pending
        self.max_age = max_age
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self.fragments = 0
        self.reassembled = 0
        self.expired = 0

    def add(self, key: tuple, ts: float, offset: int, more: bool, piece: bytes) -> bytes | None:
        self.fragments += 1
        self._expire(ts)
        entry = self._pending.get(key)
        if entry is None:
            entry = self._new_entry(key, ts)
        new_piece = offset not in entry.pieces
        if offset + len(piece) > MAX_DATAGRAM or (new_piece and entry.size + len(piece) > MAX_HELD_BYTES):
            del self._pending[key]
            return None
        if new_piece:
            entry.pieces[offset] = piece
            entry.size += len(piece)
        if not more:
            entry.total = offset + len(piece)
        if entry.total < 0 or entry.size < entry.total:
            return None
        whole = _join(entry)
        if whole is not None:
            del self._pending[key]
            self.reassembled += 1
        return whole

    def _new_entry(self, key: tuple, ts: float) -> _Pending:
        if len(self._pending) >= self.max_pending:
            self._pending.popitem(last=False)
            self.expired += 1
        entry = self._pending[key] = _Pending(ts)
        return entry

    def _expire(self, now: float) -> None:
        while self._pending:
            key, entry = next(iter(self._pending.items()))
            if now - entry.first_ts <= self.max_age:
                return
            del self._pending[key]
            self.expired += 1


def _join(entry: _Pending) -> bytes | None:
    out = bytearray()
    for offset in sorted(entry.pieces):
        piece = entry.pieces[offset]
        if offset > len(out):
            return None  # a hole remains
        out += piece[len(out) - offset:]
    return bytes(out[:entry.total]) if len(out) >= entry.total else None
