"""Counters and verdict of one unidirectional media (RTP) or control (RTCP) stream."""
from __future__ import annotations

MAX_SSRCS = 32


class StreamState:
    """Mutable per-stream state; turned into the report's stream entry at the end."""

    __slots__ = ("kind", "packets", "bytes", "first_seen", "last_seen", "ssrcs", "pt_counts",
                 "rtcp_types", "encrypted", "keying", "confidence", "evidence", "decided_after",
                 "codec", "verdict_source", "classifier", "payload_verdict", "emitted", "exposure", "notes", "assurance")

    def __init__(self, kind: str, ts: float):
        self.kind = kind                  # "rtp" | "rtcp"
        self.packets = 0
        self.bytes = 0
        self.first_seen = ts
        self.last_seen = ts
        self.ssrcs: dict[int, int] = {}   # SSRC -> packets (bounded)
        self.pt_counts: dict[int, int] = {}
        self.rtcp_types: dict[int, int] = {}
        self.encrypted: bool | None = None
        self.keying: str | None = None
        self.confidence = 0.0
        self.evidence: list[str] = []
        self.decided_after = 0            # packets it took to decide the verdict
        self.codec: str | None = None
        self.verdict_source: str | None = None   # which classifier decided: "sdp" | "payload" | ...
        self.classifier = None            # the keyless classifier's per-stream state, while deciding
        self.payload_verdict = None       # the keyless classifier's verdict, once it has one
        self.emitted = False
        self.exposure = None              # ExposureProbe while proving SDES exposure; False: not applicable
        self.notes: list[str] = []        # findings beside the verdict (proof of exposure ...)
        self.assurance = ""               # what an "encrypted" verdict rests on: see MediaTracker.assurance

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

    def add_pt(self, pt: int) -> None:
        self.pt_counts[pt] = self.pt_counts.get(pt, 0) + 1

    @property
    def main_pt(self) -> int | None:
        return max(self.pt_counts, key=self.pt_counts.get) if self.pt_counts else None
