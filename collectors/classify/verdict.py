"""The value every verdict classifier returns."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """One classifier's answer about a stream: encrypted or not, how it is keyed, how sure, and why."""
    encrypted: bool | None        # None: this classifier cannot tell (yet)
    keying: str | None            # "sdes" | "dtls-srtp" | "zrtp" | "unknown" | None
    confidence: float
    evidence: tuple[str, ...]
    source: str                   # which classifier: "sdp", "payload", ...
    provisional: bool = False     # given to meet the packet budget; the classifier keeps looking
    verified: bool = True         # False: "encrypted" rests on uniform bytes alone, no positive SRTP evidence
