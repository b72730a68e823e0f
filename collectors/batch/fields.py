"""The fixed-offset fields of every frame of a batch, read at once with numpy (no per-frame objects).

Only the commonest shape can be counted without decoding (`collectors.fastpath`): Ethernet, untagged
IPv4 with a 20-byte header, not a fragment, UDP, room for an RTP header. For those frames this gives
the 5-tuple grouped (one group per distinct 12-byte address/port key of the batch), the RTP SSRC and
payload type, and the UDP payload length; every other frame is in no group (-1) and takes the full path.
A frame's bytes 12-53 (ethertype to RTP SSRC) are gathered in one copy per frame (`_Slabs`) and the
fields read as strided views of it: one trip to each frame in the buffer, not one per field.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectors.fastpath import RTP_AT

KEY_AT, KEY_LEN = 26, 12            # source and destination address, ports: the fast path's entry key
IP_AT = 20                          # IPv4 flags and fragment offset, TTL, protocol
SLAB_AT, SLAB_END = 12, RTP_AT + 12     # the bytes of a frame the fields come from: ethertype .. RTP SSRC
SLAB_LEN = SLAB_END - SLAB_AT
SHAPE_WORD, SHAPE_MASK = 0x450008, 0xFFFFFF     # bytes 12-14: IPv4 ethertype, version 4 with IHL 5
FRAG_MASK = 0xFF3F                  # bytes 20-21: MF flag and fragment offset
MIX = np.uint64(0x9E3779B97F4A7C15)
LOW32 = np.uint64(0xFFFFFFFF)
TOP_SHIFT = np.uint64(32)


@dataclass(slots=True)
class BatchFields:
    common: np.ndarray        # bool per frame: the shape the fast path counts
    group: np.ndarray         # int64 per frame: index into `keys`, -1 when not `common`
    keys: list                # the 12-byte key of each group
    ssrc: np.ndarray          # uint32 per frame (0 where not common)
    pt: np.ndarray            # uint8 per frame
    octets: np.ndarray        # int64 per frame: UDP length - 8, as the fast path counts it
    members: np.ndarray       # frame indices of the common frames, grouped (group 0's first)
    bounds: np.ndarray        # group g's frames are members[bounds[g]:bounds[g + 1]]

    def of_group(self, g: int) -> np.ndarray:
        """Group g's frame indices, in order (`_sorting` is stable: a group's members are in frame order)."""
        return self.members[self.bounds[g]:self.bounds[g + 1]]


def extract(buf, starts: np.ndarray, caplens: np.ndarray) -> BatchFields | None:
    """Fields of the frames at `starts` (offsets into `buf`) of `caplens` bytes each; None in the
    (practically impossible) case of two keys of the batch mixing to the same value."""
    n = len(starts)
    room = np.flatnonzero(caplens >= RTP_AT + 12)
    slab = _slabs(buf, starts[room])
    shape = slab.field(0, "<u8") & SHAPE_MASK == SHAPE_WORD
    ip = slab.field(IP_AT - SLAB_AT, "<u8")
    shape &= (ip & FRAG_MASK == 0) & ((ip >> 24) & 0xFF == 17)
    rows = room[shape]
    if not len(rows):
        return BatchFields(np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64), [], np.zeros(n, dtype=np.uint32),
                           np.zeros(n, dtype=np.uint8), np.zeros(n, dtype=np.int64), rows, np.zeros(1, dtype=np.int64))
    slab = slab.rows(shape)
    hi, tail = slab.field(KEY_AT - SLAB_AT, "<u8"), slab.field(KEY_AT + 8 - SLAB_AT, "<u8")   # bytes 26-33; 34-41
    lo = tail & LOW32
    mixed = hi ^ (lo * MIX)
    order, ordered = _sorting(mixed)
    new = np.empty(len(order), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    first = order[new]
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    if not (np.array_equal(hi[first][inverse], hi) and np.array_equal(lo[first][inverse], lo)):
        return None
    keys = slab.keys(first)
    at = None if len(rows) == n else rows      # None: every frame has the shape (a busy mirror port): no scatter
    common = _scattered(n, at, True, bool, False)
    group = _scattered(n, at, inverse, np.int64, -1)
    ssrc = _scattered(n, at, slab.field(RTP_AT + 8 - SLAB_AT, ">u4"), np.uint32, 0)
    pt = _scattered(n, at, slab.field(RTP_AT + 1 - SLAB_AT, "u1") & 0x7F, np.uint8, 0)
    octets = _scattered(n, at, (((tail >> 32) & 0xFF) << 8 | (tail >> 40) & 0xFF).astype(np.int64) - 8, np.int64, 0)
    bounds = np.append(np.flatnonzero(new), len(order))
    return BatchFields(common, group, keys, ssrc, pt, octets, rows[order], bounds)


def _scattered(n: int, rows: np.ndarray | None, values, dtype, fill) -> np.ndarray:
    """n `dtype` values: `values` at `rows` and `fill` elsewhere; rows None: `values` are every frame's."""
    if rows is None:
        out = np.empty(n, dtype=dtype)
        out[:] = values
        return out
    out = np.full(n, fill, dtype=dtype)
    out[rows] = values
    return out


def _sorting(mixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order sorting `mixed`, and `mixed` in that order. Sorted first on the top 32 bits alone, by two
    stable passes on 16-bit halves (numpy radix-sorts 16-bit keys: ~4x quicker than argsort of the 64-bit
    values); that order sorts the whole values too unless two keys of the batch share their top 32 bits,
    when the 64-bit argsort is taken instead. Both give the same groups, numbered in the same order, and
    both are stable: the frames of a group stay in frame order (`BatchFields.of_group` needs no sort)."""
    top = (mixed >> TOP_SHIFT).astype(np.uint32)
    order = np.argsort(top.astype(np.uint16), kind="stable")
    order = order[np.argsort((top >> 16).astype(np.uint16)[order], kind="stable")]
    ordered = mixed[order]
    if (ordered[1:] < ordered[:-1]).any():
        order = np.argsort(mixed, kind="stable")
        ordered = mixed[order]
    return order, ordered


class _Slabs:
    """Bytes SLAB_AT .. SLAB_END of each frame, gathered from the buffer in one pass (one copy of
    SLAB_LEN bytes per frame: six separate word gathers cost five more trips to each frame), with the
    fields read as strided views of that copy."""

    def __init__(self, rows: np.ndarray):
        self.data = rows                                  # (frames,) of void SLAB_LEN

    def field(self, at: int, dtype: str) -> np.ndarray:
        """The `dtype` word at byte `at` of every frame's slab."""
        if not len(self.data):
            return np.zeros(0, dtype=dtype)
        return np.ndarray((len(self.data),), dtype=dtype, buffer=self.data, offset=at, strides=(SLAB_LEN,))

    def rows(self, keep: np.ndarray) -> "_Slabs":
        return _Slabs(self.data[keep])

    def keys(self, which: np.ndarray) -> list:
        """The 12-byte flow keys of the frames `which`."""
        joined = self.data[which].tobytes()
        return [joined[i:i + KEY_LEN] for i in range(KEY_AT - SLAB_AT, len(joined), SLAB_LEN)]


def _slabs(buf, at: np.ndarray) -> _Slabs:
    """The slabs of the frames starting at `at` (each with at least SLAB_END bytes in `buf`)."""
    view = np.ndarray((max(0, len(buf) - SLAB_LEN + 1),), dtype=f"V{SLAB_LEN}", buffer=buf, strides=(1,))
    return _Slabs(view[at + SLAB_AT])
