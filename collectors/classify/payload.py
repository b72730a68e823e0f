"""The keyless verdict from the packets themselves: cleartext codec structure against the
per-position uniformity of encrypted bytes, and payload length against the codec's frame sizes.

Signals (each recorded in `evidence` when it decides):
  * bit positions of the first payload bytes that never change across packets (a codec header:
    Opus TOC, AMR CMR, telephone-event fields, video descriptors). Encrypted bits are fair coins:
    each of the B positions is constant over n packets with probability 2^(1-n), so the number of
    constant positions is about Poisson(B * 2^(1-n)), and k of them decide only when that tail is
    below CONSTANT_BITS_CHANCE. (3 of 128 over 12 packets, the old rule, is chance once in ~25,000
    SRTP streams: bench/site raised cleartext_media on a compliant phone's SRTP about once a run.)
    Fewer than that wait for more packets: a codec header stays constant, chance does not;
  * per-bit bias over those positions (chi-square against fair coins);
  * the byte-value distribution of whole payloads (G.711 speech is far from uniform);
  * for fixed-rate codecs, payload length against the timestamp step: exactly the frame size in
    clear, frame size + 4/10/16 bytes under SRTP (HMAC-SHA1-32/80, AES-GCM).
What decides:
  * cleartext: codec structure (constant bits, bias, byte distribution), or lengths exactly the codec's
    frame size with no room for an SRTP tag, or RFC 4733 events in clear;
  * encrypted (verified): uniform bytes AND lengths that an SRTP tag explains (frame size + 4/10/16);
  * encrypted, unverified: uniform bytes with no positive SRTP evidence (dynamic payload types, no
    fixed frame size) over a full budget: confidence UNVERIFIED and `verified=False`, so the tracker
    looks for other positive evidence (SRTCP trailers on the control channel, a key exchange on the
    5-tuple, SDP) before calling it SRTP. Entropy alone is never a verified verdict.
"""
from __future__ import annotations

import math
import struct
import sys
from array import array
from collections import Counter
from dataclasses import replace
from operator import add, mul

from collectors.classify.codecs import COMFORT_NOISE, TELEPHONE_EVENT, cleartext_length, tag_for_excess
from collectors.classify.verdict import Verdict
from collectors.media.rtp import ts_delta

PREFIX = 16                 # payload bytes examined per packet for bit statistics
MIN_PACKETS = 12
BUDGET = 50                 # a verdict by then ...
EXTENDED_BUDGET = 250       # ... refined until then when the first one was inconclusive
MAX_HIST_BYTES = 16384
NUMPY_FOLD_BYTES = 256       # fewer pending sample bytes than this are counted by the Counter (numpy's call costs more)
NUMPY_FOLD_PREFIXES = 4      # fewer pending prefixes than this are added one by one
CONSTANT_BITS_CLEAR = 3     # constant bits worth weighing against chance
CONSTANT_BITS_CHANCE = 1e-9  # ... that decide cleartext when chance gives as many less often than this
BIAS_SIGMAS_CLEAR = 8.0
BIAS_SIGMAS_RANDOM = 4.0
HIST_SIGMAS_CLEAR = 12.0
HIST_SIGMAS_RANDOM = 5.0
BIAS_SIGMAS_LATE_CLEAR = 6.0   # after EXTENDED_BUDGET packets (chance: ~5e-7)
HIST_SIGMAS_LATE_CLEAR = 8.0
FEW_PACKETS = 5              # below this, a stream that ended gets no lean at all
UNVERIFIED = 0.6             # uniform bytes, nothing positive: encrypted, unverified
MAX_EVENT_CODE = 16          # DTMF 0-9 * # A-D and flash

# Per-bit counts of the prefixes are kept as one integer of PREFIX * 8 counters, LANE bytes each
# (big-endian, bit 7 of byte 0 first): a prefix adds its bits to all counters in one addition.
LANE = 4
SPREAD = tuple(b"".join((value >> (7 - bit) & 1).to_bytes(LANE, "big") for bit in range(8)) for value in range(256))
SPREAD_PAD = tuple(bytes(LANE * 8 * (PREFIX - length)) for length in range(PREFIX + 1))
COUNTERS = struct.Struct(f">{PREFIX * 8}I")
NO_HIST = (0,) * 256


class PayloadClassifier:
    """Per-stream accumulator; `feed` returns a Verdict once the packets decide it."""

    __slots__ = ("codec_of", "n", "_bits", "prefixes", "prefix_len", "_hist", "pending", "hist_bytes", "last_ts",
                 "length_clear", "length_tag", "length_other", "tags", "events", "last_event", "examined")

    def __init__(self, codec_of):
        self.codec_of = codec_of         # callable: payload type -> codec name or None
        self.n = 0
        self._bits = 0                   # the packed per-bit counts (`bits`, `ones`)
        self.prefixes: list[bytes] = []  # sampled prefixes not yet counted into them
        self.prefix_len = PREFIX
        self._hist: list | array = NO_HIST   # occurrences of each byte value in the sampled payloads (`hist`)
        self.pending: list[bytes] = []   # sampled payloads not yet counted into it
        self.hist_bytes = 0
        self.last_ts: dict[int, int] = {}
        self.length_clear = self.length_tag = self.length_other = 0
        self.tags: dict[str, int] = {}
        self.events = 0
        self.last_event = None
        self.examined = 0

    def feed(self, data: bytes, off: int, end: int, pt: int, ssrc: int, ts: int) -> Verdict | None:
        self.examined += 1
        codec = (self.codec_of(pt) or "").upper()
        if codec == COMFORT_NOISE or end - off < 1:
            return self.decide(final=True) if self.examined >= BUDGET else None
        if codec == TELEPHONE_EVENT or end - off == 4:
            self._event(data, off, end, ts)
        if codec != TELEPHONE_EVENT:
            self._length(codec, ssrc, ts, end - off)
            self._sample(data, off, end)
        if self.n < MIN_PACKETS and self.examined < BUDGET and (self.events < 3 or self.events < self.n):
            return None          # what `decide` says then, without the call: most packets of a stream's first 12
        return self.decide(final=self.examined >= BUDGET)

    def _event(self, data: bytes, off: int, end: int, ts: int) -> None:
        """RFC 4733 named events in clear: 4 bytes (event, E|R|volume, duration); the packets of
        one event share the RTP timestamp while the duration grows."""
        if end - off != 4 or data[off] > MAX_EVENT_CODE or data[off + 1] & 0x40:
            return
        duration = (data[off + 2] << 8) | data[off + 3]
        last = self.last_event
        self.last_event = (ts, data[off], duration)
        if last is None or (last[0] == ts and last[1] == data[off] and duration >= last[2]):
            self.events += 1

    def _length(self, codec: str, ssrc: int, ts: int, length: int) -> None:
        last = self.last_ts.get(ssrc)
        self.last_ts[ssrc] = ts
        if last is None:
            return
        expected = cleartext_length(codec, ts_delta(ts, last), length)
        if expected is None:
            return
        if length == expected:
            self.length_clear += 1
            return
        tag = tag_for_excess(length - expected)
        if tag:
            self.length_tag += 1
            self.tags[tag] = self.tags.get(tag, 0) + 1
        else:
            self.length_other += 1

    def _sample(self, data: bytes, off: int, end: int) -> None:
        self.n += 1
        prefix = data[off:off + PREFIX]
        if len(prefix) < self.prefix_len:
            self.prefix_len = len(prefix)
        self.prefixes.append(prefix)                        # counted when a decision reads `ones`
        room = MAX_HIST_BYTES - self.hist_bytes
        if room > 0:
            sampled = data[off:end if end - off < room else off + room]
            self.pending.append(sampled)                    # counted when a decision reads `hist`
            self.hist_bytes += len(sampled)

    @property
    def hist(self) -> list | array:
        """Occurrences of each byte value (0-255) in the sampled payloads (an array while compact)."""
        if self.pending:
            self._fold()
        return self._hist

    def _fold(self) -> None:
        """Count the pending samples into the histogram: with numpy when the process already loaded it
        (the batched path), in ~1 ns a byte, else by a Counter; the same counts either way."""
        sampled = b"".join(self.pending)
        self.pending = []
        numpy = sys.modules.get("numpy")
        if numpy is None or len(sampled) < NUMPY_FOLD_BYTES:
            hist = self._hist = list(self._hist)
            for byte, count in Counter(sampled).items():
                hist[byte] += count
            return
        counts = numpy.bincount(numpy.frombuffer(sampled, dtype=numpy.uint8), minlength=256).tolist()
        self._hist = counts if self._hist is NO_HIST else list(map(add, self._hist, counts))

    @property
    def bits(self) -> int:
        """The per-bit counts of the sampled prefixes, packed (see LANE)."""
        if self.prefixes:
            self._bits += _spread(self.prefixes)
            self.prefixes = []
        return self._bits

    @property
    def ones(self) -> tuple[int, ...]:
        """Per bit position of the prefix (bit 7 of byte 0 first): packets with that bit set."""
        return COUNTERS.unpack(self.bits.to_bytes(COUNTERS.size, "big"))

    def compact(self) -> None:
        """The stream went quiet before a verdict: its byte histogram as machine integers (a list holds
        an object per count above 256) until `feed` or `decide`, its prefixes counted."""
        self._hist = array("I", self.hist)
        self.bits

    # -- decision ------------------------------------------------------------------------------
    def decide(self, final: bool = False, ended: bool = False) -> Verdict | None:
        """`final`: the packet budget is spent, a verdict is due; `ended`: the stream is over."""
        final = final or ended
        if self.events >= 3 and self.events >= self.n:
            return self._clear(0.9, [f"payload: {self.events} RFC 4733 telephone-event packets in clear "
                                     "(event code, growing duration under one timestamp)"])
        if self.n < MIN_PACKETS:
            return self._few_packets() if final else None
        ones = self.ones
        constant = self._constant_bits(ones)
        bias = self._bias_sigmas(ones)
        hist = self._hist_sigmas()
        lengths = self._length_evidence()
        if constant >= CONSTANT_BITS_CLEAR:
            if _poisson_tail(constant, self._constant_by_chance()) < CONSTANT_BITS_CHANCE:
                return self._clear(0.97, [f"payload: {constant} bit positions constant over {self.n} packets "
                                          "(codec header in clear)"] + lengths)
            if not final:
                return None          # as many as chance gives now and then over so many positions: wait
        if hist >= HIST_SIGMAS_CLEAR or bias >= BIAS_SIGMAS_CLEAR:
            return self._clear(0.93, [f"payload: byte distribution {hist:.0f} sigma from uniform, "
                                      f"bit bias {bias:.0f} sigma (codec structure)"] + lengths)
        if self.length_clear >= MIN_PACKETS // 2 and self.length_clear > 3 * (self.length_tag + 1):
            return self._clear(0.85, lengths + ["payload: no SRTP tag room in the packets"])
        uniform = bias < BIAS_SIGMAS_RANDOM and hist < HIST_SIGMAS_RANDOM
        if uniform and self.length_tag >= MIN_PACKETS // 2 and self.length_tag > 3 * self.length_clear:
            return self._encrypted(0.95, lengths + [self._uniform_text(bias, hist)])
        if final and uniform:
            return self._encrypted(UNVERIFIED, [self._uniform_text(bias, hist),
                                                f"payload: no cleartext codec structure in {self.n} packets",
                                                "payload: no SRTP tag explains the lengths: encrypted, unverified"]
                                   + lengths, verified=False)
        if final:
            return self._inconclusive(bias, hist, lengths, ended or self.examined >= EXTENDED_BUDGET)
        return None

    def _inconclusive(self, bias: float, hist: float, lengths: list[str], last_word: bool) -> Verdict:
        """Neither clear structure nor clear uniformity by the budget: real ciphertext lands here
        about 3 times in 10,000, so this is no ground for an alert. Lean to encrypted (below the
        alert threshold) and, while the stream lasts, keep looking: structure grows with packets,
        chance does not."""
        weak = f"payload: weak structure only (bias {bias:.1f} sigma, distribution {hist:.1f} sigma)"
        if last_word and (bias >= BIAS_SIGMAS_LATE_CLEAR or hist >= HIST_SIGMAS_LATE_CLEAR):
            return self._clear(0.6, [weak + f" persisting over {self.n} packets"] + lengths)
        verdict = self._encrypted(0.45, [weak + ": inconclusive, leaning encrypted"] + lengths, verified=False)
        return verdict if last_word else replace(verdict, provisional=True)

    def _few_packets(self) -> Verdict | None:
        """A stream that ended early (FEW_PACKETS to MIN_PACKETS - 1 packets). The length signal counts
        most; otherwise constant bits are weighed against what chance gives on so few packets
        (Poisson, mean B * 2^(1-n)). A cleartext finding (exact frame sizes, or structure chance would
        not give: 0.55-0.6, above the policy's 0.5) raises cleartext_media like any other; the
        encrypted lean without a tag is 0.45 and unverified, a lean and not a verdict."""
        lengths = self._length_evidence()
        if self.length_clear >= 2 and not self.length_tag:
            return self._clear(0.6, lengths + [f"payload: only {self.n} packets"])
        if self.length_tag >= 2 and not self.length_clear:
            return self._encrypted(0.6, lengths + [f"payload: only {self.n} packets"])
        if self.n < FEW_PACKETS:
            return None
        constant = self._constant_bits()
        chance = self._constant_by_chance()
        surprise = _poisson_tail(constant, chance)
        hist = self._hist_sigmas()
        if surprise < 1e-4 or hist >= HIST_SIGMAS_CLEAR:
            return self._clear(0.55, [f"payload: {constant} constant bit positions over only {self.n} packets "
                                      f"(chance would give {chance:.1f}); byte distribution {hist:.1f} sigma"])
        if surprise > 0.05 and hist < HIST_SIGMAS_RANDOM:
            return self._encrypted(0.45, [f"payload: no structure beyond chance in only {self.n} packets "
                                          "(a lean, not a verdict)"], verified=False)
        return None

    def _constant_by_chance(self) -> float:
        """Constant bit positions that fair coins give over this many packets, on average."""
        return self.prefix_len * 8 * 2.0 ** (1 - self.n)

    def _constant_bits(self, ones: tuple[int, ...] | None = None) -> int:
        n, counts = self.n, (ones or self.ones)[:self.prefix_len * 8]
        zeros = counts.count(0)                       # bits never set, plus (n > 0) bits always set
        return zeros + counts.count(n) if n else zeros

    def _bias_sigmas(self, ones: tuple[int, ...] | None = None) -> float:
        positions = self.prefix_len * 8
        if not positions:
            return 0.0
        n = self.n
        counts = (ones or self.ones)[:positions]
        chi2 = None
        if n < positions:       # the term of each possible count (0..n) made once; summed in order as floats add
            try:
                chi2 = sum(map([(2 * c - n) ** 2 / n for c in range(n + 1)].__getitem__, counts))
            except IndexError:  # a count above n: never from `_sample`, which counts a packet with its prefix
                pass
        if chi2 is None:
            chi2 = sum([(2 * c - n) ** 2 / n for c in counts])
        return (chi2 - positions) / math.sqrt(2 * positions)

    def _hist_sigmas(self) -> float:
        total = self.hist_bytes
        if total < 512:
            return 0.0
        expected = total / 256
        hist = self.hist
        # sum((c - expected) ** 2), expanded: every term and partial sum of either form is exact in a double
        # (counts <= MAX_HIST_BYTES = 2**14, expected a multiple of 1/256), so both give the same float
        squares = sum(map(mul, hist, hist)) - 2 * expected * total + 256 * expected * expected   # sum(hist) == total
        chi2 = squares / expected
        return (chi2 - 255) / math.sqrt(2 * 255)

    def _length_evidence(self) -> list[str]:
        out = []
        if self.length_clear:
            out.append(f"length: {self.length_clear} packets exactly the cleartext frame size")
        if self.length_tag:
            tag = max(self.tags, key=self.tags.get)
            out.append(f"length: {self.length_tag} packets = frame size + {tag} tag")
        return out

    def _uniform_text(self, bias: float, hist: float) -> str:
        return (f"payload: bytes uniform at every position over {self.n} packets "
                f"(bias {bias:.1f} sigma, distribution {hist:.1f} sigma)")

    def _clear(self, confidence: float, evidence: list[str]) -> Verdict:
        return Verdict(False, None, confidence, tuple(evidence), "payload")

    def _encrypted(self, confidence: float, evidence: list[str], verified: bool = True) -> Verdict:
        return Verdict(True, "unknown", confidence, tuple(evidence), "payload", verified=verified)


def _spread(prefixes: list[bytes]) -> int:
    """The packed per-bit counts of `prefixes` (each PREFIX bytes or fewer): with numpy when the process
    loaded it and there are several, else one addition per prefix; the same integer either way."""
    numpy = sys.modules.get("numpy")
    if numpy is None or len(prefixes) < NUMPY_FOLD_PREFIXES:
        return sum([int.from_bytes(b"".join(map(SPREAD.__getitem__, p)) + SPREAD_PAD[len(p)], "big") for p in prefixes])
    joined = b"".join(prefixes)
    if len(joined) != PREFIX * len(prefixes):
        joined = b"".join([p.ljust(PREFIX, b"\0") for p in prefixes])     # missing bytes count no bits
    bits = numpy.unpackbits(numpy.frombuffer(joined, dtype=numpy.uint8)).reshape(-1, PREFIX * 8)   # a row a prefix
    counts = bits.sum(axis=0, dtype=numpy.int64).tolist()
    return int.from_bytes(COUNTERS.pack(*counts), "big")


def _poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    term = total = math.exp(-mean)
    for i in range(1, k):
        term *= mean / i
        total += term
    return max(0.0, 1.0 - total)
