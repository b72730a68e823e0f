"""The keyless classifier's running statistics hold what its decision rules are written against:
per bit position of the payload prefix, the packets with that bit set; per byte value, its
occurrences in the sampled payload bytes (bounded); the shortest prefix seen."""
from __future__ import annotations

import math
import random
import sys

from collectors.classify import payload
from collectors.classify.payload import MAX_HIST_BYTES, PREFIX, PayloadClassifier


def _fed(payloads: list[bytes], trailer: bytes = b"") -> PayloadClassifier:
    classifier = PayloadClassifier(lambda pt: None)
    for payload in payloads:
        frame = b"\x80" * 12 + payload + trailer       # bytes after `end` (padding, an Ethernet trailer)
        classifier._sample(frame, 12, 12 + len(payload))
    return classifier


def _expected_ones(prefixes: list[bytes]) -> list[int]:
    ones = [0] * (PREFIX * 8)
    for prefix in prefixes:
        for i, byte in enumerate(prefix):
            for bit in range(8):
                ones[i * 8 + bit] += byte >> (7 - bit) & 1
    return ones


def test_bit_counts_are_per_position_of_the_prefix_most_significant_bit_first():
    rng = random.Random(7)
    payloads = [bytes(rng.randrange(256) for _ in range(rng.choice((3, 16, 40, 160)))) for _ in range(60)]
    classifier = _fed(payloads)
    assert list(classifier.ones) == _expected_ones([p[:PREFIX] for p in payloads])
    assert classifier.prefix_len == 3
    assert classifier.n == 60


def test_prefix_reaches_past_the_payload_end_as_it_always_did():
    classifier = _fed([b"\xff\x00"], trailer=b"\x0f" * 20)
    assert list(classifier.ones) == _expected_ones([b"\xff\x00" + b"\x0f" * (PREFIX - 2)])


def test_constant_bits_of_a_codec_header_are_counted():
    rng = random.Random(3)
    payloads = [b"\xa5" + bytes(rng.randrange(256) for _ in range(31)) for _ in range(40)]
    classifier = _fed(payloads)
    assert classifier._constant_bits() >= 8


def test_byte_histogram_counts_sampled_bytes_up_to_the_bound():
    rng = random.Random(11)
    payloads = [bytes(rng.randrange(256) for _ in range(1000)) for _ in range(20)]
    classifier = _fed(payloads, trailer=b"\x00" * 8)
    sampled = b"".join(payloads)[:MAX_HIST_BYTES]
    assert classifier.hist_bytes == MAX_HIST_BYTES
    assert [classifier.hist[v] for v in range(256)] == [sampled.count(v) for v in range(256)]


def test_prefixes_counted_in_bulk_or_one_by_one_give_the_same_counts(monkeypatch):
    """With numpy loaded the pending prefixes are counted with it (`_spread`), else one by one."""
    rng = random.Random(5)
    prefixes = [bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 7, 16)))) for _ in range(40)]
    with_numpy = payload._spread(prefixes)
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert payload._spread(prefixes) == with_numpy
    assert payload._spread(prefixes[:2]) == payload._spread(prefixes[:1]) + payload._spread(prefixes[1:2])


def test_chi_square_of_the_histogram_is_the_sum_of_squares_it_always_was():
    """`_hist_sigmas` expands sum((c - expected) ** 2): the same float, for flat, skewed and one-value
    histograms of every size up to the bound."""
    rng = random.Random(9)
    for trial in range(300):
        total = rng.choice((512, 513, 4000, MAX_HIST_BYTES, rng.randrange(512, MAX_HIST_BYTES + 1)))
        skew = trial % 5
        sampled = bytes(int(rng.random() ** (1 + 3 * skew) * 256) if skew < 4 else 7 for _ in range(total))
        classifier = PayloadClassifier(lambda pt: None)
        classifier.hist_bytes, classifier.pending = total, [sampled]
        expected = total / 256
        direct = sum([(sampled.count(v) - expected) ** 2 for v in range(256)]) / expected
        assert classifier._hist_sigmas() == (direct - 255) / math.sqrt(2 * 255)


def test_bit_bias_is_the_sum_of_terms_it_always_was():
    """`_bias_sigmas` looks each count's term up in a table made once per decision (fewer packets than bit
    positions) or computes it per position: the same floats added in the same order as the plain sum, for
    fair, skewed and constant bits, short prefixes, and packet counts on both sides of the table's limit."""
    rng = random.Random(13)
    for trial in range(200):
        packets = rng.choice((12, 13, 50, 127, 128, 129, 250))
        skew = rng.random() ** (1 + trial % 4)
        payloads = [bytes(255 if rng.random() < skew else rng.randrange(256) for _ in range(rng.choice((3, 16, 40))))
                    for _ in range(packets)]
        classifier = _fed(payloads)
        n, ones = classifier.n, classifier.ones
        positions = classifier.prefix_len * 8
        plain = sum((2 * c - n) ** 2 / n for c in ones[:positions])
        assert classifier._bias_sigmas(ones) == (plain - positions) / math.sqrt(2 * positions)
