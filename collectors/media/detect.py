"""Is this UDP flow RTP? Header rules plus sequence/timestamp/SSRC continuity within a packet budget.

Tri-state like nDPI: `MATCH`, `NO_MATCH`, `NEED_MORE`. A flow that SDP announced needs one valid
header; an unannounced flow needs `PAIRS_NEEDED` consecutive packet pairs of one SSRC whose sequence
numbers advance by a little and whose timestamps move forward by a plausible step.
"""
from __future__ import annotations

from collectors.media.rtp import RtpHeader, UNASSIGNED_STATIC, seq_delta, ts_delta

MATCH, NO_MATCH, NEED_MORE = "match", "no_match", "need_more"
PAIRS_NEEDED = 3
BUDGET = 24               # RTP-shaped packets examined before giving up
MAX_SEQ_STEP = 16         # loss tolerated between two packets of one SSRC
MAX_TS_STEP = 1 << 20     # ~ 11 s at 90 kHz, 22 s at 48 kHz
MAX_SSRC_CHANGES = 4


class RtpDetector:
    __slots__ = ("last", "pairs", "examined", "ssrc_changes", "packets_to_match", "held")

    def __init__(self):
        self.held: list = []      # packets examined before the match, replayed into the stream
        self.last: RtpHeader | None = None
        self.pairs = 0
        self.examined = 0
        self.ssrc_changes = 0
        self.packets_to_match = 0

    def feed(self, hdr: RtpHeader | None, announced: bool) -> str:
        self.examined += 1
        if hdr is None:
            return NO_MATCH if self.examined >= BUDGET else NEED_MORE
        if announced:
            self.packets_to_match = self.examined
            return MATCH
        if hdr.pt in UNASSIGNED_STATIC:
            return NO_MATCH
        last, self.last = self.last, hdr
        if last is not None:
            self._judge_pair(last, hdr)
        if self.pairs >= PAIRS_NEEDED:
            self.packets_to_match = self.examined
            return MATCH
        if self.examined >= BUDGET or self.ssrc_changes > MAX_SSRC_CHANGES:
            return NO_MATCH
        return NEED_MORE

    def _judge_pair(self, last: RtpHeader, hdr: RtpHeader) -> None:
        if hdr.ssrc != last.ssrc:
            self.ssrc_changes += 1
            self.pairs = 0
            return
        step = seq_delta(hdr.seq, last.seq)
        tstep = ts_delta(hdr.ts, last.ts)
        if 0 < step <= MAX_SEQ_STEP and 0 <= tstep <= MAX_TS_STEP:
            self.pairs += 1
        elif -MAX_SEQ_STEP <= step <= 0:
            pass  # reordered or repeated (RFC 4733 end packets): neither evidence for nor against
        else:
            self.pairs = 0

    @property
    def evidence(self) -> str:
        return f"rtp: {self.pairs + 1} packets of SSRC {self.last.ssrc:#010x} in sequence" if self.last else "rtp"
