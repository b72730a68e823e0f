"""Counters and verdict of one unidirectional media (RTP) or control (RTCP) stream.

Most streams a busy site holds are settled and many are quiet (ended, held until the idle timeout), so
a quiet stream is kept compact (`compact`): its counters by SSRC, payload type and RTCP type lose their
dicts (224 bytes even for one entry) and turn back into dicts on first use. A counter whose every key
counted all the stream's packets (one SSRC, one payload type, the same RTCP compound every time: nearly
every stream) keeps only its keys: the one key itself, or a tuple of keys shared by the streams with the
same ones (`_Each`); any other becomes a flat (key, count, ...) tuple. Evidence and notes are tuples
shared with the verdict they came from, their lines interned once quiet (streams of a site repeat the
same lines); the report reads them as lists.

A quiet stream that is done deciding is held as a `QuietStream` (`compact` returns it; the flow keeps it until
its next packet wakes it, `awake`): the same interface in 120 B instead of 208, its small verdict fields
(kind, verdict, keying, confidence, source, assurance, codec ...: a few combinations at a site) one tuple
shared between streams, and its payload verdict (kept for a re-judgement) as a shared reference to the lines of
its evidence that are the verdict's (`_PayloadRef`) instead of a Verdict and a tuple of its own.
"""
from __future__ import annotations

import sys
from dataclasses import replace

from collectors.classify.verdict import Verdict

MAX_SSRCS = 32
COUNTER_SLOTS = {"ssrcs": "_ssrcs", "pt_counts": "_pt_counts", "rtcp_types": "_rtcp_types"}
# (names given to getattr once: a name made per call ("_" + counter) is a new string each time, which the
# interpreter's attribute cache keeps, up to 4,096 of them: ~27 B per idle stream in bench.memory)
NO_COUNTS = ()


class _Each(tuple):
    """The keys of a compact counter that each counted every packet of the stream (shared: `_each`)."""
    __slots__ = ()


class _Counters:
    """A stream's counter (key -> packets): the dict in its `_NAME` slot, which a quiet stream holds in
    compact form (`StreamState.compact`) and which comes back as a dict on first use."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, stream, owner=None):
        if stream is None:
            return self
        held = getattr(stream, self.slot)
        if type(held) is not dict:
            held = _expand(held, stream._compacted)
            setattr(stream, self.slot, held)
        return held


class _Stream:
    """What a stream does, awake (`StreamState`) or quiet (`QuietStream`): the state is in their slots."""

    __slots__ = ()

    def count(self, ts: float, size: int) -> None:
        self.packets += 1
        self.bytes += size
        self.last_seen = ts

    def add_ssrc(self, ssrc: int) -> None:
        ssrcs = self.ssrcs
        if ssrc in ssrcs:
            ssrcs[ssrc] += 1
        elif len(ssrcs) < MAX_SSRCS:
            ssrcs[ssrc] = 1

    def add_pt(self, pt) -> None:
        pt_counts = self.pt_counts
        pt_counts[pt] = pt_counts.get(pt, 0) + 1

    def count_rtp(self, ts: float, size: int, ssrc: int, pt: int) -> None:
        """`count`, `add_ssrc` and `add_pt` of one RTP packet in one step (the full path's, per frame)."""
        self.packets += 1
        self.bytes += size
        self.last_seen = ts
        ssrcs = self._ssrcs if type(self._ssrcs) is dict else self.ssrcs
        if ssrc in ssrcs:
            ssrcs[ssrc] += 1
        elif len(ssrcs) < MAX_SSRCS:
            ssrcs[ssrc] = 1
        pt_counts = self._pt_counts if type(self._pt_counts) is dict else self.pt_counts
        pt_counts[pt] = pt_counts.get(pt, 0) + 1

    def add_counted(self, packets: int, octets: int, last: float, ssrc: int, pt: int) -> None:
        """Packets of one SSRC and payload type counted elsewhere (`FastEntry.flush`); the SSRC is
        counted even past MAX_SSRCS, as the fast path always did."""
        self.packets += packets
        self.bytes += octets
        self.last_seen = last
        ssrcs = self._ssrcs if type(self._ssrcs) is dict else self.ssrcs
        ssrcs[ssrc] = ssrcs.get(ssrc, 0) + packets
        pt_counts = self._pt_counts if type(self._pt_counts) is dict else self.pt_counts
        pt_counts[pt] = pt_counts.get(pt, 0) + packets

    # -- counters: dicts while in use, flat tuples while compact --------------------------------
    ssrcs = _Counters()
    pt_counts = _Counters()       # packets by payload type (RTP); by shape, "srtcp" or "plain", for RTCP
    rtcp_types = _Counters()

    def keys(self, counter: str) -> list:
        """The keys of a counter ("ssrcs", "pt_counts", "rtcp_types") in the order first counted, without
        expanding a compact stream (the end report and the ended stream's event read them)."""
        held = getattr(self, COUNTER_SLOTS[counter])
        kind = type(held)
        if kind is dict or kind is _Each:
            return list(held)
        return list(held[0::2]) if kind is tuple else [held]

    def count_of(self, key) -> int:
        """One counter of `pt_counts`, without expanding a compact stream."""
        held = self._pt_counts
        kind = type(held)
        if kind is dict:
            return held.get(key, 0)
        if kind is _Each:
            return self._compacted if key in held else 0
        if kind is not tuple:
            return self._compacted if held == key else 0
        for i in range(0, len(held), 2):
            if held[i] == key:
                return held[i + 1]
        return 0

    # -- evidence: tuples shared with the verdict, lists for the report -----------------------------
    @property
    def evidence(self) -> list[str]:
        return list(self._evidence)

    @evidence.setter
    def evidence(self, lines) -> None:
        self._evidence = lines if type(lines) is tuple else tuple(lines)

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    def add_note(self, note: str) -> None:
        self._notes += (note,)

    def all_evidence(self) -> tuple[str, ...]:
        return self._evidence + self._notes

    def _compact_state(self) -> None:
        """Counters in flat form, evidence and notes interned, an exposure probe's packets packed."""
        counters = self.ssrcs, self.pt_counts, self.rtcp_types    # as dicts: what an earlier compaction
        packets = self._compacted = self.packets                 # left compact counted its packets then
        self._ssrcs, self._pt_counts, self._rtcp_types = (_flatten(counts, packets) for counts in counters)
        self._evidence, self._notes = _interned(self._evidence), _interned(self._notes)
        exposure = self.exposure
        if exposure:
            exposure.compact()

    @property
    def main_pt(self) -> int | None:
        pt_counts = self.pt_counts
        return max(pt_counts, key=pt_counts.get) if pt_counts else None


class StreamState(_Stream):
    """Mutable per-stream state; turned into the report's stream entry at the end."""

    __slots__ = ("kind", "packets", "bytes", "first_seen", "last_seen", "_ssrcs", "_pt_counts",
                 "_rtcp_types", "encrypted", "keying", "confidence", "_evidence", "decided_after",
                 "codec", "verdict_source", "classifier", "payload_verdict", "emitted", "exposure", "_notes",
                 "assurance", "_compacted")

    def __init__(self, kind: str, ts: float):
        self.kind = kind                  # "rtp" | "rtcp"
        self.packets = 0
        self.bytes = 0
        self.first_seen = ts
        self.last_seen = ts
        self._ssrcs: dict | tuple = {}    # SSRC -> packets (bounded); a flat (key, count, ...) tuple when compact
        self._pt_counts: dict | tuple = {}
        self._rtcp_types: dict | tuple = NO_COUNTS
        self.encrypted: bool | None = None
        self.keying: str | None = None
        self.confidence = 0.0
        self._evidence: tuple[str, ...] = ()
        self.decided_after = 0            # packets it took to decide the verdict
        self.codec: str | None = None
        self.verdict_source: str | None = None   # which classifier decided: "sdp" | "payload" | ...
        self.classifier = None            # the keyless classifier's per-stream state, while deciding
        self.payload_verdict = None       # the keyless classifier's verdict, once it has one
        self.emitted = False
        self.exposure = None              # ExposureProbe while proving SDES exposure; False: not applicable
        self._notes: tuple[str, ...] = ()  # findings beside the verdict (proof of exposure ...)
        self.assurance = ""               # what an "encrypted" verdict rests on: see MediaTracker.assurance
        self._compacted = 0               # packets when last compacted: what each key of a compact counter
                                          # held as keys only counted (packets may have moved on since)

    def compact(self) -> _Stream:
        """Quiet for a while: keep only what the report and a resumed stream need, in flat form. Returns
        the form the flow holds while quiet: a QuietStream once the stream is done deciding."""
        verdict = self.payload_verdict
        evidence = self._evidence
        self._compact_state()
        if verdict is not None:
            shared = verdict.evidence is evidence
            self.payload_verdict = replace(verdict, evidence=self._evidence if shared else _interned(verdict.evidence))
        if self.classifier is not None:        # still deciding (a short or an inconclusive stream)
            self.classifier.compact()
            return self
        return QuietStream(self)


SAID = ("kind", "encrypted", "keying", "confidence", "verdict_source", "assurance", "codec", "decided_after",
        "emitted", "classifier", "_pt_counts", "_rtcp_types")
        # a quiet stream's small fields, and its payload type (or RTCP shape) and RTCP type counters in their
        # compact form (a key, or `_Each` keys, nearly always): one tuple (`_said`), shared between streams
SHARED = 1024         # distinct `_said` tuples and payload references shared between quiet streams
_shared: dict[tuple, tuple] = {}


def _share(value: tuple) -> tuple:
    """`value`, or the equal tuple another stream holds: equal item by item and of the same types (1 == 1.0 ==
    True, and the report prints them differently). One that cannot be a key (a counter as a dict) is kept."""
    key = (value, tuple(map(type, value)))
    try:
        held = _shared.get(key)
    except TypeError:
        return value
    if held is not None:
        return held
    if len(_shared) < SHARED:
        _shared[key] = value
    return value


class _Said:
    """`stream.NAME` of a quiet stream: its item of the shared `_said` tuple; set, another tuple."""

    def __set_name__(self, owner, name: str) -> None:
        self.index = SAID.index(name)

    def __get__(self, stream, owner=None):
        return self if stream is None else stream._said[self.index]

    def __set__(self, stream, value) -> None:
        said = list(stream._said)
        said[self.index] = value
        stream._said = _share(tuple(said))


class _PayloadRef(tuple):
    """A quiet stream's payload verdict whose evidence is a run of the stream's own evidence lines:
    (encrypted, keying, confidence, source, provisional, verified, start, stop), shared."""
    __slots__ = ()


QUIET_COPIED = ("packets", "bytes", "first_seen", "last_seen", "_ssrcs", "_evidence", "exposure", "_notes",
                "_compacted")     # StreamState's slots a QuietStream holds as they are


class QuietStream(_Stream):
    """A stream done deciding, quiet: StreamState's interface in fewer slots (`_said`, `_payload`)."""

    __slots__ = QUIET_COPIED + ("_payload", "_said")

    kind, encrypted, keying, confidence, verdict_source = _Said(), _Said(), _Said(), _Said(), _Said()
    assurance, codec, decided_after, emitted, classifier = _Said(), _Said(), _Said(), _Said(), _Said()
    _pt_counts, _rtcp_types = _Said(), _Said()

    def __init__(self, stream: StreamState):
        for name in QUIET_COPIED:
            setattr(self, name, getattr(stream, name))
        self._said = _share(tuple(getattr(stream, name) for name in SAID))
        self._payload = _payload_ref(stream.payload_verdict, self._evidence)

    def compact(self) -> _Stream:
        self._compact_state()
        return self

    def awake(self) -> StreamState:
        """The StreamState to count on with (its next packet)."""
        stream = object.__new__(StreamState)
        for name in QUIET_COPIED:
            setattr(stream, name, getattr(self, name))
        for name, value in zip(SAID, self._said):
            setattr(stream, name, value)
        stream.payload_verdict = self.payload_verdict
        return stream

    @property
    def payload_verdict(self):
        held = self._payload
        if type(held) is not _PayloadRef:
            return held
        return Verdict(held[0], held[1], held[2], self._evidence[held[6]:held[7]], held[3], held[4], held[5])

    @payload_verdict.setter
    def payload_verdict(self, verdict) -> None:
        self._payload = verdict

    @_Stream.evidence.setter
    def evidence(self, lines) -> None:
        if type(self._payload) is _PayloadRef:     # it reads the lines it names: a Verdict of its own first
            self._payload = self.payload_verdict
        self._evidence = lines if type(lines) is tuple else tuple(lines)



def _payload_ref(verdict, evidence: tuple):
    """The payload verdict as a `_PayloadRef` into `evidence` where its lines are a run of them."""
    if verdict is None:
        return None
    lines, n = verdict.evidence, len(verdict.evidence)
    for start in range(len(evidence) - n + 1):
        if evidence[start:start + n] == lines:
            return _share(_PayloadRef((verdict.encrypted, verdict.keying, verdict.confidence, verdict.source,
                                       verdict.provisional, verdict.verified, start, start + n)))
    return verdict


def awake(stream):
    """The stream to count a packet on: a quiet one as a StreamState again."""
    return stream.awake() if type(stream) is QuietStream else stream


def _flatten(counts, total: int):
    """A counter's compact form: NO_COUNTS, its one key, its shared `_Each` keys or a flat tuple."""
    if type(counts) is not dict:
        return counts
    if not counts:
        return NO_COUNTS
    if all(count == total for count in counts.values()):
        return next(iter(counts)) if len(counts) == 1 else _each(tuple(counts))
    return tuple(item for key, count in counts.items() for item in (key, total if count == total else count))


EACH_SHARED = 256       # distinct key sets shared (a site's RTCP compounds repeat a few: SR+SDES, RR+SDES ...)
_shared_each: dict[tuple, _Each] = {}


def _each(keys: tuple) -> _Each:
    each = _shared_each.get(keys)
    if each is None:
        each = _Each(keys)
        if len(_shared_each) < EACH_SHARED:
            _shared_each[keys] = each
    return each


def _interned(lines: tuple) -> tuple:
    return tuple(map(sys.intern, lines)) if lines else lines


def _expand(held, packets: int) -> dict:
    kind = type(held)
    if kind is _Each:
        return dict.fromkeys(held, packets)
    if kind is not tuple:
        return {held: packets}
    return {held[i]: held[i + 1] for i in range(0, len(held), 2)}
