"""The fixed-offset fields of a batch: every frame's group holds its own 5-tuple key, whichever way the
keys were sorted (`fields._sorting`: on their top 32 bits, or on the whole 64-bit mix when two keys share
those)."""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from collectors.batch import fields
from collectors.batch.fields import LOW32, MIX, extract

MASK64 = (1 << 64) - 1


def frame(key: bytes, ssrc: int, pt: int, payload: int = 160) -> bytes:
    """Ethernet + IPv4 (IHL 5, UDP) + UDP + RTP, `key` at bytes 26-37 (addresses and ports)."""
    udp_len = 8 + 12 + payload
    ip = b"\x45\x00" + struct.pack("!H", 20 + udp_len) + b"\x00\x00\x00\x00\x40\x11\x00\x00" + key[:8]
    udp = key[8:12] + struct.pack("!HH", udp_len, 0)
    rtp = bytes([0x80, pt]) + struct.pack("!HII", 1, 0, ssrc)
    return bytes(12) + b"\x08\x00" + ip + udp + rtp + bytes(payload)


def mixed_of(key: bytes) -> int:
    hi, = struct.unpack_from("<Q", key, 0)
    lo, = struct.unpack_from("<I", key, 8)
    return hi ^ ((lo * int(MIX)) & MASK64)


def key_with_mix(mixed: int, ports: bytes) -> bytes:
    """The key with these ports whose mix is `mixed` (addresses chosen to give it)."""
    lo, = struct.unpack("<I", ports)
    hi = mixed ^ ((lo * int(MIX)) & MASK64)
    return struct.pack("<Q", hi) + ports


def batch(keys: list[bytes], count: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray, list[int]]:
    rng = random.Random(seed)
    chosen = [rng.randrange(len(keys)) for _ in range(count)]
    frames = [frame(keys[k], 1000 + k, 0 if k % 2 else 8) for k in chosen]
    starts = np.cumsum([0] + [len(f) for f in frames[:-1]]).astype(np.int64)
    caplens = np.array([len(f) for f in frames], dtype=np.int64)
    return b"".join(frames), starts, caplens, chosen


def groups_hold_their_keys(keys, chosen, found) -> None:
    assert found is not None
    assert len(found.keys) == len(set(chosen))
    for i, k in enumerate(chosen):
        assert found.keys[found.group[i]] == keys[k]
        assert found.ssrc[i] == 1000 + k and found.pt[i] == (0 if k % 2 else 8)
        assert i in found.of_group(int(found.group[i])).tolist()
    for g in range(len(found.keys)):
        assert found.of_group(g).tolist() == [i for i, k in enumerate(chosen) if keys[k] == found.keys[g]], \
            "a group's frames, in frame order"
    order = [int(m) for m in fields.np.argsort([mixed_of(key) for key in found.keys])]
    assert order == list(range(len(found.keys))), "groups numbered in the order of their mix"


@pytest.mark.parametrize("seed", range(3))
def test_random_keys(seed):
    rng = random.Random(seed)
    keys = [bytes(rng.getrandbits(8) for _ in range(12)) for _ in range(50)]
    buf, starts, caplens, chosen = batch(keys, 2000, seed)
    groups_hold_their_keys(keys, chosen, extract(buf, starts, caplens))


def test_keys_sharing_the_top_32_bits_of_their_mix(monkeypatch):
    """Keys whose mixes differ only in their low 32 bits, interleaved: the 32-bit sort does not sort
    them, the 64-bit argsort does."""
    rng = random.Random(7)
    top = rng.getrandbits(32) << 32
    keys = [key_with_mix(top | rng.getrandbits(32), struct.pack("!HH", 16384 + 2 * i, 5004)) for i in range(6)]
    keys += [bytes(rng.getrandbits(8) for _ in range(12)) for _ in range(10)]
    assert len({mixed_of(key) >> 32 for key in keys}) == 11
    calls = []
    argsort = np.argsort
    monkeypatch.setattr(fields.np, "argsort", lambda *a, **k: calls.append(a[0].dtype) or argsort(*a, **k))
    buf, starts, caplens, chosen = batch(keys, 500, 8)
    found = extract(buf, starts, caplens)
    monkeypatch.undo()
    assert np.dtype(np.uint64) in calls, "the 64-bit argsort was taken"
    groups_hold_their_keys(keys, chosen, found)


def test_frames_of_other_shapes_are_in_no_group():
    keys = [bytes(range(i, i + 12)) for i in range(3)]
    buf, starts, caplens, chosen = batch(keys, 30, 1)
    other = bytearray(buf)
    other[int(starts[4]) + 23] = 6                    # TCP
    other[int(starts[9]) + 21] = 1                    # a fragment
    found = extract(bytes(other), starts, caplens)
    assert found.group[4] == found.group[9] == -1 and not found.common[4] and not found.common[9]
    assert found.common.sum() == 28
